"""Cheaper construction of frozen slots dataclasses, for the few built once per table row.

A frozen dataclass refuses attribute assignment, so its generated ``__init__`` stores each field
through ``object.__setattr__``: a C call per field. For :class:`~syncer.items.ActionItem` (17
fields) that is 2.1 us per item, against 0.25 us for the plain slot stores of a non-frozen slots
dataclass, and parsing builds one item, one anchor and one row per table row (CPython 3.11).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def frozen_builder(cls: type[T]) -> Callable[..., T]:
    """A faster constructor for the frozen slots dataclass ``cls``: same arguments, same result.

    The builder is a non-frozen twin of ``cls``: a slots dataclass with the same fields (so the
    same slots, in the same order) and the same defaults. Its ``__init__`` stores the fields
    plainly, then relabels the new object as a ``cls`` (``__class__`` assignment, which Python
    allows between classes whose instances have the same layout). What comes out is an ordinary
    ``cls`` instance, indistinguishable from one built by ``cls(...)``: its type is ``cls``,
    assigning to it raises ``FrozenInstanceError``, and it compares, hashes, prints and goes
    through ``dataclasses.replace`` like any other. The twin itself is never seen outside.

    Measured for ActionItem's 17 fields: 0.35 us with positional arguments, 0.8 us with keywords,
    against 2.1 us and 2.6 us for ``ActionItem(...)``.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a frozen slots dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__ the builder would not run")
    specs = [
        (f.name, f.type, dataclasses.field(default=f.default, default_factory=f.default_factory))
        for f in dataclasses.fields(cls)
    ]

    def relabel(self: Any) -> None:
        self.__class__ = cls

    twin = dataclasses.make_dataclass(
        f"_{cls.__name__}Builder", specs, slots=True, eq=False, repr=False,
        namespace={"__post_init__": relabel},
    )
    if twin.__dict__["__slots__"] != cls.__dict__["__slots__"]:  # layouts must match to relabel
        raise TypeError(f"{cls.__name__} has slots besides its fields")
    built: Callable[..., T] = twin
    return built
