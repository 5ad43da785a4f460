"""Which subscription field follows which services' events, and how its record is re-read.

Each subgraph declares its `Subscription` fields (orders: `orderChanged(id)`/`ordersChanged`,
tickets: `ticketChanged(id)`/`ticketsChanged`, billing: `invoiceChanged(id)`/`invoicesChanged`);
their payload (`OrderChange { change order }`) names the record with the same field as the
query root that reads it (`order(id: ID!)`), so the gateway re-reads it as a query; a list
subscription's records are first listed with the query root that lists them (`orders`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    service: str  # whose stream: portal.<tenant>.<service>.<aggregate>.<event>
    aggregate: str
    record: str  # the payload's record field, and the query root field that reads it by id
    listing: str  # the query root field listing the caller's records (a connection, `first`)
    single: bool  # one record by `id`, or every record the caller may see

    @property
    def event_type(self) -> str:
        """The CloudEvents `type` prefix of the events that change the record."""
        return f"portal.{self.service}.{self.aggregate}."


_ORDER = ("orders", "order", "order", "orders")
_TICKET = ("tickets", "ticket", "ticket", "tickets")
_INVOICE = ("billing", "invoice", "invoice", "invoices")

TOPICS: dict[str, Topic] = {
    "orderChanged": Topic(*_ORDER, single=True),
    "ordersChanged": Topic(*_ORDER, single=False),
    "ticketChanged": Topic(*_TICKET, single=True),
    "ticketsChanged": Topic(*_TICKET, single=False),
    "invoiceChanged": Topic(*_INVOICE, single=True),
    "invoicesChanged": Topic(*_INVOICE, single=False),
}

# The services' events the gateway reads (one ordered consumer per subject filter).
STREAMS = sorted({(t.service, t.aggregate) for t in TOPICS.values()})
