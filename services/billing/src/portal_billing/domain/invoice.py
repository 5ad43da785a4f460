"""Invoices to the organisations that pay for orders.

The payer organisation id is an opaque string owned by the people service; this slice checks
only its shape. Invoice runs from billable orders, issuing, payments and credit notes come in
later issues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial

from portal_kit.domain import Aggregate, DomainError, new_id
from portal_kit.values import Problems, check_reference, check_text

from portal_billing.domain.events import InvoiceCreated
from portal_billing.domain.money import (
    check_currency,
    format_amount,
    parse_decimal,
    round_to_cents,
)

LINE_DESCRIPTION_MAX = 500
MAX_LINES = 500
QUANTITY_PLACES = 3
QUANTITY_MAX = Decimal(1_000_000)
PRICE_PLACES = 2
PRICE_MAX = Decimal(1_000_000_000)


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"
    CREDITED = "credited"


def format_number(sequence: int) -> str:
    """The invoice number; the tenant's reference format ('AO' + number) comes with
    configuration."""
    if sequence < 1:
        raise ValueError("invoice sequences start at 1")
    return str(sequence)


@dataclass(frozen=True)
class LineInput:
    """One line as the client sent it: all strings, nothing checked yet."""

    description: str
    quantity: str
    unit_price: str


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    quantity: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        """Quantity times unit price, rounded half up to whole cents."""
        return round_to_cents(self.quantity * self.unit_price)

    @classmethod
    def parse(cls, line: LineInput, index: int) -> InvoiceLine:
        prefix = f"lines.{index}."
        problems = Problems()
        description = problems.check(
            lambda: check_text(
                line.description,
                field=prefix + "description",
                max_length=LINE_DESCRIPTION_MAX,
            ),
            "",
        )
        quantity = problems.check(
            lambda: parse_decimal(
                line.quantity,
                field=prefix + "quantity",
                places=QUANTITY_PLACES,
                maximum=QUANTITY_MAX,
                positive=True,
            ),
            Decimal(0),
        )
        unit_price = problems.check(
            lambda: parse_decimal(
                line.unit_price, field=prefix + "unitPrice", places=PRICE_PLACES, maximum=PRICE_MAX
            ),
            Decimal(0),
        )
        problems.raise_if_any()
        return cls(description=description, quantity=quantity, unit_price=unit_price)


@dataclass(frozen=True)
class InvoiceRequest:
    """The checked input of a new invoice, before it gets a number."""

    payer_organisation_id: str
    currency: str
    lines: tuple[InvoiceLine, ...]

    @classmethod
    def parse(
        cls, *, payer_organisation_id: str, currency: str, lines: Sequence[LineInput]
    ) -> InvoiceRequest:
        """Every problem at once, as `ValidationFailed`."""
        problems = Problems()
        payer = problems.check(
            lambda: check_reference(
                payer_organisation_id, field="payerOrganisationId", what="organisation"
            ),
            "",
        )
        checked_currency = problems.check(lambda: check_currency(currency), "")
        if not lines:
            problems.add(DomainError("an invoice has at least one line", field="lines"))
        elif len(lines) > MAX_LINES:
            problems.add(DomainError(f"at most {MAX_LINES} lines", field="lines", code="TOO_LARGE"))
        checked: list[InvoiceLine] = []
        for index, line in enumerate(lines[:MAX_LINES]):
            parsed = problems.check(partial(InvoiceLine.parse, line, index), None)
            if parsed is not None:
                checked.append(parsed)
        problems.raise_if_any()
        return cls(payer_organisation_id=payer, currency=checked_currency, lines=tuple(checked))

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


@dataclass(kw_only=True)
class Invoice(Aggregate):
    sequence: int
    number: str
    payer_organisation_id: str
    status: InvoiceStatus
    issue_date: date | None
    due_date: date | None
    currency: str
    lines: tuple[InvoiceLine, ...]
    total: Decimal
    outstanding: Decimal
    created_at: datetime

    @classmethod
    def create(
        cls, tenant: str, sequence: int, request: InvoiceRequest, *, created_at: datetime
    ) -> Invoice:
        """A draft: no issue or due date yet; nothing paid, so all of it is outstanding."""
        if created_at.utcoffset() is None:
            raise ValueError("created_at must carry its UTC offset")
        total = request.total
        invoice = cls(
            id=new_id(),
            tenant=tenant,
            sequence=sequence,
            number=format_number(sequence),
            payer_organisation_id=request.payer_organisation_id,
            status=InvoiceStatus.DRAFT,
            issue_date=None,
            due_date=None,
            currency=request.currency,
            lines=request.lines,
            total=total,
            outstanding=total,
            created_at=created_at,
        )
        invoice.record(
            InvoiceCreated(
                invoice_id=invoice.id,
                number=invoice.number,
                payer_organisation_id=invoice.payer_organisation_id,
                status=invoice.status.value,
                currency=invoice.currency,
                total=format_amount(total),
                line_count=len(invoice.lines),
            )
        )
        return invoice

    def is_overdue(self, today: date) -> bool:
        """Issued, not fully paid, and past its due date."""
        return (
            self.status is InvoiceStatus.ISSUED
            and self.outstanding > 0
            and self.due_date is not None
            and self.due_date < today
        )
