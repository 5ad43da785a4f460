"""GraphQL input types of the tickets subgraph. Which fields a tenant's form has and which it
requires is its configuration (`ticketForm`); a field the form does not have is refused."""

from __future__ import annotations

import base64
import binascii
from typing import cast

import strawberry
from portal_kit.domain import DomainError
from portal_kit.messages import Messages
from portal_kit.values import Problems
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from portal_tickets.service_layer.files import Upload as FileUpload

_ = Messages("portal_tickets")

# Base64 larger than this cannot decode to a file any tenant accepts; refused before decoding.
MAX_BASE64 = 40 * 1024 * 1024
MAX_FILES_READ = 20


@strawberry.input
class TicketFileInput:
    filename: str
    file: Upload | None = strawberry.field(
        default=None,
        description="The file, as a part of a GraphQL multipart request; its type is read from "
        "the content, never from the client.",
    )
    content_base64: str | None = strawberry.field(
        default=None, description="The file, base64 in the JSON request: small files only."
    )

    async def upload(self, index: int, max_bytes: int) -> FileUpload:
        """The file's bytes: from the multipart part (read to one byte past the tenant's limit,
        so a larger file is refused as TOO_LARGE without being read whole) or from base64."""
        field = f"attachments.{index}.file"
        if (self.file is None) == (self.content_base64 is None):
            raise DomainError(_("send the file in `file` or in `contentBase64`"), field=field)
        if self.file is not None:
            data = await cast(UploadFile, self.file).read(max_bytes + 1)
            return FileUpload(self.filename, data, index)
        content = self.content_base64 or ""
        if len(content) > MAX_BASE64:
            raise DomainError(_("the file is too large"), field=field, code="TOO_LARGE")
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(_("not valid base64"), field=field, code="INVALID") from None
        return FileUpload(self.filename, data, index)


async def read_files(files: list[TicketFileInput] | None, max_bytes: int) -> list[FileUpload]:
    """Every file of an input; each problem named, all at once."""
    problems = Problems()
    uploads: list[FileUpload] = []
    for index, item in enumerate((files or [])[:MAX_FILES_READ]):
        uploaded = await _read(problems, item, index, max_bytes)
        if uploaded is not None:
            uploads.append(uploaded)
    if len(files or []) > MAX_FILES_READ:
        problems.add(
            DomainError(
                _("at most {limit} files", limit=MAX_FILES_READ),
                field="attachments",
                code="TOO_MANY",
            )
        )
    problems.raise_if_any()
    return uploads


async def _read(
    problems: Problems, item: TicketFileInput, index: int, max_bytes: int
) -> FileUpload | None:
    try:
        return await item.upload(index, max_bytes)
    except DomainError as problem:
        problems.add(problem)
        return None


@strawberry.input
class CreateTicketInput:
    organisation_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The customer ('Kunde'); the creator must belong to it. Left out: the "
        "active customer, or the only one.",
    )
    service: str | None = strawberry.field(
        default=None, description="Code of the product or service ('Produkt', 'Tjänst')."
    )
    sub_service: str | None = None
    ticket_type: str | None = strawberry.field(
        default=None, description="Code of a ticket type; the tenant's default when left out."
    )
    urgency: str | None = None
    impact: str | None = None
    topic: str | None = None
    subject: str | None = None
    title: str | None = None
    description: str | None = None
    private: bool | None = strawberry.field(
        default=None, description="Only the creator (and staff) see a private ticket."
    )
    attachments: list[TicketFileInput] | None = None


@strawberry.input
class UpdateTicketInput:
    id: strawberry.ID
    version: int
    service: str | None = None
    sub_service: str | None = None
    ticket_type: str | None = None
    urgency: str | None = None
    impact: str | None = None
    topic: str | None = None
    subject: str | None = None
    title: str | None = None
    description: str | None = None


@strawberry.input
class ChangeTicketStatusInput:
    id: strawberry.ID
    version: int
    status: str = strawberry.field(description="Code of a status of the tenant's workflow.")


@strawberry.input
class TicketVersionInput:
    id: strawberry.ID
    version: int


@strawberry.input
class AssignTicketInput:
    id: strawberry.ID
    version: int
    team_code: str | None = None
    user_id: strawberry.ID | None = None


@strawberry.input
class AddTicketPostInput:
    id: strawberry.ID
    version: int
    text: str
    internal: bool = strawberry.field(
        default=False, description="An internal note, for staff alone."
    )
    attachments: list[TicketFileInput] | None = None


@strawberry.input
class TicketFollowerInput:
    id: strawberry.ID
    version: int
    user_id: strawberry.ID
