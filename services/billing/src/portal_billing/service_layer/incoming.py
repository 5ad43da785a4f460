"""Use cases of contractors' incoming invoices: register one against its work order (the 'AO'
reference), read and list what the caller may see."""

from __future__ import annotations

from datetime import date

from portal_kit.clock import Clock
from portal_kit.domain import Conflict, DomainError, NotFound, TryAgain
from portal_kit.messages import Messages
from portal_kit.principal import Principal
from portal_kit.repository import Keyset, Page
from portal_kit.values import check_reference

from portal_billing.domain.configuration import BillingConfiguration
from portal_billing.domain.incoming import IncomingInvoice, IncomingRequest
from portal_billing.service_layer.access import IncomingSight
from portal_billing.service_layer.ports import (
    BillableOrder,
    BillableOrders,
    EventFeed,
    IncomingInvoices,
)

_ = Messages("portal_billing")

# How long a registration waits for billing to read orders' events before it answers TRY_AGAIN
# (a work order marked done a moment ago is known well within it), and how long orders' relay
# gets to publish a completion committed just before, so "caught up" can be trusted.
ORDER_EVENTS_WAIT_SECONDS = 3.0
ORDER_EVENTS_SETTLE_SECONDS = 0.5


class IncomingDesk:
    def __init__(
        self,
        principal: Principal,
        configuration: BillingConfiguration | None,
        incoming: IncomingInvoices,
        billable: BillableOrders,
        order_events: EventFeed,
        *,
        clock: Clock,
    ) -> None:
        self.principal = principal
        self.configuration = configuration
        self.incoming = incoming
        self.billable = billable
        self.order_events = order_events
        self.clock = clock
        self.sight = IncomingSight.of(principal)

    async def incoming_invoice(self, invoice_id: str) -> IncomingInvoice | None:
        return await self.incoming.visible(self.sight, invoice_id)

    async def page(self, *, size: int, after: Keyset | None) -> Page[IncomingInvoice]:
        return await self.incoming.page_for(self.sight, after, size)

    def _contractor(self, given: str | None) -> str:
        """Staff (the operator's ERP) name the contractor; a contractor's member registers for
        the organisation they work for."""
        if self.principal.is_staff:
            if not given:
                raise DomainError(
                    _("this is required"), field="contractorOrganisationId", code="REQUIRED"
                )
            return check_reference(given, field="contractorOrganisationId", what=_("organisation"))
        acting = self.principal.acting_for if self.principal.authenticated else ()
        if given:
            if given not in acting:
                raise NotFound(_("no such organisation"), field="contractorOrganisationId")
            return given
        if len(acting) != 1:
            raise DomainError(
                _("choose the organisation whose invoice this is"),
                field="contractorOrganisationId",
                code="REQUIRED",
            )
        return acting[0]

    async def _completed_order(self, request: IncomingRequest) -> BillableOrder | None:
        """The work order of the reference in billing's read model of orders' events. Missing
        while that read model is behind (the order may have been marked done a moment ago) is
        no proof it does not exist: wait for the events in flight, and if they do not come,
        say so with TRY_AGAIN rather than NOT_FOUND. Either answer is the same whichever order
        the number names, so it tells nothing of other contractors' or tenants' orders."""
        order = await self.billable.by_number(request.order_number)
        if order is not None:
            return order
        caught_up = await self.order_events.caught_up_within(
            ORDER_EVENTS_WAIT_SECONDS, settle=ORDER_EVENTS_SETTLE_SECONDS
        )
        order = await self.billable.by_number(request.order_number)
        if order is None and not caught_up:
            raise TryAgain(
                _(
                    "work order {reference} is not known to invoicing yet; if it was marked "
                    "done just now, try again in a minute",
                    reference=request.reference,
                ),
                field="reference",
            )
        return order

    async def register(
        self,
        *,
        contractor_organisation_id: str | None,
        invoice_number: str,
        amount: str,
        currency: str | None,
        invoice_date: date,
        reference: str,
    ) -> IncomingInvoice:
        rules = self.configuration.incoming if self.configuration else None
        if self.configuration is None or rules is None:
            raise DomainError(
                _("this tenant takes no contractor invoices here"), code="NOT_CONFIGURED"
            )
        contractor = self._contractor(contractor_organisation_id)
        request = IncomingRequest.parse(
            invoice_number=invoice_number,
            amount=amount,
            currency=currency or self.configuration.currency,
            invoice_date=invoice_date,
            reference=reference,
            prefix=rules.reference_prefix,
        )
        order = await self._completed_order(request)
        # Another contractor's order, or another tenant's, reads like one that does not exist.
        if (
            order is None
            or order.assignee_organisation_id != contractor
            or order.state == "cancelled"
            or (rules.order_types and order.order_type not in rules.order_types)
        ):
            raise NotFound(
                _(
                    "no completed work order {reference} of yours; check the number",
                    reference=request.reference,
                ),
                field="reference",
            )
        if order.state == "invoiced" or order.incoming_invoice_id is not None:
            raise Conflict(
                _("work order {reference} has been invoiced already", reference=request.reference),
                field="reference",
                code="ALREADY_INVOICED",
            )
        invoice = IncomingInvoice.match(
            self.principal.tenant,
            request,
            contractor_organisation_id=contractor,
            order_id=order.order_id,
            registered_by=self.principal.user,
            now=self.clock(),
        )
        if not await self.billable.claim_for_incoming(order.order_id, invoice.id):
            raise Conflict(
                _("work order {reference} has been invoiced already", reference=request.reference),
                field="reference",
                code="ALREADY_INVOICED",
            )
        try:
            await self.incoming.add(invoice)
        except Exception:
            await self.billable.release_incoming(order.order_id, invoice.id)
            raise
        return invoice
