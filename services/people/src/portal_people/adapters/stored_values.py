"""How some values are kept in documents: case-insensitive keys and aware datetimes.

Search text is folded by the kit (`portal_kit.text.fold`); the keys here are only for
uniqueness and sorting, where case is all that is folded away.
"""

from __future__ import annotations

from datetime import UTC, datetime


def unique_key(text: str) -> str:
    """The form used for case-insensitive uniqueness and sorting."""
    return text.casefold()


def aware(moment: datetime) -> datetime:
    """MongoDB hands back naive UTC datetimes unless told otherwise; the domain wants aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def optional_aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else aware(moment)
