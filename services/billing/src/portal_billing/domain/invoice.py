"""Invoices to the organisations that pay for orders (Avonova's 'Fakturaer').

A draft is drawn up by staff or by an invoice run; issuing gives it its number in the tenant's
format (`2017-118350`), its invoice and due date (payment terms) and its payment reference (KID
in Norway). Payments and credit notes lower what is outstanding, never below zero:
outstanding = total − payments − credits, always. Overdue ('Forfalt') and unpaid ('Ubetalt') are
derived from the status, the due date and the outstanding amount, never stored.

The payer id is an opaque string owned by the people service; the use cases check it against
billing's read model of people's organisations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import partial

from portal_kit.domain import Aggregate, DomainError, StaleVersion, new_id
from portal_kit.messages import Messages
from portal_kit.values import Problems, check_reference, check_text
from stdnum import luhn

from portal_billing.domain.configuration import BillingConfiguration
from portal_billing.domain.events import (
    InvoiceCreated,
    InvoiceCredited,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoicePartPaid,
)
from portal_billing.domain.money import (
    check_currency,
    format_amount,
    parse_decimal,
    parse_money,
    round_money,
)

_ = Messages("portal_billing")

LINE_DESCRIPTION_MAX = 500
MARKING_MAX = 100
REFERENCE_MAX = 100
MAX_LINES = 500
QUANTITY_PLACES = 3
QUANTITY_MAX = Decimal(1_000_000)
PRICE_PLACES = 2
PRICE_MAX = Decimal(1_000_000_000)
AMOUNT_MAX = Decimal(1_000_000_000_000)


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"
    CREDITED = "credited"


class ListStatus(StrEnum):
    """What the list shows ('Status' in Avonova's list): issued splits into unpaid and overdue."""

    DRAFT = "draft"
    UNPAID = "unpaid"
    OVERDUE = "overdue"
    PAID = "paid"
    CREDITED = "credited"


def kid(number: str) -> str:
    """A Norwegian KID for an invoice number: its digits and a MOD10 (Luhn) check digit."""
    digits = "".join(c for c in number if c.isdigit())
    return digits + luhn.calc_check_digit(digits)


@dataclass(frozen=True)
class LineInput:
    """One line as the client sent it: all strings, nothing checked yet."""

    description: str
    quantity: str
    unit_price: str
    vat_rate: str | None = None


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal = Decimal(0)
    order_id: str | None = None
    order_number: str | None = None

    def net(self, currency: str) -> Decimal:
        """Quantity times unit price, rounded half up to the currency's minor unit."""
        return round_money(self.quantity * self.unit_price, currency)

    @property
    def amount(self) -> Decimal:
        return self.net("NOK")

    @classmethod
    def parse(
        cls, line: LineInput, index: int, configuration: BillingConfiguration | None
    ) -> InvoiceLine:
        prefix = f"lines.{index}."
        problems = Problems()
        description = problems.check(
            lambda: check_text(
                line.description, field=prefix + "description", max_length=LINE_DESCRIPTION_MAX
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
        rate = configuration.default_vat_rate if configuration else Decimal(0)
        if line.vat_rate is not None:
            rate = problems.check(
                lambda: parse_decimal(
                    str(line.vat_rate),
                    field=prefix + "vatRate",
                    places=2,
                    maximum=Decimal(100),
                ),
                rate,
            )
            allowed = configuration.vat_rates if configuration else (Decimal(0),)
            if not problems.about(prefix + "vatRate") and rate not in allowed:
                problems.add(
                    DomainError(
                        _(
                            "not a VAT rate of this tenant; one of: {rates}",
                            rates=", ".join(format(r, "f") for r in allowed),
                        ),
                        field=prefix + "vatRate",
                        code="UNKNOWN_CODE",
                    )
                )
        problems.raise_if_any()
        return cls(description=description, quantity=quantity, unit_price=unit_price, vat_rate=rate)


@dataclass(frozen=True)
class Payer:
    """The paying organisation as billing knows it from people's events, kept on the invoice as
    it was when the invoice was drawn up."""

    organisation_id: str
    name: str = ""
    organisation_number: str | None = None


@dataclass(frozen=True)
class InvoiceRequest:
    """The checked input of a new draft."""

    payer_organisation_id: str
    currency: str
    lines: tuple[InvoiceLine, ...]
    invoice_marking: str = ""
    language: str = ""

    @classmethod
    def parse(
        cls,
        *,
        payer_organisation_id: str,
        currency: str,
        lines: Sequence[LineInput],
        configuration: BillingConfiguration | None = None,
        invoice_marking: str = "",
        language: str | None = None,
    ) -> InvoiceRequest:
        """Every problem at once, as `ValidationFailed`."""
        problems = Problems()
        payer = problems.check(
            lambda: check_reference(
                payer_organisation_id, field="payerOrganisationId", what=_("organisation")
            ),
            "",
        )
        checked_currency = problems.check(lambda: check_currency(currency), "")
        marking = problems.check(
            lambda: check_text(
                invoice_marking, field="invoiceMarking", max_length=MARKING_MAX, required=False
            ),
            "",
        )
        chosen = ""
        if configuration is not None:
            chosen = configuration.default_locale
            if language:
                if language not in configuration.locales:
                    problems.add(
                        DomainError(
                            _(
                                "not a language of this tenant; one of: {codes}",
                                codes=", ".join(configuration.locales),
                            ),
                            field="language",
                            code="UNKNOWN_CODE",
                        )
                    )
                else:
                    chosen = language
        if not lines:
            problems.add(DomainError(_("an invoice has at least one line"), field="lines"))
        elif len(lines) > MAX_LINES:
            problems.add(
                DomainError(
                    _("at most {limit} lines", limit=MAX_LINES), field="lines", code="TOO_LARGE"
                )
            )
        checked: list[InvoiceLine] = []
        for index, line in enumerate(lines[:MAX_LINES]):
            parsed = problems.check(partial(InvoiceLine.parse, line, index, configuration), None)
            if parsed is not None:
                checked.append(parsed)
        problems.raise_if_any()
        return cls(
            payer_organisation_id=payer,
            currency=checked_currency,
            lines=tuple(checked),
            invoice_marking=marking,
            language=chosen,
        )


@dataclass(frozen=True)
class Payment:
    amount: Decimal
    paid_on: date
    reference: str
    recorded_at: datetime


@dataclass(frozen=True)
class CreditNote:
    """A credit note: its own number from the invoice series, referring to this invoice."""

    number: str
    amount: Decimal
    issued_on: date
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class VatSubtotal:
    rate: Decimal
    net: Decimal
    vat: Decimal


def vat_breakdown(lines: Sequence[InvoiceLine], currency: str) -> list[VatSubtotal]:
    """Net and VAT per rate, the VAT rounded once per rate (EN 16931's way)."""
    nets: dict[Decimal, Decimal] = {}
    for line in lines:
        nets[line.vat_rate] = nets.get(line.vat_rate, Decimal(0)) + line.net(currency)
    return [
        VatSubtotal(rate, net, round_money(net * rate / 100, currency))
        for rate, net in sorted(nets.items())
    ]


def _check_version(aggregate: Aggregate, version: int | None) -> None:
    if version is not None and version != aggregate.version:
        raise StaleVersion(
            _("it was changed by someone else since you loaded it; reload and try again"),
            field="version",
        )


@dataclass(kw_only=True)
class Invoice(Aggregate):
    payer: Payer
    status: InvoiceStatus
    currency: str
    lines: tuple[InvoiceLine, ...]
    created_at: datetime
    invoice_marking: str = ""
    language: str = ""
    sequence: int | None = None
    number: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    payment_reference: str | None = None
    payments: tuple[Payment, ...] = ()
    credit_notes: tuple[CreditNote, ...] = ()
    overdue_announced: bool = False
    vat_subtotals: tuple[VatSubtotal, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        self.vat_subtotals = tuple(vat_breakdown(self.lines, self.currency))

    # -- amounts ----------------------------------------------------------------------------

    @property
    def payer_organisation_id(self) -> str:
        return self.payer.organisation_id

    @property
    def net_total(self) -> Decimal:
        return sum((s.net for s in self.vat_subtotals), Decimal(0))

    @property
    def vat_total(self) -> Decimal:
        return sum((s.vat for s in self.vat_subtotals), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.net_total + self.vat_total

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal(0))

    @property
    def credited(self) -> Decimal:
        return sum((c.amount for c in self.credit_notes), Decimal(0))

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.paid - self.credited

    @property
    def order_ids(self) -> list[str]:
        return sorted({line.order_id for line in self.lines if line.order_id})

    def is_overdue(self, today: date) -> bool:
        """Issued, not fully paid, and past its due date."""
        return (
            self.status is InvoiceStatus.ISSUED
            and self.outstanding > 0
            and self.due_date is not None
            and self.due_date < today
        )

    def list_status(self, today: date) -> ListStatus:
        if self.status is InvoiceStatus.ISSUED:
            return ListStatus.OVERDUE if self.is_overdue(today) else ListStatus.UNPAID
        return ListStatus(self.status.value)

    # -- drawing up and issuing ---------------------------------------------------------------

    @classmethod
    def draft(
        cls,
        tenant: str,
        payer: Payer,
        request: InvoiceRequest,
        *,
        created_at: datetime,
        invoice_id: str | None = None,
    ) -> Invoice:
        """A draft: no number, issue or due date yet; all of it is outstanding."""
        if created_at.utcoffset() is None:
            raise ValueError("created_at must carry its UTC offset")
        invoice = cls(
            id=invoice_id or new_id(),
            tenant=tenant,
            payer=payer,
            status=InvoiceStatus.DRAFT,
            currency=request.currency,
            lines=request.lines,
            created_at=created_at,
            invoice_marking=request.invoice_marking,
            language=request.language,
        )
        invoice.record(
            InvoiceCreated(
                invoice_id=invoice.id,
                payer_organisation_id=payer.organisation_id,
                status=invoice.status.value,
                currency=invoice.currency,
                total=format_amount(invoice.total, invoice.currency),
                line_count=len(invoice.lines),
                order_ids=invoice.order_ids,
            )
        )
        return invoice

    def check_version(self, version: int | None) -> None:
        _check_version(self, version)

    def check_issuable(self, version: int | None = None) -> None:
        _check_version(self, version)
        if self.status is not InvoiceStatus.DRAFT:
            raise DomainError(_("only a draft can be issued"), field="id", code="NOT_A_DRAFT")

    def issue(
        self,
        configuration: BillingConfiguration,
        sequence: int,
        *,
        issue_date: date,
        version: int | None = None,
        due_date: date | None = None,
    ) -> None:
        """Number, dates and payment reference; the draft goes to the payer. The due date
        follows the tenant's payment terms unless other terms were agreed (`due_date`)."""
        self.check_issuable(version)
        check_due_date(issue_date, due_date)
        self.sequence = sequence
        self.number = configuration.invoice_number(sequence, issue_date)
        self.issue_date = issue_date
        self.due_date = due_date or issue_date + timedelta(days=configuration.payment_terms_days)
        self.payment_reference = (
            kid(self.number) if configuration.payment_reference == "kid" else self.number
        )
        self.status = InvoiceStatus.ISSUED
        self.record(
            InvoiceIssued(
                invoice_id=self.id,
                payer_organisation_id=self.payer_organisation_id,
                number=self.number,
                issue_date=issue_date,
                due_date=self.due_date,
                currency=self.currency,
                total=format_amount(self.total, self.currency),
                vat=format_amount(self.vat_total, self.currency),
                order_ids=self.order_ids,
            )
        )

    # -- payments and credit notes -------------------------------------------------------------

    def _check_open(self, field: str) -> None:
        if self.status is InvoiceStatus.DRAFT:
            raise DomainError(_("a draft has not been issued yet"), field=field, code="NOT_ISSUED")
        if self.status is not InvoiceStatus.ISSUED or self.outstanding <= 0:
            raise DomainError(
                _("nothing is outstanding on this invoice"), field=field, code="SETTLED"
            )

    def _amount(self, text: str, field: str) -> Decimal:
        amount = parse_money(text, self.currency, field=field, maximum=AMOUNT_MAX)
        if amount > self.outstanding:
            raise DomainError(
                _(
                    "more than the outstanding amount ({outstanding})",
                    outstanding=format_amount(self.outstanding, self.currency),
                ),
                field=field,
                code="TOO_LARGE",
            )
        return amount

    def record_payment(
        self,
        *,
        amount: str,
        paid_on: date,
        reference: str,
        now: datetime,
        version: int | None = None,
    ) -> Payment:
        _check_version(self, version)
        self._check_open("amount")
        problems = Problems()
        value = problems.check(lambda: self._amount(amount, "amount"), Decimal(0))
        text = problems.check(
            lambda: check_text(
                reference, field="reference", max_length=REFERENCE_MAX, required=False
            ),
            "",
        )
        if paid_on > now.date() + timedelta(days=1):
            problems.add(DomainError(_("a payment cannot be in the future"), field="paidOn"))
        problems.raise_if_any()
        payment = Payment(amount=value, paid_on=paid_on, reference=text, recorded_at=now)
        self.payments = (*self.payments, payment)
        number = self.number or ""
        if self.outstanding == 0:
            self.status = InvoiceStatus.PAID
            self.record(
                InvoicePaid(
                    invoice_id=self.id,
                    payer_organisation_id=self.payer_organisation_id,
                    number=number,
                    amount=format_amount(value, self.currency),
                    paid_on=paid_on,
                )
            )
        else:
            self.record(
                InvoicePartPaid(
                    invoice_id=self.id,
                    payer_organisation_id=self.payer_organisation_id,
                    number=number,
                    amount=format_amount(value, self.currency),
                    paid_on=paid_on,
                    outstanding=format_amount(self.outstanding, self.currency),
                )
            )
        return payment

    def check_credit(self, amount: str | None) -> Decimal:
        """What a credit note of `amount` (all that is outstanding when None) would credit."""
        self._check_open("amount")
        if amount is None:
            return self.outstanding
        return self._amount(amount, "amount")

    def credit(
        self,
        *,
        number: str,
        amount: Decimal,
        reason: str,
        on: date,
        now: datetime,
    ) -> CreditNote:
        """`amount` as checked by `check_credit`, `number` the credit note's own."""
        if amount <= 0 or amount > self.outstanding:
            raise ValueError("check_credit first")
        note = CreditNote(number=number, amount=amount, issued_on=on, reason=reason, created_at=now)
        self.credit_notes = (*self.credit_notes, note)
        if self.outstanding == 0:
            self.status = InvoiceStatus.CREDITED
        self.record(
            InvoiceCredited(
                invoice_id=self.id,
                payer_organisation_id=self.payer_organisation_id,
                number=self.number or "",
                credit_note_number=number,
                amount=format_amount(amount, self.currency),
                outstanding=format_amount(self.outstanding, self.currency),
                fully_credited=self.status is InvoiceStatus.CREDITED,
            )
        )
        return note

    def credit_breakdown(self, note: CreditNote) -> list[VatSubtotal]:
        """A credit note's amount (VAT included) split over the invoice's VAT rates in
        proportion to their totals: net and VAT per rate, the rounding left in the last."""
        total = self.total
        parts: list[VatSubtotal] = []
        left = note.amount
        for index, subtotal in enumerate(self.vat_subtotals):
            last = index == len(self.vat_subtotals) - 1
            share = (
                left
                if last or total == 0
                else round_money(note.amount * (subtotal.net + subtotal.vat) / total, self.currency)
            )
            left -= share
            net = round_money(share * 100 / (100 + subtotal.rate), self.currency)
            parts.append(VatSubtotal(subtotal.rate, net, share - net))
        return parts

    def announce_overdue(self, today: date) -> bool:
        """Once: the first check after the due date that finds something outstanding."""
        if self.overdue_announced or not self.is_overdue(today) or self.due_date is None:
            return False
        self.overdue_announced = True
        self.record(
            InvoiceOverdue(
                invoice_id=self.id,
                payer_organisation_id=self.payer_organisation_id,
                number=self.number or "",
                due_date=self.due_date,
                outstanding=format_amount(self.outstanding, self.currency),
            )
        )
        return True


def check_due_date(issue_date: date, due_date: date | None) -> None:
    if due_date is not None and due_date < issue_date:
        raise DomainError(_("the due date cannot be before the invoice date"), field="dueDate")


def check_reason(reason: str) -> str:
    return check_text(reason, field="reason", max_length=LINE_DESCRIPTION_MAX)
