"""Checking files attached to a ticket or a post: count, size and type per tenant, the type
sniffed from the content (the client's claim is never used), names free of national IDs."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import filetype  # type: ignore[import-untyped]
from portal_kit.domain import DomainError
from portal_kit.messages import Messages
from portal_kit.sensitive import check_no_national_id
from portal_kit.values import Problems, check_text

from portal_tickets.domain.configuration import AttachmentRules

_ = Messages("portal_tickets")


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    index: int = 0


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes


def content_type_of(data: bytes) -> str | None:
    kind = filetype.guess(data)
    if kind is not None:
        return str(kind.mime)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Plain text: what a log file or a copied error message is.
    return "text/plain" if all(c.isprintable() or c in "\r\n\t" for c in text) else None


def _checked_name(filename: str, at: str) -> str:
    """A file's name is shown under the ticket like its text: no national ID in it either."""
    field = f"{at}.filename"
    return check_no_national_id(check_text(filename, field=field, max_length=200), field=field)


def check_files(uploads: list[Upload], rules: AttachmentRules) -> list[CheckedFile]:
    """Every problem at once, as `ValidationFailed`, each naming `attachments.<i>...`."""
    problems = Problems()
    if len(uploads) > rules.max_files:
        problems.add(
            DomainError(
                _("at most {limit} files", limit=rules.max_files),
                field="attachments",
                code="TOO_MANY",
            )
        )
    checked: list[CheckedFile] = []
    for upload in uploads:
        at = f"attachments.{upload.index}"
        name = problems.check(functools.partial(_checked_name, upload.filename, at), "")
        if len(upload.data) > rules.max_bytes:
            problems.add(
                DomainError(
                    _("at most {limit} bytes", limit=rules.max_bytes),
                    field=f"{at}.file",
                    code="TOO_LARGE",
                )
            )
            continue
        if not upload.data:
            problems.add(DomainError(_("the file is empty"), field=f"{at}.file", code="EMPTY"))
            continue
        content_type = content_type_of(upload.data)
        if content_type is None or content_type not in rules.content_types:
            problems.add(
                DomainError(
                    _("files of this type are not allowed"),
                    field=f"{at}.file",
                    code="FORBIDDEN_TYPE",
                )
            )
            continue
        checked.append(CheckedFile(name, content_type, upload.data))
    problems.raise_if_any()
    return checked
