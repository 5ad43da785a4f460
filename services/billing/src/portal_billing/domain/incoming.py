"""Contractors' invoices to the operator (Familjebostäder): registered with the contractor's own
invoice number, the amount and the reference 'AO' + the work order's number, written exactly so —
"Det är mycket viktigt att arbetsordernumret föregås av AO utan exempelvis mellanslag eller
bindestreck". A matched invoice tells the orders service to move the order to 'Fakturerad'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from portal_kit.domain import Aggregate, DomainError, new_id
from portal_kit.messages import Messages
from portal_kit.values import Problems, check_text

from portal_billing.domain.events import IncomingInvoiceMatched
from portal_billing.domain.money import check_currency, format_amount, parse_money

_ = Messages("portal_billing")

INVOICE_NUMBER_MAX = 40
AMOUNT_MAX = Decimal(1_000_000_000)
_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,39}$")


def parse_order_reference(text: str, prefix: str, *, field: str = "reference") -> str:
    """The work order number in `prefix` + number ('AO2375'): nothing between them, digits
    only; anything else is refused with the right form in the message."""
    cleaned = text.strip()
    example = f"{prefix}2375"
    if not cleaned:
        raise DomainError(_("this is required"), field=field, code="REQUIRED")
    number = cleaned[len(prefix) :] if cleaned.startswith(prefix) else None
    if number is None or not number.isascii() or not number.isdigit():
        raise DomainError(
            _(
                "write the reference as {prefix} followed by the work order number, without "
                "spaces or hyphens, like {example}",
                prefix=prefix,
                example=example,
            ),
            field=field,
            code="INVALID_REFERENCE",
        )
    return number


@dataclass(frozen=True)
class IncomingRequest:
    invoice_number: str
    amount: Decimal
    currency: str
    invoice_date: date
    order_number: str
    reference: str

    @classmethod
    def parse(
        cls,
        *,
        invoice_number: str,
        amount: str,
        currency: str,
        invoice_date: date,
        reference: str,
        prefix: str,
    ) -> IncomingRequest:
        problems = Problems()
        number = problems.check(
            lambda: check_text(
                invoice_number, field="invoiceNumber", max_length=INVOICE_NUMBER_MAX
            ),
            "",
        )
        if number and not _NUMBER.match(number):
            problems.add(
                DomainError(
                    _("letters, digits and / . _ - only"), field="invoiceNumber", code="INVALID"
                )
            )
        checked_currency = problems.check(lambda: check_currency(currency), "SEK")
        value = problems.check(
            lambda: parse_money(amount, checked_currency, field="amount", maximum=AMOUNT_MAX),
            Decimal(0),
        )
        order_number = problems.check(lambda: parse_order_reference(reference, prefix), "")
        problems.raise_if_any()
        return cls(
            invoice_number=number,
            amount=value,
            currency=checked_currency,
            invoice_date=invoice_date,
            order_number=order_number,
            reference=f"{prefix}{order_number}",
        )


@dataclass(kw_only=True)
class IncomingInvoice(Aggregate):
    contractor_organisation_id: str
    invoice_number: str
    amount: Decimal
    currency: str
    invoice_date: date
    reference: str
    order_id: str
    order_number: str
    registered_by: str
    registered_at: datetime

    @classmethod
    def match(
        cls,
        tenant: str,
        request: IncomingRequest,
        *,
        contractor_organisation_id: str,
        order_id: str,
        registered_by: str,
        now: datetime,
    ) -> IncomingInvoice:
        invoice = cls(
            id=new_id(),
            tenant=tenant,
            contractor_organisation_id=contractor_organisation_id,
            invoice_number=request.invoice_number,
            amount=request.amount,
            currency=request.currency,
            invoice_date=request.invoice_date,
            reference=request.reference,
            order_id=order_id,
            order_number=request.order_number,
            registered_by=registered_by,
            registered_at=now,
        )
        invoice.record(
            IncomingInvoiceMatched(
                incoming_invoice_id=invoice.id,
                contractor_organisation_id=contractor_organisation_id,
                order_id=order_id,
                order_number=request.order_number,
                reference=request.reference,
                currency=request.currency,
                amount=format_amount(request.amount, request.currency),
            )
        )
        return invoice
