"""Settings nobody reads: unknown keys of a config file and unknown ``PMSYNC_*`` variables.

A typo in a setting's name would otherwise be ignored and the default used in its place, so each
one is reported with the names it most likely meant (``difflib``) and, for files, its table.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo

ENV_PREFIX = "PMSYNC_"
ENV_DELIMITER = "__"
#: Variables of pmsync's own test suite and benchmarks: not settings, yet not typos either.
DEVELOPER_VARIABLES = ("PMSYNC_TEST_", "PMSYNC_CHAOS_", "PMSYNC_CRASH_", "PMSYNC_BENCH_",
                       "PMSYNC_UPDATE_GOLDEN")


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x' or 'y'?)`` for the known names closest to ``name`` (those nearly as
    close as the best), else ``""``."""
    scored = sorted(((difflib.SequenceMatcher(None, name, k).ratio(), k) for k in known),
                    reverse=True)
    close = [k for ratio, k in scored[:3] if ratio >= max(0.7, scored[0][0] - 0.05)]
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def unknown_keys(data: Mapping[str, Any], model: type[BaseModel], table: str = "") -> list[str]:
    """One description per key of ``data`` (a config file's pmsync table, nested) that no field
    of ``model`` reads, naming its table and the closest known keys."""
    problems: list[str] = []
    fields = field_names(model)
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            where = table if table.startswith("[") else f"[{table}]" if table else "top level"
            problems.append(f"{key!r} in {where}{did_you_mean(key, fields)}")
        else:
            problems.extend(_unknown_in(value, field.annotation, _join(table, key)))
    return problems


def field_names(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """Each field of ``model`` under its name and under every alias it is read by."""
    names = dict(model.model_fields)
    for field in model.model_fields.values():
        alias = field.validation_alias
        for choice in alias.choices if isinstance(alias, AliasChoices) else ():
            if isinstance(choice, str):
                names.setdefault(choice, field)
    return names


def _unknown_in(value: Any, annotation: Any, table: str) -> list[str]:
    """Unknown keys inside one value whose type is ``annotation`` (a model, or a dict, list or
    optional of models); values of other types have no keys of their own."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return unknown_keys(value, annotation, table) if isinstance(value, dict) else []
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return [p for k, v in value.items() for p in _unknown_in(v, args[1], _join(table, k))]
    if origin is list and isinstance(value, list) and args:
        return [p for n, v in enumerate(value, 1)
                for p in _unknown_in(v, args[0], f"[[{table}]] #{n}")]
    if origin in (Union, types.UnionType):
        return [p for arg in args for p in _unknown_in(value, arg, table)]
    return []


def _join(table: str, key: str) -> str:
    return f"{table}.{key}" if table else key


def known_variables(model: type[BaseModel], prefix: str = ENV_PREFIX) -> tuple[set[str], set[str]]:
    """The environment variables that set a field of ``model``: exact names, and the prefixes
    under which any name is read (the keys of a mapping such as ``PMSYNC_OWNERS__…``)."""
    exact: set[str] = set()
    open_prefixes: set[str] = set()
    for name, field in model.model_fields.items():
        variable = prefix + name.upper()
        exact.add(variable)
        sub = _model_of(field.annotation)
        if sub is not None:
            more, more_open = known_variables(sub, variable + ENV_DELIMITER)
            exact |= more
            open_prefixes |= more_open
        elif get_origin(field.annotation) is dict:
            open_prefixes.add(variable + ENV_DELIMITER)
    return exact, open_prefixes


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        return next((m for m in map(_model_of, get_args(annotation)) if m is not None), None)
    return None


def unknown_variables(environ: Mapping[str, str], model: type[BaseModel]) -> list[str]:
    """One description per ``PMSYNC_*`` variable in ``environ`` that sets no setting of
    ``model``, with the closest known names."""
    exact, open_prefixes = known_variables(model)
    # Suggest single settings (PMSYNC_JIRA__URL), not whole tables (PMSYNC_JIRA as JSON).
    leaves = {n for n in exact if not any(o.startswith(n + ENV_DELIMITER) for o in exact)}
    problems = []
    for variable in sorted(environ):
        name = variable.upper()
        if not name.startswith(ENV_PREFIX) or name in exact or name.startswith(DEVELOPER_VARIABLES):
            continue
        if any(name.startswith(p) and len(name) > len(p) for p in open_prefixes):
            continue
        problems.append(f"{variable}{did_you_mean(name, leaves)}")
    return problems
