"""Text folding for search without `$text` (which the in-memory stand-in lacks).

Searchable words are stored folded — lower case, no diacritics, the Nordic letters that have no
decomposition spelled out — and a search term is folded the same way, so 'TORÖGATAN' finds
'Torögatan' and 'osterberg' finds 'Østerberg' with a plain, escaped regular expression that both
MongoDB and the stand-in answer.
"""

from __future__ import annotations

import re
import unicodedata

# Letters Unicode does not decompose into a base letter and a mark.
_SPELLED = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "þ": "th"})


def fold(text: str) -> str:
    """Case and accents folded away, blanks collapsed."""
    # Compatibility forms first ('𝕬' is an 'A'), then case, then the marks split off.
    lowered = unicodedata.normalize("NFKD", text).casefold().translate(_SPELLED)
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.translate(_SPELLED).split())


def contains_pattern(query: str) -> str:
    """A regular expression matching the folded query anywhere, with no operator of its own."""
    return re.escape(fold(query))


def term_patterns(query: str, *, max_terms: int = 8) -> list[str]:
    """One escaped regular expression per word of the folded query: every word must match."""
    return [re.escape(word) for word in fold(query).split()[:max_terms] if word]
