"""Tickets' read model of people's product access ends at the newest state whatever order
people's events are handled in: through the consumer's handler, with the envelopes people's
repository writes. (Its organisation tree takes only `created`, whose parent is a fact.)"""

from __future__ import annotations

from typing import Any

from portal_kit.testing.events import envelope
from portal_tickets.adapters.repositories import INDEXES, ProductAccessBook
from portal_tickets.entrypoints.consumers import product_access_handler
from portal_tickets.service_layer.tickets import ProductAccessRegister


def access(products: list[str], version: int) -> Any:
    data = {"holder_kind": "user", "holder_id": "karen", "products": products}
    return envelope("people.product_access.changed", "karen", data, version=version)


async def test_an_older_access_change_handled_last_leaves_the_newer_products(database_for):
    database = database_for("tickets")
    await database.ensure_indexes(INDEXES)
    book = ProductAccessBook(database, "acme")
    handle = product_access_handler(lambda tenant: ProductAccessRegister(book))

    for event in (access(["lon"], 1), access(["lon", "hr"], 3), access([], 2)):
        await handle(event)

    assert await book.products_of("user", "karen") == frozenset({"lon", "hr"})
    assert len(await database.for_tenant("product_access", "acme").find({})) == 1
