"""Generic conversion between frozen dataclasses and JSON-ready values.

The snapshot and the results are trees of frozen dataclasses. Writing a
to_dict/from_dict pair by hand for each of the ~30 classes would be a second
copy of the model that drifts; instead the type hints drive both directions.

Rules: dataclasses become objects; tuples become arrays; ``Mapping`` fields
hold plain JSON; a ``CollectionError`` inside a union is written as
``{"collection_error": {...}}`` so that it can never be mistaken for data.
The typed documents inside the snapshot (``log_evidence``, ``integrity``) are
msgspec structs, which msgspec itself converts and validates.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin

import msgspec

T = TypeVar("T")

ERROR_KEY = "collection_error"


def to_jsonable(value: Any) -> Any:
    """Convert a dataclass tree to JSON-ready dicts, lists and scalars."""
    if isinstance(value, msgspec.Struct):
        return msgspec.to_builtins(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if f.name.startswith("_"):
                continue
            out[f.name] = to_jsonable(getattr(value, f.name))
        if type(value).__name__ == "CollectionError":
            return {ERROR_KEY: out}
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


@cache
def type_hints(cls: type) -> dict[str, Any]:
    """The resolved field types of a dataclass, read in the module that defines it."""
    module = __import__(cls.__module__, fromlist=["_"])
    return typing.get_type_hints(cls, vars(module))


def from_jsonable(cls: type[T], data: Any) -> T:
    """Rebuild an instance of ``cls`` from :func:`to_jsonable` output."""
    return typing.cast(T, _convert(cls, data))


def _convert(tp: Any, data: Any) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return data
    if origin in (Union, types.UnionType):
        return _convert_union(get_args(tp), data)
    if data is None:
        return None
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in data)
        return tuple(_convert(a, v) for a, v in zip(args, data, strict=True))
    if origin in (dict, Mapping) or tp in (dict, Mapping) or origin is typing.Mapping:
        return dict(data)
    if origin is list:
        (arg,) = get_args(tp)
        return [_convert(arg, v) for v in data]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return msgspec.convert(data, tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if tp.__name__ == "CollectionError" and isinstance(data, Mapping) and ERROR_KEY in data:
            data = data[ERROR_KEY]
        hints = type_hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name.startswith("_") or f.name not in data:
                continue
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
        return tp(**kwargs)
    return data


def _convert_union(args: tuple[Any, ...], data: Any) -> Any:
    if data is None:
        return None
    error_types = [a for a in args if getattr(a, "__name__", "") == "CollectionError"]
    if isinstance(data, Mapping) and ERROR_KEY in data and error_types:
        return _convert(error_types[0], data)
    candidates = [a for a in args if a is not type(None) and a not in error_types]
    for cand in candidates:
        if _matches(cand, data):
            return _convert(cand, data)
    return data


def _matches(tp: Any, data: Any) -> bool:
    origin = get_origin(tp)
    if origin is tuple or origin is list:
        return isinstance(data, list | tuple)
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        return isinstance(data, Mapping)
    if isinstance(tp, type) and (dataclasses.is_dataclass(tp) or issubclass(tp, msgspec.Struct)):
        return isinstance(data, Mapping)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return any(data == m.value for m in tp)
    if tp is bool:
        return isinstance(data, bool)
    if tp is int:
        return isinstance(data, int) and not isinstance(data, bool)
    if isinstance(tp, type):
        return isinstance(data, tp)
    return True
