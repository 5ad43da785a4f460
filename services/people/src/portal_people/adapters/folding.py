"""Folded text for case-insensitive uniqueness, sorting and search (no `$text`: the stand-in
and MongoDB both answer anchored or plain regular expressions on these fields)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime


def fold(text: str) -> str:
    """The form used for case-insensitive uniqueness and sorting."""
    return text.casefold()


def search_fold(text: str) -> str:
    """Case and accents folded away, blanks collapsed: 'Østerberg' is found by 'osterberg'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("ø", "o").replace("æ", "ae").replace("ß", "ss").split())


def contains_pattern(query: str) -> str:
    """A regular expression matching the folded query anywhere, with no operator of its own."""
    return re.escape(search_fold(query))


def aware(moment: datetime) -> datetime:
    """MongoDB hands back naive UTC datetimes unless told otherwise; the domain wants aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
