"""Stored JSON read back into dataclasses: every key known, every value of its type."""

from __future__ import annotations

import types
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar, Union, get_args, get_origin, get_type_hints

from workbench.domain.errors import StoreCorrupted
from workbench.domain.text import printable

if TYPE_CHECKING:
    pass


T = TypeVar("T")


def json_matches(value: Any, annotation: Any) -> bool:
    """Whether a JSON value read back from the store fits a dataclass field's annotation."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(json_matches(value, arm) for arm in get_args(annotation))
    if annotation is type(None):
        return value is None
    if origin is list:
        (item,) = get_args(annotation)
        return isinstance(value, list) and all(json_matches(v, item) for v in value)
    if origin is dict:
        key, item = get_args(annotation)
        return isinstance(value, dict) and all(
            json_matches(k, key) and json_matches(v, item) for k, v in value.items()
        )
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, annotation)


def load_dataclass(cls: type[T], data: Any, what: str, **extra: Any) -> T:
    """A dataclass from a stored JSON object, every key known and every value of its type.

    A row written by a newer version or damaged on disk names the field that
    does not fit, as StoreCorrupted, instead of a TypeError from the constructor.
    """
    if not isinstance(data, dict):
        raise StoreCorrupted(f"{what}: a JSON object was expected")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    for key, value in data.items():
        if key not in known or key in extra:
            raise StoreCorrupted(f"{what}: unknown field {printable(str(key))!r}")
        if not json_matches(value, hints[key]):
            raise StoreCorrupted(f"{what}: field {key!r} has the wrong type")
    return cls(**data, **extra)
