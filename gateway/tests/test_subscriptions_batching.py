"""Re-reads batched per principal: changes to several orders in one burst reach each subscriber
as they would one by one, with that subscriber's visibility, in fewer requests to orders.

The orders subgraph is served behind a gate that counts the queries it gets (not mutations)
and can hold them: while the first re-read of each principal is held, the burst's other events
come in; the gateway must read them together, per principal, once it is let through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from portal_gateway.testing.orders import move, new_order
from portal_gateway.testing.serving import serving
from portal_gateway.testing.subscribing import (
    Following,
    following,
    settled,
    subscribed,
    until,
    wired,
)
from portal_gateway.testing.transport_ws import Socket, socket
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_orders.testing import know_organisations

RECEIVED = "order_received"
ORDERS_CHANGED = "subscription { ordersChanged { change order { id status } } }"


class Gate:
    """ASGI middleware before orders: counts the queries (re-reads) and holds them while shut."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.queries = 0
        self.open = asyncio.Event()
        self.open.set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        messages = [await receive()]
        while messages[-1].get("more_body"):
            messages.append(await receive())
        body = b"".join(m.get("body", b"") for m in messages)
        if not orjson.loads(body)["query"].lstrip().startswith("mutation"):
            self.queries += 1
            await self.open.wait()
        replay = iter(messages)

        async def again() -> Any:
            return next(replay, None) or await receive()

        await self.app(scope, again, send)


@pytest.fixture
async def gate(settings_for: Any) -> AsyncIterator[Gate]:
    app = create_orders_app(settings_for(OrdersSettings))
    gate = Gate(app)
    async with serving(gate) as url:
        await know_organisations(app)
        gate.url = f"{url}/graphql"  # type: ignore[attr-defined]
        yield gate
        gate.open.set()  # a test that failed while it held them: let the reads end


@pytest.fixture
async def gateway(
    people: str,
    gate: Gate,
    issuer: Any,
    principal_keys: tuple[bytes, bytes],
    nats_url: str,
    namespace: Any,
) -> AsyncIterator[Following]:
    url = gate.url  # type: ignore[attr-defined]
    settings = wired(people, issuer, principal_keys, nats_url, namespace, orders_url=url)
    async with following("orders", **settings) as gateway:
        yield gateway


async def received(ws: Socket, count: int) -> dict[str, dict[str, Any]]:
    """`count` messages, as the order each is of → its payload."""
    orders = {}
    for _ in range(count):
        message = await ws.receive()
        order = message["payload"]["data"]["ordersChanged"]
        orders[order["order"]["id"]] = order
    return orders


async def burst(gateway: Following, gate: Gate, token: str, orders: list[Any]) -> None:
    """Each order moved while orders holds the re-reads, let through once all have come."""
    gate.queries = 0
    gate.open.clear()
    for order in orders:
        await move(gateway.client, token, order, RECEIVED)
    fanout = gateway.app.state.subscriptions.fanout
    await until(lambda: fanout.pending == len(orders), "the burst never reached the gateway")
    gate.open.set()


async def test_a_burst_of_changes_reaches_each_principal_with_its_visibility_in_few_reads(
    gateway, issuer, gate
):
    gw = gateway.client
    pm = issuer.token(user="pm", tenant="jm", staff=True)
    emma = issuer.token(
        user="emma-user", tenant="jm", memberships=[{"organisation": "emma", "roles": ["user"]}]
    )
    async with socket(gateway.url) as office, socket(gateway.url) as field:
        for ws, token in ((office, pm), (field, emma)):
            assert await ws.init(token) == {"type": "connection_ack"}
            await ws.subscribe("all", ORDERS_CHANGED)
            await subscribed(ws)
        orders = [await new_order(gw, pm, firm) for firm in ("emma", "emma", "emma", "ror")]
        await received(office, 4)  # their creation, to have it behind us
        await received(field, 3)
        await settled(gateway.app)

        await burst(gateway, gate, pm, orders)
        seen_by_pm = await received(office, 4)
        seen_by_emma = await received(field, 3)
        rest = await field.quiet(1.0)
        await settled(gateway.app)

    changed = {"change": "status_changed"}
    assert seen_by_pm == {
        o["id"]: {**changed, "order": {"id": o["id"], "status": "order_received"}} for o in orders
    }
    assert seen_by_emma == {
        o["id"]: {**changed, "order": {"id": o["id"], "status": "order_received"}}
        for o in orders[:3]
    }
    assert rest == []  # nothing of Ror's order
    # One by one: 4 re-reads for each principal. Batched: the held one, then the rest at once;
    # at least one each, as a principal's reads are never shared with another's.
    assert 2 <= gate.queries <= 4, gate.queries


# 13 aliases a record (with the re-read's own): three records at once pass the 30 allowed.
ALIASED = f"""subscription {{ ordersChanged {{ change order {{ id {
    " ".join(f"s{i}: status" for i in range(12))
} }} }} }}"""


async def test_a_batch_the_query_limits_refuse_is_read_in_smaller_ones(gateway, issuer, gate):
    gw = gateway.client
    pm = issuer.token(user="pm", tenant="jm", staff=True)
    async with socket(gateway.url) as office:
        assert await office.init(pm) == {"type": "connection_ack"}
        await office.subscribe("all", ALIASED)
        await subscribed(office)
        orders = [await new_order(gw, pm, "emma") for _ in range(4)]
        await received(office, 4)
        await settled(gateway.app)
        await burst(gateway, gate, pm, orders)
        seen = await received(office, 4)
        await settled(gateway.app)
    statuses = {f"s{i}": RECEIVED for i in range(12)}
    assert seen == {
        o["id"]: {"change": "status_changed", "order": {"id": o["id"], **statuses}} for o in orders
    }


ORDER_CHANGED = "subscription($id: ID!) { orderChanged(id: $id) { change order { id status } } }"


async def test_a_change_while_the_subscription_first_reads_its_record_is_still_sent(
    gateway, issuer, gate
):
    """The first read (what the subscriber sees when it subscribes: its order, or its list and
    then each order) is held until the change has come: it then sees the changed order, which
    must not pass for what the subscriber saw before."""
    gw = gateway.client
    pm = issuer.token(user="pm", tenant="jm", staff=True)
    order = await new_order(gw, pm, "emma")
    async with socket(gateway.url) as one, socket(gateway.url) as every:
        for ws in (one, every):
            assert await ws.init(pm) == {"type": "connection_ack"}
        gate.queries = 0
        gate.open.clear()
        await one.subscribe("one", ORDER_CHANGED, id=order["id"])
        await every.subscribe("all", ORDERS_CHANGED)
        await until(lambda: gate.queries == 2, "the first reads never reached orders")
        await move(gw, pm, order, RECEIVED)
        fanout = gateway.app.state.subscriptions.fanout
        await until(lambda: fanout.pending == 1, "the change never reached the gateway")
        gate.open.set()
        got = {"orderChanged": await one.receive(), "ordersChanged": await every.receive()}
        await settled(gateway.app)
        rest = [*(await one.quiet(0.3)), *(await every.quiet(0.1))]
    for field, message in got.items():
        assert message["payload"]["data"][field] == {
            "change": "status_changed",
            "order": {"id": order["id"], "status": RECEIVED},
        }
    assert rest == []
