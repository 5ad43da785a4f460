"""/readyz and /metrics tell whether the subscriptions' event feed follows the services'
streams, against a real nats-server of the test's own that it creates streams on, stops and
starts: a feed away leaves the gateway serving (200, `degraded`), naming the subjects whose
events do not arrive."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from portal_gateway.subscriptions.feed import EventFeed
from portal_kit.jetstream import StreamNames, connect_nats, ensure_service_streams
from portal_kit.testing.nats_server import NatsServer

SERVICES = ("people", "orders", "tickets", "billing")  # people's: the revocation feed's


async def readiness_until(
    gateway: httpx.AsyncClient, condition: Callable[[dict[str, Any]], bool], what: str
) -> tuple[int, dict[str, Any]]:
    """/readyz once `condition` holds of its body (bounded: the feed retries every second)."""
    body: dict[str, Any] = {}
    for _ in range(200):
        response = await gateway.get("/readyz")
        body = response.json()
        if condition(body):
            return response.status_code, body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: {body}")


def feed(body: dict[str, Any]) -> dict[str, bool]:
    return dict(body["subscriptions"]["feed"])


def gauge(metrics: str, subject: str) -> float:
    line = f'portal_gateway_subscription_feed_live{{subject="{subject}"}} '
    values = [float(row[len(line) :]) for row in metrics.splitlines() if row.startswith(line)]
    assert len(values) == 1, metrics
    return values[0]


async def test_readiness_names_the_streams_the_feed_follows_and_those_it_waits_for(
    start_gateway: Any, recorder: Any, own_nats_server: NatsServer, namespace: Any
) -> None:
    _, ready_subgraph = recorder  # every subgraph answers its /readyz
    prefix = namespace.event_prefix
    records = ("orders.order", "tickets.ticket", "billing.invoice")
    subjects = {f"{prefix}.*.{record}.>" for record in records}
    async with start_gateway(
        **{f"{name}_url": ready_subgraph for name in SERVICES},
        nats_url=own_nats_server.url,
        event_prefix=prefix,
        subscription_feed_check_seconds=0.2,
    ) as gateway:
        # No service has created its stream yet: nothing to follow.
        status, body = await readiness_until(
            gateway, lambda b: "subscriptions" in b, "no feed in the readiness"
        )
        assert status == 200
        assert body["status"] == "degraded"
        assert feed(body) == dict.fromkeys(subjects, False)
        assert sorted(body["degraded"]["subscriptions"]) == sorted(subjects)
        billing = f"{prefix}.*.billing.invoice.>"
        assert gauge((await gateway.get("/metrics")).text, billing) == 0

        client = await connect_nats(own_nats_server.url, name="readiness-test")
        try:
            for service in SERVICES:
                await ensure_service_streams(client.jetstream(), StreamNames(prefix, service))
        finally:
            await client.close()
        status, body = await readiness_until(
            gateway, lambda b: all(feed(b).values()), "the feed never followed the streams"
        )
        assert (status, body["status"]) == (200, "ready"), body
        assert "degraded" not in body
        assert gauge((await gateway.get("/metrics")).text, billing) == 1

        # A stream deleted under the feed: its subject is not live until the stream is back.
        orders = f"{prefix}.*.orders.order.>"
        client = await connect_nats(own_nats_server.url, name="readiness-test")
        try:
            await client.jetstream().delete_stream(StreamNames(prefix, "orders").stream)
            status, body = await readiness_until(
                gateway, lambda b: not feed(b)[orders], "still live with its stream deleted"
            )
            assert (status, body["status"]) == (200, "degraded")
            assert body["degraded"]["subscriptions"] == [orders]
            await ensure_service_streams(client.jetstream(), StreamNames(prefix, "orders"))
        finally:
            await client.close()
        status, body = await readiness_until(
            gateway, lambda b: all(feed(b).values()), "the feed never followed the new stream"
        )
        assert (status, body["status"]) == (200, "ready"), body

        own_nats_server.stop()
        status, body = await readiness_until(
            gateway, lambda b: not any(feed(b).values()), "the feed still live without NATS"
        )
        assert (status, body["status"]) == (200, "degraded")
        assert sorted(body["degraded"]["subscriptions"]) == sorted(subjects)
        assert gauge((await gateway.get("/metrics")).text, billing) == 0

        own_nats_server.start()
        status, body = await readiness_until(
            gateway, lambda b: all(feed(b).values()), "the feed never came back with NATS"
        )
        assert (status, body["status"]) == (200, "ready"), body


async def test_events_published_while_the_feed_lost_its_stream_still_arrive(
    own_nats_server: NatsServer, namespace: Any
) -> None:
    """Deleted and made again (an operator's repair): once the feed follows the new stream,
    it gets that stream's events from the last time its consumer was known, not only newer."""
    prefix = namespace.event_prefix
    names = StreamNames(prefix, "orders")
    received: list[str] = []
    feed_ = EventFeed(
        lambda event: received.append(event["subject"]),
        nats_url=own_nats_server.url,
        prefix=prefix,
        streams=[("orders", "order")],
        check_every=0.2,
    )
    client = await connect_nats(own_nats_server.url, name="feed-test")
    js = client.jetstream()

    async def publish(order_id: str) -> None:
        event = {"tenant": "jm", "type": "portal.orders.order.edited", "subject": order_id}
        await js.publish(f"{prefix}.jm.orders.order.edited", orjson.dumps(event))

    async def until(condition: Callable[[], bool], what: str) -> None:
        for _ in range(150):
            if condition():
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{what}: {received}, live {feed_.live}")

    try:
        await ensure_service_streams(js, names)
        feed_.start()
        await until(lambda: bool(feed_.live), "never live")
        await publish("before")
        await until(lambda: received == ["before"], "the first event did not arrive")

        await js.delete_stream(names.stream)
        await until(lambda: not feed_.live, "still live without its stream")
        await ensure_service_streams(js, names)
        await publish("while-away")  # before the feed follows the new stream
        await until(lambda: bool(feed_.live), "never followed the new stream")
        await publish("after")
        await until(lambda: received == ["before", "while-away", "after"], "events lost")
    finally:
        await feed_.stop()
        await client.close()
