"""Which messages the mails need translated: those in the templates and those marked `texts`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from babel.messages.extract import extract_from_dir


def package_directory() -> Path:
    return Path(str(resources.files("portal_people.mails")))


def catalogue_directory() -> Path:
    return package_directory() / "locales"


def marked_messages() -> list[tuple[str, str | None, str]]:
    """(template, context, where) of every message a notification mail or refusal shows."""
    found: list[tuple[str, str | None, str]] = []
    templates = package_directory() / "templates"
    for filename, lineno, message, _comments, context in extract_from_dir(
        templates,
        method_map=[("**.j2", "jinja2"), ("**.html", "jinja2"), ("**.txt", "jinja2")],
        keywords={"_": None},
        comment_tags=(),
    ):
        if isinstance(message, str):
            found.append((message, context, f"templates/{filename}:{lineno}"))
    people = package_directory().parent
    for filename, lineno, message, _comments, context in extract_from_dir(
        people, method_map=[("**.py", "python")], keywords={"texts": None}, comment_tags=()
    ):
        if isinstance(message, str):
            found.append((message, context, f"{filename}:{lineno}"))
    return found
