"""Use cases of outgoing invoices (load, act, save): read and search what the caller may see,
totals per payer; for staff: draw up, issue, record payments, credit, and invoice runs over the
billable orders of billing's read model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from portal_kit.clock import Clock
from portal_kit.counters import Sequences
from portal_kit.domain import DomainError, NotFound, new_id
from portal_kit.messages import Messages
from portal_kit.principal import Principal
from portal_kit.repository import Keyset, Page

from portal_billing.domain.configuration import BillingConfiguration
from portal_billing.domain.invoice import (
    Invoice,
    InvoiceLine,
    InvoiceRequest,
    LineInput,
    Payer,
    check_due_date,
    check_reason,
)
from portal_billing.service_layer import access
from portal_billing.service_layer.access import InvoiceSight
from portal_billing.service_layer.ports import (
    BillableOrder,
    BillableOrders,
    Documents,
    InvoiceFilter,
    Invoices,
    Organisations,
    PayerTotals,
    Sort,
)

_ = Messages("portal_billing")

INVOICE_SEQUENCE = "invoice"
PAYER_KINDS = frozenset({"customer", "contractor"})
RUN_BATCH = 1000
# A claim older than this and still pending belongs to a run that stopped (a crash).
CLAIM_GRACE = timedelta(minutes=10)


def _credit_note_index(kind: str) -> int | None:
    """`credit-3` → 3; anything else → None."""
    prefix, _sep, number = kind.partition("-")
    if prefix != "credit" or not number.isascii() or not number.isdigit() or len(number) > 3:
        return None
    return int(number) if int(number) >= 1 else None


def not_configured() -> DomainError:
    return DomainError(_("invoicing is not set up for this tenant"), code="NOT_CONFIGURED")


class InvoiceDesk:
    """The billing service's invoice use cases for one caller."""

    def __init__(
        self,
        principal: Principal,
        configuration: BillingConfiguration | None,
        invoices: Invoices,
        organisations: Organisations,
        billable: BillableOrders,
        sequences: Sequences,
        *,
        clock: Clock,
        documents: Documents | None = None,
    ) -> None:
        self.principal = principal
        self.configuration = configuration
        self.invoices = invoices
        self.organisations = organisations
        self.billable = billable
        self.sequences = sequences
        self.clock = clock
        self.documents = documents
        self._sight: InvoiceSight | None = None

    def today(self) -> date:
        """The day due dates are judged by (UTC)."""
        return self.clock().astimezone(UTC).date()

    async def sight(self) -> InvoiceSight:
        if self._sight is None:
            self._sight = await InvoiceSight.of(self.principal, self.organisations.with_descendants)
        return self._sight

    def locale(self) -> str:
        wanted = self.principal.locale
        return self.configuration.locale_for(wanted) if self.configuration else wanted

    def status_label(self, status: str) -> str:
        """A list status in the caller's language, from the tenant's configuration."""
        if self.configuration is None:
            return status
        return self.configuration.label(status, self.locale())

    # -- reading ----------------------------------------------------------------------------

    async def invoice(self, invoice_id: str) -> Invoice | None:
        """The invoice if the caller may see it; None for missing, invisible or another
        tenant's."""
        return await self.invoices.visible(await self.sight(), invoice_id)

    async def search(
        self, wanted: InvoiceFilter, sort: Sort, *, size: int, after: Keyset | None
    ) -> Page[Invoice]:
        return await self.invoices.search(
            await self.sight(), wanted, sort, after, size, today=self.today()
        )

    async def totals(self, wanted: InvoiceFilter) -> list[PayerTotals]:
        """Outstanding and overdue per payer, of the invoices in sight that `wanted` takes in."""
        return await self.invoices.totals(await self.sight(), wanted, today=self.today())

    async def document(self, invoice_id: str, kind: str) -> tuple[str, str, bytes] | None:
        """(file name, media type, content) of an issued invoice the caller may see, as "pdf",
        "ubl" or "credit-<n>" (its n-th credit note as UBL); None for anything else, exactly
        as for an invoice that does not exist."""
        note = _credit_note_index(kind)
        if self.configuration is None or self.documents is None:
            return None
        if kind not in ("pdf", "ubl") and note is None:
            return None
        invoice = await self.invoice(invoice_id)
        if invoice is None or invoice.number is None:
            return None
        if note is not None:
            if note > len(invoice.credit_notes):
                return None
            content = self.documents.credit_note(invoice, note, self.configuration)
            return f"{invoice.credit_notes[note - 1].number}.xml", "application/xml", content
        if kind == "pdf":
            content = self.documents.pdf(invoice, self.configuration)
            return f"{invoice.number}.pdf", "application/pdf", content
        content = self.documents.ubl(invoice, self.configuration)
        return f"{invoice.number}.xml", "application/xml", content

    # -- drawing up ---------------------------------------------------------------------------

    def _configured(self) -> BillingConfiguration:
        access.require_staff(self.principal)
        if self.configuration is None:
            raise not_configured()
        return self.configuration

    async def payer(self, organisation_id: str, field: str = "payerOrganisationId") -> Payer:
        """A known, active customer or contractor of the tenant (billing's read model of
        people's organisations): an id of another tenant answers like one that does not
        exist."""
        known = await self.organisations.known(organisation_id)
        if known is None or not known.active or known.kind not in PAYER_KINDS:
            raise NotFound(_("no such organisation"), field=field)
        return Payer(known.id, known.name, known.organisation_number)

    async def create_invoice(
        self,
        *,
        payer_organisation_id: str,
        currency: str | None,
        lines: Sequence[LineInput],
        invoice_marking: str = "",
        language: str | None = None,
    ) -> Invoice:
        configuration = self._configured()
        request = InvoiceRequest.parse(
            payer_organisation_id=payer_organisation_id,
            currency=currency if currency is not None else configuration.currency,
            lines=lines,
            configuration=configuration,
            invoice_marking=invoice_marking,
            language=language,
        )
        payer = await self.payer(request.payer_organisation_id)
        invoice = Invoice.draft(self.principal.tenant, payer, request, created_at=self.clock())
        await self.invoices.add(invoice)
        return invoice

    async def _load(self, invoice_id: str) -> Invoice:
        found = await self.invoices.visible(await self.sight(), invoice_id)
        if found is None:
            raise NotFound(_("no such invoice"), field="id")
        return found

    async def issue_invoice(
        self,
        invoice_id: str,
        *,
        version: int,
        issue_date: date | None = None,
        due_date: date | None = None,
    ) -> Invoice:
        """Numbered only once every check passed: the numbers have no gaps."""
        configuration = self._configured()
        invoice = await self._load(invoice_id)
        day = issue_date or self.today()
        if day > self.today() + timedelta(days=1):
            raise DomainError(_("an invoice cannot be dated in the future"), field="issueDate")
        invoice.check_issuable(version)
        check_due_date(day, due_date)
        sequence = await self.sequences.next(INVOICE_SEQUENCE)
        invoice.issue(configuration, sequence, issue_date=day, version=version, due_date=due_date)
        await self.invoices.save(invoice)
        return invoice

    async def record_payment(
        self, invoice_id: str, *, version: int, amount: str, paid_on: date, reference: str
    ) -> Invoice:
        self._configured()
        invoice = await self._load(invoice_id)
        invoice.record_payment(
            amount=amount, paid_on=paid_on, reference=reference, now=self.clock(), version=version
        )
        await self.invoices.save(invoice)
        return invoice

    async def credit_invoice(
        self, invoice_id: str, *, version: int, amount: str | None, reason: str
    ) -> Invoice:
        """A credit note of `amount` (all that is outstanding when None), numbered from the
        invoice series once every check passed."""
        configuration = self._configured()
        invoice = await self._load(invoice_id)
        invoice.check_version(version)
        value = invoice.check_credit(amount)
        checked_reason = check_reason(reason)
        sequence = await self.sequences.next(INVOICE_SEQUENCE)
        today = self.today()
        invoice.credit(
            number=configuration.invoice_number(sequence, today),
            amount=value,
            reason=checked_reason,
            on=today,
            now=self.clock(),
        )
        await self.invoices.save(invoice)
        return invoice

    # -- invoice runs -------------------------------------------------------------------------

    async def run_invoices(
        self, *, up_to: date, payer_organisation_id: str | None = None
    ) -> list[Invoice]:
        """Draft invoices of the billable orders completed up to `up_to` (of one payer, or of
        all): one per payer and invoice marking, each order on one invoice only, however often
        the run is repeated or the orders' events come again."""
        configuration = self._configured()
        if payer_organisation_id is not None:
            await self.payer(payer_organisation_id)
        await self._recover_claims()
        end = datetime.combine(up_to + timedelta(days=1), time(0), tzinfo=UTC)
        types = tuple(configuration.billable)
        made: list[Invoice] = []
        while True:
            orders = await self.billable.unbilled(
                types, payer_organisation_id, end, limit=RUN_BATCH
            )
            if not orders:
                return made
            groups: dict[tuple[str, str], list[BillableOrder]] = {}
            for order in orders:
                key = (order.customer_organisation_id, order.invoice_marking)
                groups.setdefault(key, []).append(order)
            for (payer_id, marking), group in groups.items():
                invoice = await self._invoice_of(configuration, payer_id, marking, group)
                if invoice is not None:
                    made.append(invoice)

    async def _recover_claims(self) -> None:
        """Claims of a run that stopped before storing its invoice are released (the orders
        bill again), those whose invoice is there confirmed: no order is lost or billed
        twice."""
        before = self.clock() - CLAIM_GRACE
        while claims := await self.billable.pending_claims(before, limit=RUN_BATCH):
            for order_id, invoice_id in claims:
                if await self.invoices.get(invoice_id) is None:
                    await self.billable.release_invoice([order_id], invoice_id)
                else:
                    await self.billable.confirm_invoice([order_id], invoice_id)

    async def _invoice_of(
        self,
        configuration: BillingConfiguration,
        payer_id: str,
        marking: str,
        orders: list[BillableOrder],
    ) -> Invoice | None:
        known = await self.organisations.known(payer_id)
        payer = Payer(known.id, known.name, known.organisation_number) if known else Payer(payer_id)
        locale = configuration.default_locale
        invoice_id = new_id()
        claimed: list[BillableOrder] = []
        for order in orders:
            if await self.billable.claim_for_invoice(order.order_id, invoice_id, self.clock()):
                claimed.append(order)
        if not claimed:
            return None
        lines = tuple(
            InvoiceLine(
                description=(
                    f"{configuration.billable[o.order_type].description[locale]} {o.number}"
                ),
                quantity=Decimal(1),
                unit_price=configuration.billable[o.order_type].unit_price,
                vat_rate=configuration.billable[o.order_type].vat_rate,
                order_id=o.order_id,
                order_number=o.number,
            )
            for o in claimed
        )
        invoice = Invoice.draft(
            self.principal.tenant,
            payer,
            InvoiceRequest(
                payer_organisation_id=payer_id,
                currency=configuration.currency,
                lines=lines,
                invoice_marking=marking[:100],
                language=locale,
            ),
            created_at=self.clock(),
            invoice_id=invoice_id,
        )
        try:
            await self.invoices.add(invoice)
        except Exception:
            await self.billable.release_invoice([o.order_id for o in claimed], invoice_id)
            raise
        await self.billable.confirm_invoice([o.order_id for o in claimed], invoice_id)
        return invoice
