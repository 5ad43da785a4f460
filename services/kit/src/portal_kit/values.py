"""Checks of raw input values: free text, codes and references to other services' entities.

Every check either returns the cleaned value or raises a `DomainError` naming the input field, so
no input, however malformed, gets further than the domain. `Problems` gathers several so the
client sees them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import TypeVar

from portal_kit.domain import DomainError, NotFound, ValidationFailed
from portal_kit.messages import Message, Messages

T = TypeVar("T")
_ = Messages("portal_kit")

# Lone surrogates cannot be stored (BSON is UTF-8) nor sent back (JSON); control characters other
# than tab and newline have no place in text people type.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Ids of other services' entities are opaque; these are the characters such ids are made of.
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


def check_text(
    value: str, *, field: str, max_length: int, required: bool = True, multiline: bool = False
) -> str:
    """Text without surrounding blanks; one line unless `multiline` (then \\r\\n becomes \\n)."""
    if _SURROGATE.search(value):
        raise DomainError(_("the text contains characters that are not valid"), field=field)
    if multiline:
        cleaned = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    else:
        cleaned = " ".join(value.split())
    if _CONTROL.search(cleaned):
        raise DomainError(_("the text contains control characters"), field=field)
    if required and not cleaned:
        raise DomainError(_("this is required"), field=field, code="REQUIRED")
    if len(cleaned) > max_length:
        raise DomainError(
            _("at most {max_length} characters", max_length=max_length),
            field=field,
            code="TOO_LONG",
        )
    return cleaned


def check_code(value: str, *, field: str, allowed: Collection[str]) -> str:
    """One of the stable codes the tenant offers for this field."""
    cleaned = value.strip()
    if not cleaned:
        raise DomainError(_("this is required"), field=field, code="REQUIRED")
    if cleaned not in allowed:
        raise DomainError(
            _("unknown code; one of: {codes}", codes=", ".join(sorted(allowed))),
            field=field,
            code="UNKNOWN_CODE",
        )
    return cleaned


def check_reference(value: str, *, field: str, what: str | Message) -> str:
    """An id of another service's entity; one that cannot exist answers like a missing one."""
    cleaned = value.strip()
    if not cleaned:
        raise DomainError(_("this is required"), field=field, code="REQUIRED")
    if not _REFERENCE.match(cleaned):
        raise NotFound(_("no such {what}", what=what), field=field)
    return cleaned


class Problems:
    """Runs checks, keeping their results and collecting what they refuse."""

    def __init__(self) -> None:
        self.found: list[DomainError] = []

    def check(self, check: Callable[[], T], fallback: T) -> T:
        try:
            return check()
        except ValidationFailed as failed:
            self.found.extend(failed.problems)
        except DomainError as problem:
            self.found.append(problem)
        return fallback

    def about(self, field: str) -> bool:
        """Whether a problem with this field was found already."""
        return any(problem.field == field for problem in self.found)

    def add(self, problem: DomainError) -> None:
        self.found.append(problem)

    def raise_if_any(self) -> None:
        if self.found:
            raise ValidationFailed(self.found)
