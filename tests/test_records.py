from __future__ import annotations

import dataclasses
import pickle

import pytest

from syncer.records import frozen_builder


@dataclasses.dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)


def test_builder_makes_the_same_frozen_object_as_the_constructor():
    build = frozen_builder(Point)
    for args, kwargs in [((1, 2), {}), ((1,), {}), ((), {"x": 3, "tags": ("a",)})]:
        built, made = build(*args, **kwargs), Point(*args, **kwargs)
        assert type(built) is Point
        assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
        assert pickle.loads(pickle.dumps(built)) == made
    point = build(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 5  # type: ignore[misc]
    assert dataclasses.replace(point, y=7) == Point(1, 7)


def test_builder_refuses_classes_it_cannot_stand_in_for():
    @dataclasses.dataclass(slots=True)
    class Mutable:
        x: int

    @dataclasses.dataclass(frozen=True)
    class WithoutSlots:
        x: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            assert self.x >= 0

    for cls in (Mutable, WithoutSlots, Checked):
        with pytest.raises(TypeError):
            frozen_builder(cls)
