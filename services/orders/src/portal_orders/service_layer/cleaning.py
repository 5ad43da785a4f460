"""Cleaning of input values before they reach the domain: every text of a value is checked
(length, control characters, invalid code points) and named by its input path on refusal."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from portal_kit.values import Problems, check_text

from portal_orders.domain.fields import client_field

V = TypeVar("V")

LONG_TEXT = frozenset({"description", "text", "comment", "action_taken", "key_info", "unit_note"})
SHORT_MAX = 300
LONG_MAX = 5000


def clean_text(value: str, path: str, problems: Problems, *, required: bool = False) -> str:
    name = path.rsplit(".", 1)[-1]
    long = name in LONG_TEXT
    return problems.check(
        lambda: check_text(
            value,
            field=client_field(path),
            max_length=LONG_MAX if long else SHORT_MAX,
            required=required,
            multiline=long,
        ),
        "",
    )


def clean(value: V, path: str, problems: Problems) -> V:
    """The value with every text in it cleaned (dataclasses, tuples and lists walked)."""
    if isinstance(value, str):
        return clean_text(value, path, problems)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {
            f.name: clean(getattr(value, f.name), f"{path}.{f.name}" if path else f.name, problems)
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(clean(v, path, problems) for v in value)  # type: ignore[return-value]
    if isinstance(value, list):
        return [clean(v, path, problems) for v in value]  # type: ignore[return-value]
    return value
