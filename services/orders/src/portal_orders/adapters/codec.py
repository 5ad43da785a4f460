"""Dataclass values to BSON-ready documents and back, driven by the type hints.

Dates become ISO strings (BSON has no date type, and ISO dates sort and compare as strings);
datetimes stay datetimes; tuples become arrays; enums their values.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode(kind: Any, raw: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        if raw is None:
            return None
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return decode(options[0], raw)
    if origin is tuple:
        return tuple(decode(typing.get_args(kind)[0], v) for v in raw or ())
    if origin is list:
        return [decode(typing.get_args(kind)[0], v) for v in raw or ()]
    if raw is None:
        return None
    if isinstance(kind, type):
        if dataclasses.is_dataclass(kind):
            hints = _hints(kind)
            values = {
                f.name: decode(hints[f.name], raw[f.name])
                for f in dataclasses.fields(kind)
                if f.init and f.name in raw
            }
            return kind(**values)
        if issubclass(kind, Enum):
            return kind(raw)
        if kind is datetime:
            return raw
        if kind is date:
            return date.fromisoformat(raw)
    return raw
