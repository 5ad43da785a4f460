"""Sort keys that order text as a reader of the language expects, by plain string comparison.

MongoDB without a collation and the in-memory stand-in both compare strings code point by code
point: 'Accepterad' < 'Beställd' holds, but 'Å' (U+00C5) sorts before 'Ä' (U+00C4) only by
accident and 'Ø' before 'Å' never. A key folds case and accents away (as search does) and
spells the letters a language puts after 'z' as code points after 'z', in that language's order.
Keys are computed where the label is known (the tenant's configuration, a contact's name) and
compared by the database, so a cursor can carry one and both stores page alike.
"""

from __future__ import annotations

import unicodedata

from portal_kit.text import fold

# The letters after 'z', in each language's alphabet order; others fold to their base letter.
_AFTER_Z = {"sv": "åäö", "fi": "åäö", "nb": "æøå", "da": "æøå"}
# Letters a language files with one of its own after-'z' letters (Swedish 'ø' is an 'ö').
_SAME_AS = {
    "sv": {"æ": "ä", "ø": "ö"},
    "fi": {"æ": "ä", "ø": "ö"},
    "nb": {"ä": "æ", "ö": "ø"},
    "da": {"ä": "æ", "ö": "ø"},
}
# Below every character of a key: joins the parts of a key made of several texts, so that a
# shorter first part sorts before a longer one it begins ('JM' before 'JM Bygg').
SEPARATOR = "\x01"
_FIRST_AFTER_Z = ord("z") + 1


def collation_key(text: str, locale: str) -> str:
    """`text` as a key whose code point order is `locale`'s alphabetical order."""
    after_z = _AFTER_Z.get(locale, "")
    same_as = _SAME_AS.get(locale, {})
    key = []
    # Composed first, so an 'å' typed as 'a' and a ring is still an 'å'.
    composed = unicodedata.normalize("NFC", text).casefold()
    for character in " ".join(composed.split()):
        character = same_as.get(character, character)
        if character in after_z:
            key.append(chr(_FIRST_AFTER_Z + after_z.index(character)))
        elif character == " ":
            key.append(character)
        else:
            key.append(fold(character))
    return "".join(key)
