"""Checking uploaded files: size and type per tenant, the type sniffed from the content."""

from __future__ import annotations

from dataclasses import dataclass

import filetype  # type: ignore[import-untyped]
from portal_kit.domain import DomainError
from portal_kit.sensitive import check_no_national_id
from portal_kit.values import Problems, check_text

from portal_orders.domain.messages import _
from portal_orders.domain.workflow import AttachmentRules

MAX_FILES = 10


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    index: int = 0


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are; the client's claim is never used."""
    kind = filetype.guess(data)
    return None if kind is None else str(kind.mime)


def check_uploads(uploads: list[Upload], rules: AttachmentRules) -> list[CheckedUpload]:
    problems = Problems()
    if len(uploads) > MAX_FILES:
        problems.add(
            DomainError(
                _("at most {limit} files", limit=MAX_FILES), field="attachments", code="TOO_MANY"
            )
        )
    checked: list[CheckedUpload] = []
    for upload in uploads:
        field = f"attachments.{upload.index}"
        name = _checked_name(upload.filename, f"{field}.filename", problems)
        if len(upload.data) > rules.max_bytes:
            problems.add(
                DomainError(
                    _("at most {limit} bytes", limit=rules.max_bytes),
                    field=f"{field}.content",
                    code="TOO_LARGE",
                )
            )
            continue
        if not upload.data:
            problems.add(
                DomainError(_("the file is empty"), field=f"{field}.content", code="EMPTY")
            )
            continue
        content_type = sniff(upload.data)
        if content_type is None or content_type not in rules.content_types:
            problems.add(
                DomainError(
                    _(
                        "files of this type are not allowed; allowed: {types}",
                        types=", ".join(sorted(rules.content_types)),
                    ),
                    field=f"{field}.content",
                    code="FORBIDDEN_TYPE",
                )
            )
            continue
        checked.append(CheckedUpload(name, content_type, upload.data))
    problems.raise_if_any()
    return checked


def _checked_name(filename: str, field: str, problems: Problems) -> str:
    """A file's name is shown in the dialog like its comment: no national ID in it either."""
    return problems.check(
        lambda: check_no_national_id(
            check_text(filename, field=field, max_length=200), field=field
        ),
        "",
    )
