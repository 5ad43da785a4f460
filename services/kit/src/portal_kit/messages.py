"""Messages a user reads, in the caller's language, from per-locale gettext catalogues.

Code never holds the Norwegian, Swedish, Danish or Finnish text. A domain marks a message with
its package's marker — `_ = Messages("portal_orders")`, then `_("this slot is full")` or
`_("at most {limit} files", limit=5)` — which returns a `Message`: a `str` (the English text, so
logs and tests read it) that remembers its template, its parameters and the package it belongs
to. Codes a client displays (log entry kinds, statuses of a fixed platform workflow) are marked
with `labels.label("log entry kind", "created")`, a gettext message with a context; a code the
tenant labels itself (a workflow's status) goes into a message as `Labelled(code, labels)`, which
translates to the tenant's label. `code_label` reads a platform code's label.

Nothing is translated where the message is made. At the edge (`portal_kit.graphql.user_errors`,
a mail template) `translate(message, locale)` looks the template up in the package's catalogue
`<package>/locales/<locale>/LC_MESSAGES/messages.po` (read with Babel once, then cached) and fills
in the parameters. English is the template itself; a locale or a message missing from a catalogue
falls back to English, and `portal_kit.testing.catalogues` makes a test fail before that happens.

`python -m portal_kit.messages portal_orders` extracts a package's marked messages and adds the
new ones (untranslated) to each locale's catalogue, keeping what is translated.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LOCALES = ("nb", "sv", "da", "fi", "en")
SOURCE_LOCALE = "en"
CATALOGUE = "messages.po"

# The caller's language for the work being done; the kit's principal middleware sets it.
locale_var: ContextVar[str] = ContextVar("locale", default=SOURCE_LOCALE)


class Message(str):
    """A marked message: reads as its English text, translates by its template."""

    package: str
    template: str
    params: Mapping[str, Any]
    context: str | None

    def __new__(
        cls,
        package: str,
        template: str,
        params: Mapping[str, Any] | None = None,
        context: str | None = None,
    ) -> Message:
        params = dict(params or {})
        self = super().__new__(cls, template.format(**params) if params else template)
        self.package = package
        self.template = template
        self.params = params
        self.context = context
        return self


class Labelled(str):
    """A code a tenant labels itself (a status of its workflow), given to a message as a
    parameter: reads as the code, translates to the tenant's label in the locale (else English,
    else the code)."""

    labels: Mapping[str, str]

    def __new__(cls, code: str, labels: Mapping[str, str]) -> Labelled:
        self = super().__new__(cls, code)
        self.labels = dict(labels)
        return self


class Messages:
    """A package's marker for messages; call it `_` so gettext tools find the messages."""

    def __init__(self, package: str) -> None:
        self.package = package

    def __call__(self, template: str, /, **params: Any) -> Message:
        return Message(self.package, template, params)

    def label(self, context: str, code: str) -> Message:
        """The displayed form of a code, e.g. `label("log entry kind", "created")`."""
        return Message(self.package, code, context=context)


@cache
def catalogue(package: str, locale: str) -> Catalog | None:
    """The package's catalogue for a locale, or None when the package has none for it."""
    path = resources.files(package) / "locales" / locale / "LC_MESSAGES" / CATALOGUE
    if not path.is_file():
        return None
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def translate(text: str, locale: str | None = None) -> str:
    """The text in the locale (the caller's when not given); plain strings pass unchanged."""
    locale = locale or locale_var.get()
    if isinstance(text, Labelled):
        return text.labels.get(locale) or text.labels.get(SOURCE_LOCALE) or str(text)
    if not isinstance(text, Message):
        return text
    params = {name: translate(value, locale) for name, value in text.params.items()}
    template = text.template
    if locale != SOURCE_LOCALE and (found := catalogue(text.package, locale)) is not None:
        entry = found.get(text.template, context=text.context)
        if entry is not None and entry.string and not entry.fuzzy:
            template = str(entry.string)
    try:
        return template.format(**params) if params else template
    except (KeyError, IndexError, ValueError):
        # A translation naming a parameter the code does not give: English rather than a fault.
        return text.template.format(**params) if params else text.template


def code_label(labels: Mapping[str, Message], code: str, locale: str | None = None) -> str:
    """The label of a displayed code (`labels` maps codes to their `label()` messages) in the
    locale; in English, the catalogues' source whose template is the code itself, and for a code
    without a label, the code written as words ('status_changed': 'Status changed')."""
    found = labels.get(code)
    text = code if found is None else translate(found, locale)
    return text.replace("_", " ").capitalize() if text == code else text


def locale_for(requested: str | None, offered: tuple[str, ...], default: str) -> str:
    """The requested locale when the tenant offers it, else the tenant's default."""
    return requested if requested in offered else default


def _update_catalogues(package: str) -> None:
    # Kept out of the request path: a developer tool that writes files.
    from babel.messages.extract import extract_from_dir

    source = Path(str(resources.files(package)))
    template = Catalog(locale=SOURCE_LOCALE)
    keywords = {"_": None, "label": ((1, "c"), 2)}
    for filename, lineno, message, _comments, context in extract_from_dir(
        source, keywords=keywords, comment_tags=()
    ):
        template.add(message, locations=[(filename, lineno)], context=context)
    merge_into_catalogues(template, source, package)


def merge_into_catalogues(template: Catalog, source: Path, package: str) -> None:
    """Adds the template's new messages (untranslated) to each locale's catalogue of the package
    at `source`, keeping what is translated and dropping what is no longer used."""
    from babel.messages.pofile import write_po

    for locale in LOCALES:
        if locale == SOURCE_LOCALE:
            continue
        path = source / "locales" / locale / "LC_MESSAGES" / CATALOGUE
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file():
            with path.open("rb") as file:
                existing = read_po(file, locale=locale)
        else:
            existing = Catalog(locale=locale, project=package)
        existing.update(template, no_fuzzy_matching=True, update_creation_date=False)
        existing.obsolete.clear()
        # No header, no source locations: a catalogue changes only when its messages do, so
        # people editing different messages of one package do not conflict.
        with path.open("wb") as file:
            write_po(
                file, existing, width=100, omit_header=True, no_location=True, sort_output=True
            )
        print(f"{path}: {len(existing)} messages")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        _update_catalogues(name)
