"""Reading a tenant's configuration document (JSON) while collecting every problem in it, so a
bad document stops a service at start naming all of them at once (orders' workflows, tickets'
forms)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

from portal_kit.messages import LOCALES

E = TypeVar("E", bound=Enum)

# A tenant's texts of one thing, per locale.
Labels = Mapping[str, str]


def label_in(labels: Labels, locale: str, fallback: str) -> str:
    """The text in the locale, else the English one, else any, else `fallback`."""
    return labels.get(locale) or labels.get("en") or next(iter(labels.values()), fallback)


class ConfigurationError(ValueError):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class DocumentReader:
    """Collects every problem of a document instead of stopping at the first. `locales`: the
    tenant's, each of which every label must have."""

    def __init__(self, locales: Sequence[str] = ()) -> None:
        self.problems: list[str] = []
        self.locales = tuple(locales)

    def need(self, source: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
        value = source.get(key)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            self.problems.append(f"{where}.{key}: expected {kind.__name__}")
            return kind()
        return value

    def labels(
        self, source: Mapping[str, Any], where: str, key: str = "labels", *, required: bool = True
    ) -> dict[str, str]:
        """Texts per locale; with `required` (the default) at least one, and one for every
        locale of the tenant, so no screen falls back to a code."""
        labels = source.get(key)
        if labels is None and not required:
            return {}
        if not isinstance(labels, dict) or not labels:
            self.problems.append(f"{where}.{key}: at least one label is required")
            return {}
        for locale, text in labels.items():
            if locale not in LOCALES or not isinstance(text, str) or not text.strip():
                self.problems.append(f"{where}.{key}.{locale}: unknown locale or empty label")
        for locale in self.locales:
            if locale not in labels:
                self.problems.append(f"{where}.{key}: no label for locale {locale!r}")
        return {str(k): str(v) for k, v in labels.items() if isinstance(v, str)}

    def sources(self, raw: Mapping[str, Any], at: str, known: Iterable[str]) -> list[str]:
        """A transition's `from` (one status or a list) and its `to`, each a known status:
        the sources, with problems for anything unknown."""
        sources = raw.get("from")
        sources = [sources] if isinstance(sources, str) else sources
        if not isinstance(sources, list) or not sources:
            self.problems.append(f"{at}.from: one status or a list of statuses")
            sources = []
        codes = set(known)
        for code in [*sources, raw.get("to")]:
            if code and code not in codes:
                self.problems.append(f"{at}: unknown status {code!r}")
        return [str(s) for s in sources]

    def members(self, raw: Mapping[str, Any], key: str, kind: type[E], at: str) -> set[E]:
        """A list of `kind`'s values (a transition's actors), at least one."""
        found: set[E] = set()
        for value in self.need(raw, key, list, at):
            try:
                found.add(kind(value))
            except ValueError:
                self.problems.append(f"{at}.{key}: unknown {key[:-1]} {value!r}")
        if not found:
            self.problems.append(f"{at}.{key}: nobody may take this transition")
        return found

    def no_twice(self, codes: Sequence[Any], where: str, what: str) -> None:
        for duplicate in sorted({c for c in codes if codes.count(c) > 1}, key=str):
            self.problems.append(f"{where}: {what} {duplicate!r} is defined twice")

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigurationError(self.problems)
