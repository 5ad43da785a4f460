"""How the knowledge base reads text for search, without MongoDB's `$text` (which the in-memory
stand-in lacks): words are stemmed with the Snowball stemmer of their language (the
`snowballstemmer` package: Swedish, Finnish, Danish, Norwegian, English) and then folded (the
kit's `fold`: case and diacritics away), so 'Lösenordet', 'lösenord' and 'losenord' meet.

An article keeps the terms of each language version in its own document (`lang:term`, behind
an index); a query is analysed the same way, its last word also as a prefix (the reader is
still typing it). Ranking is done here: title matches above body matches."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]
from portal_kit.text import fold

# The stemmer of each language an article may be written in.
STEMMERS = {"sv": "swedish", "fi": "finnish", "da": "danish", "nb": "norwegian", "en": "english"}
LANGUAGES = tuple(STEMMERS)

MAX_QUERY_CHARACTERS = 200  # what a search reads of a query (a longer one is cut, never refused)
MAX_QUERY_TERMS = 8
MIN_PREFIX = 2  # a last word shorter than this is not matched as a prefix

TITLE_WEIGHT = 10
BODY_WEIGHT = 3
PREFIX_TITLE_WEIGHT = 6
PREFIX_BODY_WEIGHT = 2

_WORD = re.compile(r"\w+", re.UNICODE)


# Words too common to say what a text is about (a ticket's subject is full of them); left out of
# suggestions so that 'jag har glömt lösenordet' is about 'lösenordet'.
def _common(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS: dict[str, frozenset[str]] = {
    "sv": _common(
        "och i att det som en på är av för med till den har de inte om ett han men var jag sig "
        "från vi så kan man när år säger hon under också efter eller nu sin där vid mot ska "
        "skulle kommer ut får finns vara hur vad mitt min mig du hej inga ingen in"
    ),
    "fi": _common(
        "ja on ei se että oli ole en mutta kun niin kuin jos tai minä sinä hän me te he "
        "olen olet ovat mitä miten miksi voi en ei myös vain jo nyt hei"
    ),
    "da": _common(
        "og i at det en den til er som på de med han af for ikke der var mig sig men et har "
        "om vi min havde hun nu over da fra du ud sin dem os op man hans hvor eller hvad skal "
        "kan jeg hej"
    ),
    "nb": _common(
        "og i jeg det at en et den til er som på de med han av ikke der så var meg seg men "
        "ett har om vi min mitt ha hadde hun nå over da ved fra du ut sin dem oss opp man kan "
        "hans hvor eller hva skal hei"
    ),
    "en": _common(
        "a an and are as at be but by for from has have i in is it my not of on or that the "
        "this to was we with you can cannot how what do does hello hi"
    ),
}


@cache
def _stemmer(language: str) -> Any:  # snowballstemmer has no type hints
    return snowballstemmer.stemmer(STEMMERS[language])


def words(text: str) -> list[str]:
    """The words of a text, lower case (diacritics kept: the stemmers need them)."""
    return _WORD.findall(text.casefold().replace("_", " "))


@lru_cache(maxsize=65_536)
def stem(word: str, language: str) -> str:
    """The word's stem in `language`, folded (cached: snippets stem every word they show)."""
    return fold(_stemmer(language).stemWord(word))


def terms(text: str, language: str) -> list[str]:
    """The distinct folded stems of a text, in the order they first appear."""
    stemmer = _stemmer(language)
    return list(dict.fromkeys(fold(s) for s in stemmer.stemWords(words(text)) if s))


def keyed(language: str, found: Iterable[str]) -> list[str]:
    """Terms as the article's document stores them: `language:term`."""
    return [f"{language}:{term}" for term in found]


@dataclass(frozen=True)
class Query:
    """A query as the index is asked: whole-word stems, and the last word's beginning while it
    may still be typed."""

    language: str
    stems: tuple[str, ...]
    prefix: str | None

    @property
    def empty(self) -> bool:
        return not self.stems and not self.prefix


