"""Folding text for free-text search without `$text` (which the stand-in lacks).

Searchable words are stored folded (lower case, no diacritics, Nordic letters spelled out), and a
search term is folded the same way, so 'TORÖGATAN' finds 'Torögatan' with a plain regex.
"""

from __future__ import annotations

import re
import unicodedata

_SPELLED = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "þ": "th"})


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_SPELLED))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.translate(_SPELLED).split())


def term_patterns(query: str, *, max_terms: int = 8) -> list[str]:
    """Anchored-nowhere regexes, one per word of the query, each escaped: every word must match."""
    return [re.escape(word) for word in fold(query).split()[:max_terms] if word]
