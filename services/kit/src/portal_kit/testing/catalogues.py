"""Checks that a package's user-facing messages exist in every locale (for the package's tests).

`missing_translations("portal_orders")` lists every marked message (`_()`, `_.label()`) that a
locale's catalogue lacks, leaves untranslated or fuzzy, or translates with other parameters;
`unmarked_messages("portal_orders")` lists refusals raised with a plain string, which no
catalogue could translate. Both are empty for a package whose users read their own language.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import string
from importlib import resources
from pathlib import Path

from babel.messages.extract import extract_from_dir

from portal_kit.domain import DomainError
from portal_kit.messages import LOCALES, SOURCE_LOCALE, catalogue

KEYWORDS = {"_": None, "label": ((1, "c"), 2)}


def marked_messages(package: str) -> list[tuple[str, str | None, str]]:
    """(template, context, where) of every marked message in the package's source."""
    source = Path(str(resources.files(package)))
    found = []
    for filename, lineno, message, _comments, context in extract_from_dir(
        source, keywords=KEYWORDS, comment_tags=()
    ):
        if isinstance(message, str):
            found.append((message, context, f"{filename}:{lineno}"))
    return found


def _placeholders(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def missing_translations(package: str, locales: tuple[str, ...] = LOCALES) -> list[str]:
    problems = []
    for template, context, where in marked_messages(package):
        for locale in locales:
            if locale == SOURCE_LOCALE:
                continue
            found = catalogue(package, locale)
            entry = None if found is None else found.get(template, context=context)
            if entry is None or not entry.string or entry.fuzzy:
                problems.append(f"{where}: {locale} lacks {template!r} ({context or 'message'})")
            elif _placeholders(str(entry.string)) != _placeholders(template):
                problems.append(f"{where}: {locale} has other parameters for {template!r}")
    return problems


def _refusals(package: str, kinds: tuple[type[Exception], ...] = (DomainError,)) -> set[str]:
    """Names of the refusals (`DomainError` kinds, or the given kinds) the package defines."""
    names = {kind.__name__ for kind in kinds}
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, f"{package}."):
        if module.name.endswith("__main__") or ".testing" in module.name:
            continue
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, type) and issubclass(value, kinds):
                names.add(value.__name__)
    return names


def unmarked_messages(
    package: str, kinds: tuple[type[Exception], ...] = (DomainError,)
) -> list[str]:
    """`SomeRefusal("plain text")`: a message no catalogue can translate (test helpers
    under `testing/` are left out: no user reads them). Refusals are `DomainError` kinds, or
    for a package with its own (the gateway's `GatewayError`), the `kinds` given."""
    source = Path(str(resources.files(package)))
    refusals = _refusals(package, kinds) | _refusals("portal_kit", kinds)
    problems = []
    for path in sorted(source.rglob("*.py")):
        if "testing" in path.relative_to(source).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            call = node
            name = call.func.id if isinstance(call.func, ast.Name) else None
            if isinstance(call.func, ast.Attribute):
                name = call.func.attr
            if name not in refusals:
                continue
            texts = call.args[:1] + [k.value for k in call.keywords if k.arg == "message"]
            if any(isinstance(t, ast.Constant | ast.JoinedStr) for t in texts):
                problems.append(f"{path.relative_to(source)}:{node.lineno}: {name}(...)")
    return problems
