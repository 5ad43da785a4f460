"""GraphQL input types of the orders subgraph and their translation into domain values."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from enum import Enum
from typing import Any, cast

import strawberry
from portal_kit.domain import DomainError, ValidationFailed
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from portal_orders.domain import record
from portal_orders.domain.messages import _
from portal_orders.domain.order import OrderDraft
from portal_orders.service_layer.attachments import Upload as FileUpload

# Base64 larger than this cannot decode to a file any tenant accepts; refused before decoding.
MAX_BASE64 = 15 * 1024 * 1024


@strawberry.input(name="OrderContactInput")
class PersonInput:
    user_id: strawberry.ID | None = None
    name: str = ""
    email: str = ""
    phone: str = ""
    account: str = ""

    def value(self) -> record.Person:
        return record.Person(
            str(self.user_id) if self.user_id else None,
            self.name,
            self.email,
            self.phone,
            self.account,
        )


@strawberry.enum(name="ResidentPhoneKind")
class PhoneKind(Enum):
    HOME = "home"
    WORK = "work"
    MOBILE = "mobile"
    OTHER = "other"


@strawberry.input(name="ResidentPhoneInput")
class PhoneInput:
    kind: PhoneKind
    number: str
    preferred: bool = False


@strawberry.input(name="OrderResidentInput")
class ResidentInput:
    name: str = ""
    phones: list[PhoneInput] = strawberry.field(default_factory=list)
    email: str = ""
    user_id: strawberry.ID | None = None
    move_in_date: date | None = None
    access_permitted: bool | None = None
    key_info: str = ""
    comment: str = ""

    def value(self) -> record.Resident:
        if sum(1 for p in self.phones if p.preferred) > 1:
            raise DomainError(_("mark one phone number as preferred"), field="resident.phones")
        if len(self.phones) > 6:
            raise DomainError(_("at most {limit} phone numbers", limit=6), field="resident.phones")
        return record.Resident(
            name=self.name,
            phones=tuple(record.Phone(p.kind.value, p.number, p.preferred) for p in self.phones),
            email=self.email,
            user_id=str(self.user_id) if self.user_id else None,
            move_in_date=self.move_in_date,
            access_permitted=self.access_permitted,
            key_info=self.key_info,
            comment=self.comment,
        )


@strawberry.input(name="OrderAddressInput")
class AddressInput:
    street: str = ""
    postal_code: str = ""
    city: str = ""


@strawberry.input(name="OrderObjectInput")
class ObjectInput:
    number: str = ""
    object_type: str = ""
    floor: int | None = None
    floors: int | None = None
    elevator: bool | None = None
    address: AddressInput | None = None

    def value(self) -> record.ObjectInfo:
        a = self.address or AddressInput()
        return record.ObjectInfo(
            self.number,
            self.object_type,
            self.floor,
            self.floors,
            self.elevator,
            record.Address(a.street, a.postal_code, a.city),
        )


@strawberry.input(name="OrderAvserInput")
class AvserInput:
    space: str = ""
    space_code: str = ""
    unit: str = ""
    properties: str = ""
    serial_number: str = ""
    installed: date | None = None
    last_maintenance: date | None = None
    phrase: str = ""
    description: str = ""
    unit_note: str = ""
    appliance: bool = False

    def value(self) -> record.Avser:
        return record.Avser(**{name: getattr(self, name) for name in record.Avser.__annotations__})


@strawberry.input(name="OrderCustomerRequestInput")
class CustomerRequestInput:
    desired_delivery: str = ""
    quantity: str = ""
    contact_person: str = ""
    invoice_marking: str = ""
    location: str = ""

    def value(self) -> record.CustomerRequest:
        return record.CustomerRequest(
            self.desired_delivery,
            self.quantity,
            self.contact_person,
            self.invoice_marking,
            self.location,
        )


@strawberry.input
class CreateOrderInput:
    description: str
    customer_organisation_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The customer organisation or department the order is for; a customer's "
        "active organisation when left out.",
    )
    order_type: str | None = strawberry.field(
        default=None,
        description="Code of one of the tenant's order types; its default if left out.",
    )
    priority: str | None = strawberry.field(
        default=None, description="Code of a priority; the tenant's default when left out."
    )
    order_date: date | None = strawberry.field(default=None, description="Today when left out.")
    assignee_organisation_id: strawberry.ID | None = None
    assignee_contact: PersonInput | None = None
    operator_contact: PersonInput | None = None
    resident: ResidentInput | None = None
    object: ObjectInput | None = None
    admin_area: str = ""
    search_areas: list[str] = strawberry.field(default_factory=list)
    avser: AvserInput | None = None
    customer_request: CustomerRequestInput | None = None
    planned_date: date | None = None

    def draft(self, today: date) -> OrderDraft:
        problems: list[DomainError] = []
        resident = None
        if self.resident is not None:
            try:
                resident = self.resident.value()
            except DomainError as error:
                problems.append(error)
        if len(self.search_areas) > 10:
            problems.append(DomainError(_("at most {limit}", limit=10), field="searchAreas"))
        if problems:
            raise ValidationFailed(problems)
        return OrderDraft(
            order_type=self.order_type or "",
            priority=self.priority or "",
            description=self.description,
            customer_organisation_id=(
                str(self.customer_organisation_id) if self.customer_organisation_id else ""
            ),
            order_date=self.order_date or today,
            assignee_organisation_id=(
                str(self.assignee_organisation_id) if self.assignee_organisation_id else None
            ),
            assignee_contact=self.assignee_contact.value() if self.assignee_contact else None,
            operator_contact=self.operator_contact.value() if self.operator_contact else None,
            resident=resident,
            object=self.object.value() if self.object else None,
            admin_area=self.admin_area,
            search_areas=tuple(self.search_areas),
            avser=self.avser.value() if self.avser else None,
            customer_request=self.customer_request.value() if self.customer_request else None,
            planned_date=self.planned_date,
        )


@strawberry.input(description="Fields to change; those left out (null) stay as they are.")
class OrderChangesInput:
    action_taken: str | None = None
    fault_type: str | None = None
    root_cause: str | None = None
    agreed_appointment: datetime | None = None
    planned_date: date | None = None
    avser_properties: str | None = None
    avser_serial_number: str | None = None
    assignee_contact: PersonInput | None = None
    description: str | None = None
    priority: str | None = None
    operator_contact: PersonInput | None = None
    resident: ResidentInput | None = None
    object: ObjectInput | None = None
    admin_area: str | None = None
    avser: AvserInput | None = None
    customer_request: CustomerRequestInput | None = None

    def changes(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in (
            "action_taken",
            "fault_type",
            "root_cause",
            "agreed_appointment",
            "planned_date",
            "description",
            "priority",
            "admin_area",
        ):
            value = getattr(self, name)
            if value is not None:
                found[name] = value
        if self.avser_properties is not None:
            found["avser.properties"] = self.avser_properties
        if self.avser_serial_number is not None:
            found["avser.serial_number"] = self.avser_serial_number
        for name in (
            "assignee_contact",
            "operator_contact",
            "resident",
            "object",
            "avser",
            "customer_request",
        ):
            value = getattr(self, name)
            if value is not None:
                found[name] = value.value()
        return found


@strawberry.input
class AssignOrderInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version of the order the client saw.")
    assignee_organisation_id: strawberry.ID
    assignee_contact: PersonInput | None = None


@strawberry.input
class EditOrderInput:
    id: strawberry.ID
    version: int
    changes: OrderChangesInput


@strawberry.input
class TransitionOrderInput:
    id: strawberry.ID
    version: int
    status: str = strawberry.field(description="Code of the status to move to.")
    comment: str = strawberry.field(default="", description="Logged with the change.")
    changes: OrderChangesInput | None = strawberry.field(
        default=None, description="Fields set together with the change (e.g. fault type)."
    )


@strawberry.input
class AddOrderNoteInput:
    id: strawberry.ID
    version: int
    event: str = strawberry.field(description="Code of one of the workflow's note events.")
    phrase: str | None = None
    text: str = ""


@strawberry.input
class AskOrderQuestionInput:
    id: strawberry.ID
    version: int
    text: str


@strawberry.input
class AnswerOrderQuestionInput:
    id: strawberry.ID
    version: int
    question_id: strawberry.ID
    text: str


@strawberry.input(name="OrderAttachmentInput")
class AttachmentInput:
    filename: str
    file: Upload | None = strawberry.field(
        default=None,
        description=(
            "The file, as a part of a GraphQL multipart request (the gateway takes files up to "
            "the tenant's attachment limit); its type is read from the content, never from the "
            "client."
        ),
    )
    content_base64: str | None = strawberry.field(
        default=None,
        description="The file, base64 in the JSON request: small files only.",
        deprecation_reason="send `file` in a GraphQL multipart request",
    )

    async def upload(self, index: int, max_bytes: int | None) -> FileUpload:
        """The file's bytes: from the multipart part (read to one byte past the tenant's limit,
        so a larger file is refused as TOO_LARGE without being read whole) or from base64."""
        field = f"attachments.{index}.content"
        if (self.file is None) == (self.content_base64 is None):
            raise DomainError(_("send the file in `file` (or in `contentBase64`)"), field=field)
        if self.file is not None:
            limit = (MAX_BASE64 if max_bytes is None else max_bytes) + 1
            data = await cast(UploadFile, self.file).read(limit)
            return FileUpload(self.filename, data, index)
        content = self.content_base64 or ""
        if len(content) > MAX_BASE64:
            raise DomainError(_("the file is too large"), field=field, code="TOO_LARGE")
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(_("not valid base64"), field=field, code="INVALID") from None
        return FileUpload(self.filename, data, index)


@strawberry.input
class AddOrderCommentInput:
    id: strawberry.ID
    version: int
    text: str = ""
    visibility: str | None = strawberry.field(
        default=None, description="internal (staff only), contractor or resident."
    )
    attachments: list[AttachmentInput] = strawberry.field(default_factory=list)


@strawberry.input
class AddBookingSlotInput:
    id: strawberry.ID
    version: int
    starts_at: datetime
    ends_at: datetime
    place: str
    capacity: int
    cut_off: datetime | None = strawberry.field(
        default=None, description="Last moment customers may book or unbook; tenant default."
    )


@strawberry.input
class BookEmployeeInput:
    id: strawberry.ID
    version: int
    booking_id: strawberry.ID
    employee_id: strawberry.ID = strawberry.field(description="The people service's employee id.")


@strawberry.enum
class OrderView(Enum):
    ALL = "ALL"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"


@strawberry.enum
class OrderSortColumn(Enum):
    NUMBER = "NUMBER"
    STATUS = "STATUS"
    PRIORITY = "PRIORITY"
    ORDER_TYPE = "ORDER_TYPE"
    ORDER_DATE = "ORDER_DATE"
    EXPECTED_CONTACT_DATE = "EXPECTED_CONTACT_DATE"
    EXPECTED_DELIVERY_DATE = "EXPECTED_DELIVERY_DATE"
    DESCRIPTION = "DESCRIPTION"
    ASSIGNEE = "ASSIGNEE"
    ADDRESS = "ADDRESS"


@strawberry.input
class OrderSortInput:
    column: OrderSortColumn = OrderSortColumn.NUMBER
    descending: bool = False


@strawberry.input
class OrderFilterInput:
    search: str | None = strawberry.field(
        default=None,
        description=(
            "Words to find in number, description, address or phrase; the order whose number "
            "is the whole search comes first."
        ),
    )
    number: str | None = strawberry.field(
        default=None, description="Exactly this order number (no order that merely contains it)."
    )
    statuses: list[str] = strawberry.field(default_factory=list)
    order_types: list[str] = strawberry.field(default_factory=list)
    view: OrderView = OrderView.ALL
    order_date_from: date | None = None
    order_date_to: date | None = None
    expected_delivery_from: date | None = None
    expected_delivery_to: date | None = None
    bundle: str | None = None
    customer_organisation_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
