"""Bad input on the subscriptions socket (graphql-transport-ws): every violation answers with
the protocol's close code or `error` message, the socket's subscriptions end with it, and the
gateway goes on serving other sockets and HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from portal_gateway.testing.transport_ws import socket

ORDER_CHANGED = "subscription($id: ID!) { orderChanged(id: $id) { change order { id } } }"


@pytest.fixture
async def gateway(issuer: Any, start_gateway: Any, people: str) -> AsyncIterator[Any]:
    async with start_gateway(
        people_url=people,
        jwks_url=issuer.url,
        subscription_init_timeout_seconds=0.5,
        subscriptions_per_connection=3,
    ) as gw:
        gw.url = str(gw.base_url)
        yield gw


def token(issuer: Any, **claims: Any) -> str:
    return issuer.token(
        user="emma-user",
        tenant="jm",
        memberships=[{"organisation": "emma", "roles": ["user"]}],
        **claims,
    )


async def still_serving(gw: httpx.AsyncClient, issuer: Any) -> None:
    """Another client gets its subscription acknowledged, and HTTP answers."""
    async with socket(gw.url) as other:  # type: ignore[attr-defined]
        assert await other.init(token(issuer)) == {"type": "connection_ack"}
        await other.send({"type": "ping"})
        assert await other.receive() == {"type": "pong"}
    assert (await gw.get("/healthz")).status_code == 200


async def test_a_socket_that_never_sends_connection_init_is_closed_with_4408(gateway, issuer):
    async with socket(gateway.url) as ws:
        await ws.send({"type": "ping"})  # pings are answered before the init, too
        assert await ws.receive() == {"type": "pong"}
        assert await ws.closed() == (4408, "Connection initialisation timeout")
    await still_serving(gateway, issuer)


@pytest.mark.parametrize(
    "message",
    [
        "{not json",
        "[1, 2]",
        '{"type": "start", "id": "1"}',
        '{"payload": {}}',
        '{"type": "subscribe", "payload": {"query": "subscription { ordersChanged { change } }"}}',
        '{"type": "subscribe", "id": "1"}',
        '{"type": "connection_init", "payload": "Bearer x"}',
        '{"type": "complete", "id": 7}',
    ],
)
async def test_a_malformed_message_closes_the_socket_with_4400(gateway, issuer, message):
    async with socket(gateway.url) as ws:
        await ws.send(message)
        code, _ = await ws.closed()
    assert code == 4400
    await still_serving(gateway, issuer)


async def test_a_binary_frame_is_a_bad_message(gateway, issuer):
    async with socket(gateway.url) as ws:
        await ws.connection.send(b'{"type": "ping"}')
        assert (await ws.closed())[0] == 4400


async def test_subscribe_before_the_acknowledgement_is_unauthorized_4401(gateway):
    async with socket(gateway.url) as ws:
        await ws.subscribe("1", ORDER_CHANGED, id="x")
        assert await ws.closed() == (4401, "Unauthorized")


@pytest.mark.parametrize(
    "payload",
    [{}, {"authorization": "Bearer not-a-token"}, {"authorization": "Basic abc"}],
)
async def test_connection_init_without_a_valid_token_is_forbidden_4403(gateway, payload):
    async with socket(gateway.url) as ws:
        await ws.send({"type": "connection_init", "payload": payload})
        code, reason = await ws.closed()
    assert code == 4403
    assert reason.startswith("Forbidden")


async def test_an_expired_token_is_refused_at_init(gateway, issuer):
    async with socket(gateway.url) as ws:
        await ws.send(
            {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {token(issuer, expires_in=-60)}"},
            }
        )
        assert await ws.closed() == (4403, "Forbidden: token expired")


async def test_a_second_connection_init_is_4429(gateway, issuer):
    async with socket(gateway.url) as ws:
        assert await ws.init(token(issuer)) == {"type": "connection_ack"}
        await ws.send({"type": "connection_init", "payload": {}})
        assert await ws.closed() == (4429, "Too many initialisation requests")


async def test_a_second_subscriber_with_a_running_id_is_4409(gateway, issuer):
    async with socket(gateway.url) as ws:
        await ws.init(token(issuer))
        await ws.subscribe("same", ORDER_CHANGED, id="a")
        await ws.subscribe("same", ORDER_CHANGED, id="b")
        assert await ws.closed() == (4409, "Subscriber for same already exists")


async def test_an_id_may_be_used_again_once_completed(gateway, issuer):
    async with socket(gateway.url) as ws:
        await ws.init(token(issuer))
        await ws.subscribe("same", ORDER_CHANGED, id="a")
        await ws.send({"type": "complete", "id": "same"})
        await ws.subscribe("same", ORDER_CHANGED, id="b")
        await ws.send({"type": "ping"})
        assert await ws.receive() == {"type": "pong"}  # nothing closed, no error


async def test_a_wrong_subprotocol_is_refused(gateway):
    async with socket(gateway.url, subprotocols=("graphql-ws",)) as ws:
        assert (await ws.closed())[0] == 4406


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("subscription { orderChanged { change } }", "GRAPHQL_VALIDATION_FAILED"),
        ("subscription { nothing }", "GRAPHQL_VALIDATION_FAILED"),
        ("subscription {", "GRAPHQL_PARSE_FAILED"),
        ("query { orders { totalCount } }", "BAD_REQUEST"),
        ("mutation { logOut { ok } }", "GRAPHQL_VALIDATION_FAILED"),
    ],
)
async def test_an_operation_that_cannot_run_gets_an_error_message(gateway, issuer, document, code):
    async with socket(gateway.url) as ws:
        await ws.init(token(issuer))
        await ws.send({"id": "1", "type": "subscribe", "payload": {"query": document}})
        error = await ws.receive()
        assert error["type"] == "error" and error["id"] == "1"
        assert error["payload"][0]["extensions"]["code"] == code
        await ws.subscribe("1", ORDER_CHANGED, id="a")  # the id is free again
        await ws.send({"type": "ping"})
        assert await ws.receive() == {"type": "pong"}


async def test_a_variable_of_the_wrong_type_is_bad_user_input(gateway, issuer):
    async with socket(gateway.url) as ws:
        await ws.init(token(issuer))
        await ws.subscribe("1", ORDER_CHANGED, id={"not": "an id"})
        error = await ws.receive()
    assert error["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_subscriptions_past_the_connections_limit_are_refused(gateway, issuer):
    async with socket(gateway.url) as ws:
        await ws.init(token(issuer))
        for ident in ("1", "2", "3", "4"):
            await ws.subscribe(ident, ORDER_CHANGED, id=ident)
        error = await ws.receive()
        assert error["id"] == "4"
        assert error["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        await ws.send({"type": "complete", "id": "1"})
        await ws.subscribe("5", ORDER_CHANGED, id="5")  # room again
        await ws.send({"type": "ping"})
        assert await ws.receive() == {"type": "pong"}


async def test_ten_thousand_subscribe_messages_close_the_socket_and_others_are_served(
    gateway, issuer
):
    async with socket(gateway.url) as ws:
        await ws.init(token(issuer))
        code = None
        try:
            for number in range(10_000):
                await ws.subscribe(str(number), ORDER_CHANGED, id=str(number))
        except Exception:  # the server closed the socket while we were still sending
            pass
        code, reason = await ws.closed()
    assert (code, reason) == (4429, "too many messages")
    await still_serving(gateway, issuer)
    metrics = (await gateway.get("/metrics")).text
    # Nothing of that socket is left running.
    assert "portal_gateway_subscriptions 0.0" in metrics


async def test_in_cookie_mode_the_session_cookie_serves_with_the_csrf_value(
    issuer, start_gateway, people
):
    async with start_gateway(people_url=people, jwks_url=issuer.url, cookie_mode=True) as gw:
        url = str(gw.base_url)
        cookie = f"portal_access={token(issuer)}; portal_csrf=k7Jq2"
        headers = {"Cookie": cookie}
        async with socket(url, additional_headers=headers) as ws:
            await ws.send({"type": "connection_init", "payload": {"csrf": "k7Jq2"}})
            assert await ws.receive() == {"type": "connection_ack"}
        # Another site's page sends the cookies too, but cannot read the CSRF value.
        async with socket(url, additional_headers=headers) as ws:
            await ws.send({"type": "connection_init", "payload": {"csrf": "guess"}})
            assert (await ws.closed())[0] == 4403
        async with socket(url, additional_headers=headers) as ws:
            await ws.send({"type": "connection_init", "payload": {}})
            assert (await ws.closed())[0] == 4403
