"""Observability through the gateway, over the four real services (in-process, real HTTP, real
nats-server): every `/metrics` answers with the platform's families after traffic, and one
request that causes an event is one trace — the gateway, people, and the handlers of the
services that consume people's event — exported over OTLP/HTTP to a real receiver.

All services share this test process's metrics registry, so each family is checked by its
`service` label (one process per service in production serves its own samples only)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from portal_billing.app import create_app as create_billing_app
from portal_billing.settings import BillingSettings
from portal_gateway.testing.serving import serving
from portal_kit.testing.otlp import ReceivedSpan, TraceReceiver
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_people.app import create_app as create_people_app
from portal_people.settings import PeopleSettings
from portal_tickets.app import create_app as create_tickets_app
from portal_tickets.settings import TicketsSettings
from prometheus_client.parser import text_string_to_metric_families

SERVICES = {
    "people": (create_people_app, PeopleSettings),
    "orders": (create_orders_app, OrdersSettings),
    "tickets": (create_tickets_app, TicketsSettings),
    "billing": (create_billing_app, BillingSettings),
}
# People's organisation events are followed by these durable consumers.
FOLLOWERS = {
    "orders": "orders-organisations",
    "tickets": "tickets-organisations",
    "billing": "billing-organisations",
}
CREATE_TENANT = """mutation($input: CreateTenantInput!) {
  createTenant(input: $input) { tenant { id } userErrors { code } } }"""
CREATE_ORGANISATION = """mutation($input: CreateOrganisationInput!) {
  createOrganisation(input: $input) { organisation { id } userErrors { code } } }"""

SERVICE_FAMILIES = {
    "portal_http_requests",
    "portal_http_request_duration_seconds",
    "portal_graphql_errors",
    "portal_graphql_user_errors",
    "portal_outbox_pending_events",
    "portal_outbox_oldest_pending_age_seconds",
    "portal_outbox_published_events",
    "portal_outbox_publish_seconds",
    "portal_outbox_publish_failures",
    "portal_consumer_lag_messages",
    "portal_consumer_handled_events",
    "portal_consumer_failed_events",
    "portal_consumer_redeliveries",
    "portal_consumer_dead_letters",
    "portal_service_dependency_up",
}


@dataclass
class Platform:
    gateway: httpx.AsyncClient
    services: dict[str, str]
    token: Callable[..., str]

    async def call(
        self, query: str, token: str, headers: dict[str, str] | None = None, **input: Any
    ) -> dict[str, Any]:
        response = await self.gateway.post(
            "/graphql",
            json={"query": query, "variables": {"input": input}},
            headers={"Authorization": f"Bearer {token}", **(headers or {})},
        )
        body: dict[str, Any] = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]


@pytest.fixture
def platform(
    settings_for: Any, issuer: Any, start_gateway: Any
) -> Callable[[], contextlib.AbstractAsyncContextManager[Platform]]:
    @contextlib.asynccontextmanager
    async def start() -> AsyncIterator[Platform]:
        async with contextlib.AsyncExitStack() as stack:
            urls = {}
            for name, (create_app, settings_class) in SERVICES.items():
                app = create_app(settings_for(settings_class))
                urls[name] = await stack.enter_async_context(serving(app))
            gateway = await stack.enter_async_context(
                start_gateway(
                    jwks_url=issuer.url, **{f"{n}_url": f"{u}/graphql" for n, u in urls.items()}
                )
            )
            admin = issuer.token(user="root", tenant="platform", scopes=["platform:admin"])
            platform = Platform(gateway, urls, issuer.token)
            created = await platform.call(
                CREATE_TENANT,
                admin,
                id="jm",
                name="JM",
                configuration={"country": "NO", "locales": ["nb", "en"], "default_locale": "nb"},
            )
            assert created["createTenant"]["userErrors"] == []
            yield platform

    return start


def staff(platform: Platform) -> str:
    return platform.token(user="root", tenant="jm", staff=True, scopes=["platform:admin"])


async def scrape(client: httpx.AsyncClient, url: str) -> dict[str, list[Any]]:
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(response.text)}


def value(families: dict[str, list[Any]], sample: str, **labels: str) -> float:
    """Sum of the samples named `sample` whose labels include `labels` (-1 when none is)."""
    family = sample.removesuffix("_total").removesuffix("_count")
    found = [
        s.value
        for s in families.get(family, [])
        if s.name == sample and labels.items() <= s.labels.items()
    ]
    return sum(found) if found else -1


def grown(
    after: dict[str, list[Any]], before: dict[str, list[Any]], sample: str, **labels: str
) -> float:
    """How much a counter grew between two scrapes (the registry outlives a test: other tests
    in this process count on the same samples)."""
    return value(after, sample, **labels) - max(value(before, sample, **labels), 0)


async def eventually(check: Callable[[], Any], seconds: float = 20.0) -> None:
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 - polling the services' /metrics
            await asyncio.sleep(0.1)


async def test_every_service_answers_metrics_after_traffic_through_the_gateway(platform):
    async with platform() as running, httpx.AsyncClient(timeout=10) as client:
        before = {
            service: await scrape(client, f"{url}/metrics")
            for service, url in running.services.items()
        }
        token = staff(running)
        made = await running.call(CREATE_ORGANISATION, token, name="Emma", kind="CONTRACTOR")
        assert made["createOrganisation"]["userErrors"] == []
        refused = await running.call(CREATE_ORGANISATION, token, name="", kind="CONTRACTOR")
        codes = [e["code"] for e in refused["createOrganisation"]["userErrors"]]
        assert codes
        bad_cursor = await running.gateway.post(
            "/graphql",
            json={"query": '{ users(after: "not a cursor") { totalCount } }'},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert bad_cursor.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

        async def every_follower_handled() -> bool:
            for service, durable in FOLLOWERS.items():
                families = await scrape(client, f"{running.services[service]}/metrics")
                handled = value(
                    families,
                    "portal_consumer_handled_events_total",
                    service=service,
                    consumer=durable,
                )
                if handled < 1:
                    return False
            return True

        await eventually(every_follower_handled)

        for service, url in running.services.items():
            families = await scrape(client, f"{url}/metrics")
            assert set(families) >= SERVICE_FAMILIES, SERVICE_FAMILIES - set(families)
            assert value(families, "portal_outbox_pending_events", service=service) >= 0
            for family in ("portal_http_requests", "portal_outbox_pending_events"):
                assert all("tenant" not in s.labels for s in families[family])
        people = await scrape(client, f"{running.services['people']}/metrics")
        assert (
            grown(
                people,
                before["people"],
                "portal_http_requests_total",
                service="people",
                route="/graphql",
                method="POST",
                status="200",
            )
            >= 3
        )
        assert (
            grown(
                people,
                before["people"],
                "portal_http_request_duration_seconds_count",
                service="people",
            )
            >= 3
        )
        assert (
            grown(
                people, before["people"], "portal_outbox_published_events_total", service="people"
            )
            >= 1  # Emma\'s organisation.created
        )
        assert (
            grown(people, before["people"], "portal_outbox_publish_seconds_count", service="people")
            >= 1  # Emma\'s organisation.created
        )
        assert (
            grown(people, before["people"], "portal_graphql_user_errors_total", code=codes[0]) >= 1
        )
        assert (
            grown(
                people,
                before["people"],
                "portal_graphql_errors_total",
                service="people",
                code="BAD_USER_INPUT",
            )
            >= 1
        )
        orders = await scrape(client, f"{running.services['orders']}/metrics")
        durable = FOLLOWERS["orders"]
        assert value(orders, "portal_consumer_lag_messages", consumer=durable) >= 0
        assert (
            grown(orders, before["orders"], "portal_consumer_failed_events_total", consumer=durable)
            == 0
        )
        assert (
            grown(
                orders,
                before["orders"],
                "portal_consumer_dead_letters_total",
                consumer=durable,
                reason="handler_failed",
            )
            == 0
        )

        gateway = await scrape(running.gateway, "/metrics")
        assert value(gateway, "portal_gateway_requests_total", status="200") >= 3
        assert (
            value(gateway, "portal_http_requests_total", service="gateway", route="/graphql") >= 4
        )


def chain(span: ReceivedSpan, spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    """The span and its ancestors among `spans`, nearest first."""
    by_id = {s.span_id: s for s in spans}
    found = [span]
    while found[-1].parent_span_id in by_id:
        found.append(by_id[found[-1].parent_span_id])
    return found


async def test_a_request_and_the_events_it_causes_are_one_trace(platform, monkeypatch):
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # the batch processor's delay, in ms
    receiver = TraceReceiver()
    async with serving(receiver.app()) as otlp:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp)
        async with platform() as running:
            trace_id, client_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
            made = await running.call(
                CREATE_ORGANISATION,
                staff(running),
                {"traceparent": f"00-{trace_id}-{client_span}-01"},
                name="Emma",
                kind="CONTRACTOR",
            )
            assert made["createOrganisation"]["userErrors"] == []

            def handled(spans: list[ReceivedSpan]) -> bool:
                # Every process exports on its own schedule: wait for each part of the trace,
                # not only for the handlers (the gateway's span may arrive after theirs).
                seen = {(s.service, s.kind) for s in spans if s.trace_id == trace_id}
                expected = {("gateway", SERVER), ("people", SERVER), ("people", PRODUCER)}
                return expected | {(service, CONSUMER) for service in FOLLOWERS} <= seen

            spans = await receiver.wait_for(handled)

    traced = [s for s in spans if s.trace_id == trace_id]
    gateway = next(s for s in traced if s.service == "gateway" and s.kind == SERVER)
    assert gateway.parent_span_id == client_span  # the caller's traceparent was continued
    assert gateway.name == "POST /graphql"
    people = next(s for s in traced if s.service == "people" and s.kind == SERVER)
    assert gateway in chain(people, traced)
    assert {"gateway.fetch", "gateway.execute"} <= {s.name for s in chain(people, traced)}
    for service, durable in FOLLOWERS.items():
        handler = next(s for s in traced if s.service == service and s.kind == CONSUMER)
        assert handler.name == f"{durable} process"
        assert handler.attributes["messaging.consumer.group.name"] == durable
        ancestors = chain(handler, traced)
        assert people in ancestors and gateway in ancestors  # the event's parent is the request
        # Between them, people's relay publishing the event.
        publish = ancestors[1]
        assert (publish.service, publish.kind) == ("people", PRODUCER)
        assert publish.name == "publish people.organisation.created"


SERVER, PRODUCER, CONSUMER = 2, 4, 5  # OTLP's SpanKind numbers
