"""Dataclass values to BSON-ready documents and back, driven by the type hints.

Dates become ISO strings (BSON has no date type, and ISO dates sort and compare as strings);
datetimes stay datetimes; tuples become arrays; enums their values.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
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
    return _decoder(kind)(raw)


Decoder = Callable[[Any], Any]


def _same(raw: Any) -> Any:
    return raw


@cache
def _decoder(kind: Any) -> Decoder:
    """How to decode a value of `kind`, worked out once per type: reading an order decodes a
    few hundred values, and asking the type hints each time cost more than the rest."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _optional(lambda: _decoder(options[0]))
    if origin is tuple or origin is list:
        build = tuple if origin is tuple else list
        item = typing.get_args(kind)[0]

        def sequence(raw: Any) -> Any:
            one = _decoder(item)
            return build(one(v) for v in raw or ())

        return sequence
    if isinstance(kind, type):
        if dataclasses.is_dataclass(kind):
            return _optional(lambda: _dataclass_decoder(kind))
        if issubclass(kind, Enum):
            return _optional(lambda: kind)
        if kind is date:
            return _optional(lambda: date.fromisoformat)
    return _same


def _optional(inner: Callable[[], Decoder]) -> Decoder:
    """`inner()` applied to anything but None; looked up on first use, so that a type may
    refer to itself."""
    found: list[Decoder] = []

    def optional(raw: Any) -> Any:
        if raw is None:
            return None
        if not found:
            found.append(inner())
        return found[0](raw)

    return optional


def _dataclass_decoder(kind: type) -> Decoder:
    hints = _hints(kind)
    fields = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(kind) if f.init]

    def instance(raw: Any) -> Any:
        return kind(**{name: one(raw[name]) for name, one in fields if name in raw})

    return instance
