"""Subscriptions through the gateway (graphql-transport-ws) over the real orders subgraph, fed
by its JetStream events on a real nats-server, with a real WebSocket client.

JM's contractor Emma follows the orders assigned to her firm: she sees her order's status
change, never another contractor's order, and nothing once the order is given to another firm;
internal comments never reach her, and her subscription ends when her token expires or people
revokes it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from portal_gateway.testing.calls import mutate
from portal_gateway.testing.orders import CREATE, ORDER, move, new_order
from portal_gateway.testing.serving import serving
from portal_gateway.testing.subscribing import Following, following, settled, subscribed, wired
from portal_gateway.testing.transport_ws import Socket, socket
from portal_kit.jetstream import connect_nats
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_orders.testing import know_organisations

ASSIGN = f"""mutation($input: AssignOrderInput!) {{ assignOrder(input: $input) {{
  order {{ {ORDER} }} userErrors {{ code message }} }} }}"""
COMMENT = f"""mutation($input: AddOrderCommentInput!) {{ addOrderComment(input: $input) {{
  order {{ {ORDER} }} userErrors {{ code message }} }} }}"""
ORDER_CHANGED = """subscription($id: ID!) { orderChanged(id: $id) {
  __typename change order { id status } } }"""
ASSIGNMENT = """subscription($id: ID!) { orderChanged(id: $id) {
  change order { id status assigneeOrganisationId } } }"""
ORDERS_CHANGED = "subscription { ordersChanged { change order { id status } } }"
LOG = """subscription($id: ID!) { orderChanged(id: $id) {
  change order { activity { kind visibility text } } } }"""
LIST_LOG = "subscription { ordersChanged { change order { id activity { text } } } }"


@pytest.fixture
async def orders_app(settings_for: Any) -> AsyncIterator[tuple[str, Any]]:
    app = create_orders_app(settings_for(OrdersSettings))
    async with serving(app) as url:
        await know_organisations(app)
        yield f"{url}/graphql", app


@pytest.fixture
def orders(orders_app: tuple[str, Any]) -> str:
    return orders_app[0]


@pytest.fixture
async def gateway(
    people: str,
    orders: str,
    issuer: Any,
    principal_keys: tuple[bytes, bytes],
    nats_url: str,
    namespace: Any,
) -> AsyncIterator[Following]:
    settings = wired(
        people,
        issuer,
        principal_keys,
        nats_url,
        namespace,
        orders_url=orders,
        subscription_init_timeout_seconds=1.0,
        subscription_check_seconds=0.2,
    )
    async with following("orders", **settings) as gateway:
        yield gateway


def staff(issuer: Any) -> str:
    return issuer.token(user="pm", tenant="jm", staff=True)


def contractor(issuer: Any, firm: str, user: str | None = None, **claims: Any) -> str:
    return issuer.token(
        user=user or f"{firm}-user",
        tenant="jm",
        memberships=[{"organisation": firm, "roles": ["user"]}],
        **claims,
    )


async def comment(
    gw: Any, token: str, order: dict[str, Any], text: str, visibility: str
) -> dict[str, Any]:
    """The order as it is after `token` commented on it (with `visibility`)."""
    commented = await mutate(
        gw,
        token,
        COMMENT,
        id=order["id"],
        version=order["version"],
        text=text,
        visibility=visibility,
    )
    assert commented["userErrors"] == [], commented
    return dict(commented["order"])


async def ready(ws: Socket, token: str) -> None:
    assert await ws.init(token) == {"type": "connection_ack"}


async def test_a_jm_contractor_sees_its_order_change_and_not_another_contractors(gateway, issuer):
    gw, pm = gateway.client, staff(issuer)
    emma = contractor(issuer, "emma")
    ours = await new_order(gw, pm, "emma")
    theirs = await new_order(gw, pm, "ror")
    async with socket(gateway.url) as ws:
        await ready(ws, emma)
        await ws.subscribe("ours", ORDER_CHANGED, id=ours["id"])
        await ws.subscribe("theirs", ORDER_CHANGED, id=theirs["id"])
        await ws.subscribe("all", ORDERS_CHANGED)
        await subscribed(ws)
        await move(gw, pm, theirs, "order_received")  # Ror's order: Emma must not hear of it
        await move(gw, emma, ours, "order_received")
        first, second = await ws.receive(), await ws.receive()
        rest = await ws.quiet(1.0)
    by_id = {m["id"]: m for m in (first, second)}
    assert by_id["ours"] == {
        "id": "ours",
        "type": "next",
        "payload": {
            "data": {
                "orderChanged": {
                    "__typename": "OrderChange",
                    "change": "status_changed",
                    "order": {"id": ours["id"], "status": "order_received"},
                }
            }
        },
    }
    assert by_id["all"]["payload"]["data"]["ordersChanged"]["order"]["id"] == ours["id"]
    assert rest == []  # nothing of Ror's order, on either subscription


async def test_the_contractor_stops_receiving_once_the_order_is_reassigned_away(gateway, issuer):
    gw, pm = gateway.client, staff(issuer)
    emma = contractor(issuer, "emma")
    order = await new_order(gw, pm, "emma")
    async with socket(gateway.url) as ws, socket(gateway.url) as office:
        await ready(ws, emma)
        await ready(office, pm)
        await ws.subscribe("1", ASSIGNMENT, id=order["id"])
        await office.subscribe("1", ASSIGNMENT, id=order["id"])
        await subscribed(ws)
        await subscribed(office)
        order = await move(gw, emma, order, "order_received")
        assert (await ws.receive())["payload"]["data"]["orderChanged"]["order"]["status"] == (
            "order_received"
        )
        assert (await office.receive())["type"] == "next"
        moved = await mutate(
            gw, pm, ASSIGN, id=order["id"], version=order["version"], assigneeOrganisationId="ror"
        )
        assert moved["userErrors"] == [], moved
        # A record is re-read when its event comes: each change is waited for, staff see it,
        # and by then the gateway has decided what Emma gets of it (nothing).
        seen = [await office.receive()]
        await settled(gateway.app)
        await move(gw, pm, moved["order"], "materials_ordered")
        seen.append(await office.receive())
        await settled(gateway.app)
        assert [m["payload"]["data"]["orderChanged"]["change"] for m in seen] == [
            "assigned",
            "status_changed",
        ]
        assert await ws.quiet(0.5) == []
        await ws.send({"type": "ping"})
        assert await ws.receive() == {"type": "pong"}  # still connected, just told nothing


async def test_internal_comments_never_reach_a_contractor(gateway, issuer):
    gw, pm = gateway.client, staff(issuer)
    emma = contractor(issuer, "emma")
    order = await new_order(gw, pm, "emma")
    async with socket(gateway.url) as ws, socket(gateway.url) as office:
        await ready(ws, emma)
        await ready(office, pm)
        await ws.subscribe("log", LOG, id=order["id"])
        await office.subscribe("log", LOG, id=order["id"])
        await subscribed(ws)
        await subscribed(office)
        secret = await comment(gw, pm, order, "Kunden er vanskelig", "internal")
        staff_saw = [await office.receive()]
        await settled(gateway.app)
        await comment(gw, pm, secret, "Nøkkel hos vaktmester", "contractor")
        staff_saw.append(await office.receive())
        emma_saw = await ws.receive()
        rest = await ws.quiet(0.5)
    texts = [
        [e["text"] for e in m["payload"]["data"]["orderChanged"]["order"]["activity"]]
        for m in staff_saw
    ]
    assert "Kunden er vanskelig" in texts[0] and "Nøkkel hos vaktmester" in texts[1]
    emma_texts = [
        e["text"] for e in emma_saw["payload"]["data"]["orderChanged"]["order"]["activity"]
    ]
    assert "Nøkkel hos vaktmester" in emma_texts
    assert "Kunden er vanskelig" not in emma_texts
    assert rest == []  # the internal comment alone sent her nothing


async def test_an_internal_comment_sends_a_contractors_list_nothing(gateway, issuer):
    """Her list was read when she subscribed, so its first event of her order is compared with
    what she saw then: an internal comment changes nothing she can see, and sends nothing."""
    gw, pm = gateway.client, staff(issuer)
    emma = contractor(issuer, "emma")
    order = await new_order(gw, pm, "emma")
    async with socket(gateway.url) as ws:
        await ready(ws, emma)
        await ws.subscribe("all", LIST_LOG)
        await subscribed(ws)
        secret = await comment(gw, pm, order, "Kunden er vanskelig", "internal")
        await settled(gateway.app)
        silent = await ws.quiet(0.5)
        await move(gw, emma, secret, "order_received")
        moved = await ws.receive()
    assert silent == []
    change = moved["payload"]["data"]["ordersChanged"]
    assert change["change"] == "status_changed"
    assert change["order"]["id"] == order["id"]
    assert "Kunden er vanskelig" not in [e["text"] for e in change["order"]["activity"]]


async def test_a_subscription_to_an_order_out_of_sight_answers_like_one_to_none(gateway, issuer):
    gw, pm = gateway.client, staff(issuer)
    emma = contractor(issuer, "emma")
    theirs = await new_order(gw, pm, "ror")
    async with socket(gateway.url) as ws:
        await ready(ws, emma)
        await ws.subscribe("hidden", ORDER_CHANGED, id=theirs["id"])
        await ws.subscribe("none", ORDER_CHANGED, id="000000000000000000000000")
        await subscribed(ws)
        await move(gw, pm, theirs, "order_received")
        # Both accepted, neither ever answers; the socket serves on.
        assert await ws.quiet(0.5) == []
        await ws.send({"type": "ping"})
        assert await ws.receive() == {"type": "pong"}


async def test_an_expired_token_ends_the_subscription(gateway, issuer):
    emma = contractor(issuer, "emma", expires_in=2)  # whole seconds: 1-2 s from now
    async with socket(gateway.url) as ws:
        await ready(ws, emma)
        await ws.subscribe("1", ORDERS_CHANGED)
        await subscribed(ws)
        assert await ws.closed() == (4403, "Forbidden: token expired")


async def test_a_revoked_token_ends_the_subscription(gateway, issuer, nats_url, namespace):
    emma = contractor(issuer, "emma", user="emma-1")
    async with socket(gateway.url) as ws:
        await ready(ws, emma)
        await ws.subscribe("1", ORDERS_CHANGED)
        await subscribed(ws)
        # People revokes her tokens (a password change), as its relay would publish it.
        client = await connect_nats(nats_url, name="test-people")
        try:
            from datetime import UTC, datetime

            import orjson

            event = {
                "specversion": "1.0",
                "id": "ev-1",
                "source": "portal-people",
                "type": "portal.people.user.password_changed",
                "subject": "emma-1",
                "time": datetime.now(UTC).isoformat(),
                "tenant": "jm",
                "data": {"user_id": "emma-1"},
            }
            await client.jetstream().publish(
                f"{namespace.event_prefix}.jm.people.user.password_changed", orjson.dumps(event)
            )
        finally:
            await client.close()
        assert await ws.closed() == (4403, "Forbidden: token revoked")


CLIENT = Path(__file__).parent / "graphql_ws_client"


async def running(app: Any, count: int) -> None:
    """Until the gateway runs `count` subscriptions, each having read its record once."""
    for _ in range(400):
        subscribers = [
            s for c in app.state.subscriptions.connections for s in c.subscribers.values()
        ]
        if len(subscribers) >= count and all(
            s.baseline is None or s.baseline.done() for s in subscribers
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the client's subscriptions never ran")


@pytest.mark.skipif(
    shutil.which("node") is None or not (CLIENT / "node_modules" / "graphql-ws").is_dir(),
    reason="needs node and `npm ci --prefix gateway/tests/graphql_ws_client` (make env)",
)
async def test_the_graphql_ws_npm_client_as_a_jm_contractor(gateway, issuer):
    """The done-when of the issue, with the npm `graphql-ws` client unchanged: Emma sees her
    order's status change and not Ror's; while the order is Ror's she hears nothing of it, and
    when it comes back to her firm she sees that (and only that)."""
    gw, pm = gateway.client, staff(issuer)
    emma = contractor(issuer, "emma")
    ours = await new_order(gw, pm, "emma")
    theirs = await new_order(gw, pm, "ror")
    config = {
        "url": "ws" + gateway.url[4:] + "/graphql",
        "token": emma,
        "subscriptions": {
            name: {"query": ASSIGNMENT, "variables": {"id": order["id"]}}
            for name, order in (("ours", ours), ("theirs", theirs))
        },
        "count": 2,
        "seconds": 60,
    }
    node = await asyncio.create_subprocess_exec(
        "node",
        str(CLIENT / "subscribe.mjs"),
        orjson.dumps(config).decode(),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        await running(gateway.app, 2)
        async with socket(gateway.url) as office:
            # Staff see every change; once they saw one and the gateway has nothing left to
            # deliver, Emma's client was sent whatever it was to get of it.
            await ready(office, pm)
            await office.subscribe("ours", ASSIGNMENT, id=ours["id"])
            await office.subscribe("theirs", ASSIGNMENT, id=theirs["id"])
            await subscribed(office)

            async def delivered() -> None:
                assert (await office.receive())["type"] == "next"
                await settled(gateway.app)

            await move(gw, pm, theirs, "order_received")
            await delivered()
            ours = await move(gw, emma, ours, "order_received")
            await delivered()
            away = await mutate(
                gw, pm, ASSIGN, id=ours["id"], version=ours["version"], assigneeOrganisationId="ror"
            )
            assert away["userErrors"] == [], away
            await delivered()
            meanwhile = await move(gw, pm, away["order"], "materials_ordered")
            await delivered()
            back = await mutate(
                gw,
                pm,
                ASSIGN,
                id=ours["id"],
                version=meanwhile["version"],
                assigneeOrganisationId="emma",
            )
            assert back["userErrors"] == [], back
        output, _ = await asyncio.wait_for(node.communicate(), 60)
    finally:
        if node.returncode is None:
            node.kill()
            await node.wait()
    lines = [orjson.loads(line) for line in output.splitlines()]
    nexts = [(line["name"], line["payload"]) for line in lines if "next" in line]
    changes = [
        (name, p["data"]["orderChanged"]["change"], p["data"]["orderChanged"]["order"])
        for name, p in nexts
    ]
    assert node.returncode == 0, lines
    assert changes == [
        (
            "ours",
            "status_changed",
            {"id": ours["id"], "status": "order_received", "assigneeOrganisationId": "emma"},
        ),
        # Nothing of the change made while it was Ror's, nor of Ror's own order.
        (
            "ours",
            "assigned",
            {"id": ours["id"], "status": "materials_ordered", "assigneeOrganisationId": "emma"},
        ),
    ]


JOINED = """subscription($id: ID!) { orderChanged(id: $id) {
  change order { status customerOrganisation { id name } } } }"""


async def test_a_payload_joins_fields_of_another_subgraph(gateway, issuer, orders_app):
    """The order comes from orders, its customer organisation's name from people, as in a
    query: the subscription's payload is planned like one."""
    gw, pm = gateway.client, staff(issuer)
    root = issuer.token(user="root", tenant="platform", scopes=["platform:admin"])
    loader = issuer.token(user="loader", tenant="jm", staff=True, scopes=["platform:admin"])
    await mutate(
        gw,
        root,
        """mutation($input: CreateTenantInput!) { createTenant(input: $input) {
          userErrors { code } } }""",
        id="jm",
        name="JM",
        configuration={"country": "NO", "locales": ["nb", "en"], "default_locale": "nb"},
    )
    created = await mutate(
        gw,
        loader,
        """mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) {
          organisation { id } userErrors { code message } } }""",
        name="JM Bolig Øst",
        kind="CUSTOMER",
    )
    assert created["userErrors"] == [], created
    customer = created["organisation"]["id"]
    await know_organisations(orders_app[1], {"jm": (customer,)})
    order = await mutate(
        gw,
        pm,
        CREATE,
        orderType="billable",
        description="Dør henger",
        customerOrganisationId=customer,
        assigneeOrganisationId="emma",
    )
    assert order["userErrors"] == [], order
    async with socket(gateway.url) as office:
        await ready(office, pm)
        await office.subscribe("1", JOINED, id=order["order"]["id"])
        await subscribed(office)
        await move(gw, pm, order["order"], "order_received")
        message = await office.receive()
    assert message["payload"] == {
        "data": {
            "orderChanged": {
                "change": "status_changed",
                "order": {
                    "status": "order_received",
                    "customerOrganisation": {"id": customer, "name": "JM Bolig Øst"},
                },
            }
        }
    }