def parse_query(text: str, language: str, *, drop_stop_words: bool = False) -> Query:
    """The query's terms in `language`: at most `MAX_QUERY_TERMS` words of the first
    `MAX_QUERY_CHARACTERS` characters; only punctuation gives an empty query."""
    cut = text[:MAX_QUERY_CHARACTERS]
    found = words(cut)
    # The last word is still being typed unless something follows it (a blank, a full stop).
    typing = bool(found) and cut.rstrip() == cut and cut[-1:].isalnum()
    if drop_stop_words:
        common = STOP_WORDS[language]
        kept = [w for w in found if w not in common]
        typing = typing and bool(kept) and kept[-1] == found[-1]
        found = kept
    found = found[:MAX_QUERY_TERMS] if len(found) > MAX_QUERY_TERMS else found
    if not found:
        return Query(language, (), None)
    *complete, last = found
    stems = [stem(w, language) for w in complete]
    prefix = _typed_prefix(last, language) if typing else None
    if not prefix:
        stems.append(stem(last, language))
    return Query(language, tuple(dict.fromkeys(s for s in stems if s)), prefix)


def _typed_prefix(word: str, language: str) -> str | None:
    """What a word still being typed is matched as: the beginning its stem shares with it
    ('lösen' -> 'losen', 'salasanasi' -> 'salas', so 'salasanan' is found too); None when
    that is too short to say anything."""
    folded, stemmed = fold(word), stem(word, language)
    shared = 0
    for a, b in zip(folded, stemmed, strict=False):
        if a != b:
            break
        shared += 1
    prefix = folded[:shared]
    return prefix if len(prefix) >= MIN_PREFIX else None


def score(query: Query, title_terms: Sequence[str], body_terms: Sequence[str]) -> int:
    """How well a version's terms (unkeyed) answer the query: each stem found in the title
    counts more than one found in the body; the last word as a prefix a little less."""
    title, body = set(title_terms), set(body_terms)
    total = 0
    for term in query.stems:
        if term in title:
            total += TITLE_WEIGHT
        elif term in body:
            total += BODY_WEIGHT
    if query.prefix:
        if any(t.startswith(query.prefix) for t in title):
            total += PREFIX_TITLE_WEIGHT
        elif any(t.startswith(query.prefix) for t in body):
            total += PREFIX_BODY_WEIGHT
    return total


def matches_all(query: Query, all_terms: Iterable[str]) -> bool:
    """Whether every stem and the prefix are in a version's terms (what a search takes)."""
    present = set(all_terms)
    return all(t in present for t in query.stems) and (
        query.prefix is None or any(t.startswith(query.prefix) for t in present)
    )


SNIPPET_WORDS = 24
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def _plain(markdown: str) -> str:
    """Markdown's marks away, roughly: what a snippet is cut from."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", markdown)  # pictures
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: their text
    text = re.sub(r"[`*_#>~|]+", " ", text)
    return " ".join(text.split())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def snippet(query: Query, text: str, language: str) -> str:
    """A short piece of `text` (Markdown) around the first word the query matches, HTML-escaped,
    the matching words in `<mark>`; the beginning of the text when nothing matches."""
    plain = _plain(text)
    tokens = plain.split(" ")
    wanted = set(query.stems)

    def hit(token: str) -> bool:
        found = words(token)
        return any(
            stem(w, language) in wanted or (query.prefix and fold(w).startswith(query.prefix))
            for w in found
        )

    hits = [i for i, token in enumerate(tokens) if token and hit(token)]
    start = max(0, hits[0] - SNIPPET_WORDS // 3) if hits else 0
    window = tokens[start : start + SNIPPET_WORDS]
    marked = set(hits)
    pieces = [
        f"{MARK_OPEN}{_escape(t)}{MARK_CLOSE}" if start + i in marked else _escape(t)
        for i, t in enumerate(window)
    ]
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + SNIPPET_WORDS < len(tokens) else ""
    return prefix + " ".join(pieces) + suffix
