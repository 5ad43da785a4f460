"""Partner access to events, against a real nats-server started with the generated configuration.

The platform (the services' nkey) owns the streams and publishes CloudEvents as the outbox does;
partner A (its tenant's nkey) reads tenant a's events, live and from its partner stream, and is
refused by the server everything of tenant b and every publish on the event subjects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig, DeliverPolicy
from portal_kit.events import CloudEvent, new_event_id
from portal_kit.jetstream import StreamNames, connect_nats, ensure_service_streams, headers_for
from portal_kit.partners.__main__ import main as partners_command
from portal_kit.partners.access import PartnerAccess
from portal_kit.runtime import ServiceRuntime
from portal_kit.settings import ServiceSettings
from portal_kit.testing.nats_server import NatsServer
from portal_kit.testing.plugin import new_nats_server

PREFIX = "portal"
SERVICES = ["orders", "people"]


@dataclass
class Setup:
    server: NatsServer
    secrets: Path

    def seed(self, name: str) -> str:
        path = self.secrets / ("platform.nk" if name == "platform" else f"partners/{name}.nk")
        return str(path)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    secrets = tmp_path / "secrets"
    include = tmp_path / "partners.conf"
    assert (
        partners_command(
            [
                *("config", "--tenant", "a", "--tenant", "b"),
                *("--secrets", str(secrets), "--output", str(include)),
            ]
        )
        == 0
    )
    # As deploy/README.md tells the operator: the server's own file includes the generated one.
    main_config = tmp_path / "nats.conf"
    main_config.write_text('server_name: partners-test\ninclude "partners.conf"\n')
    server = new_nats_server(main_config)
    try:
        yield Setup(server, secrets)
    finally:
        server.close()


def create_streams(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator's `streams` command, run as the platform after the services made theirs."""
    monkeypatch.setenv("PORTAL_NATS_URL", setup.server.url)
    monkeypatch.setenv("PORTAL_NATS_NKEY_SEED_FILE", setup.seed("platform"))
    monkeypatch.setenv("PORTAL_STREAM_MAX_BYTES", "0")
    command = ["streams", "--tenant", "a", "--tenant", "b", "--services", *SERVICES]
    assert partners_command(command) == 0


class Partner:
    """A partner's connection, with the server's refusals as they reach its error callback."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.client: NatsClient | None = None

    async def connect(self, url: str, seed: str, inbox_prefix: str) -> NatsClient:
        async def on_error(error: Exception) -> None:
            self.errors.append(str(error))

        self.client = await nats.connect(
            url,
            nkeys_seed=seed,
            inbox_prefix=inbox_prefix,
            error_cb=on_error,
            allow_reconnect=False,
            connect_timeout=5,
        )
        return self.client

    async def refused(self, what: str) -> bool:
        for _ in range(100):
            # nats-py lowercases the server's -ERR text, apart from the subject.
            if any(f"permissions violation for {what}" in e.lower() for e in self.errors):
                return True
            await asyncio.sleep(0.05)
        return False


@pytest.fixture
async def platform(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[NatsClient, Any]]:
    # As a service connects (PORTAL_NATS_NKEY_SEED_FILE).
    client = await connect_nats(
        setup.server.url, name="platform", nkey_seed_file=Path(setup.seed("platform"))
    )
    js = client.jetstream()
    for service in SERVICES:
        await ensure_service_streams(js, StreamNames(PREFIX, service))
    await asyncio.to_thread(create_streams, setup, monkeypatch)
    try:
        yield client, js
    finally:
        await client.close()


@pytest.fixture
async def partner_a(setup: Setup) -> AsyncIterator[tuple[Partner, NatsClient]]:
    partner = Partner()
    client = await partner.connect(setup.server.url, setup.seed("a"), "_INBOX_a")
    try:
        yield partner, client
    finally:
        with contextlib.suppress(Exception):
            await client.close()


async def publish(js: Any, tenant: str, service: str, name: str) -> str:
    """One event as the outbox relay publishes it: a CloudEvent, its id as Nats-Msg-Id."""
    event = CloudEvent(
        id=new_event_id(),
        source=f"/portal/{service}",
        type=f"portal.{service}.order.{name}",
        subject="o-1",
        time=datetime.now(UTC),
        data={"orderId": "o-1"},
        tenant=tenant,
    )
    subject = f"{PREFIX}.{tenant}.{service}.order.{name}"
    await js.publish(subject, event.model_dump_json().encode(), headers=headers_for(event.id))
    return event.id


async def partner_stream_holds(js: Any, tenant: str, count: int) -> None:
    stream = PartnerAccess(PREFIX, tenant).stream
    for _ in range(200):
        if (await js.stream_info(stream)).state.messages >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{stream} never held {count} events")


async def fetch_ids(subscription: Any, count: int) -> list[str]:
    ids: list[str] = []
    while len(ids) < count:
        try:
            messages = await subscription.fetch(count - len(ids), timeout=2)
        except (NatsTimeout, TimeoutError):  # nats-py raises either, by where the wait ends
            break
        for message in messages:
            ids.append(CloudEvent.model_validate_json(message.data).id)
            await message.ack()
    return ids


async def test_a_partner_reads_its_tenants_events_durably_and_live(
    platform: tuple[NatsClient, Any], partner_a: tuple[Partner, NatsClient]
) -> None:
    _, js = platform
    partner, client = partner_a
    live: list[str] = []

    async def on_live(message: Any) -> None:
        live.append(message.subject)

    await client.subscribe("portal.a.>", cb=on_live)
    await client.flush()
    mine = [await publish(js, "a", "orders", "created"), await publish(js, "a", "people", "x")]
    await publish(js, "b", "orders", "created")
    await partner_stream_holds(js, "a", 2)

    pjs = client.jetstream()
    stream = PartnerAccess(PREFIX, "a").stream
    # A durable consumer per service (nats-server 2.9 takes a filter within one source).
    orders = await pjs.pull_subscribe("portal.a.orders.>", durable="crm-orders", stream=stream)
    people = await pjs.pull_subscribe("portal.a.people.>", durable="crm-people", stream=stream)
    assert await fetch_ids(orders, 3) + await fetch_ids(people, 3) == mine
    for _ in range(100):
        if len(live) == 2:
            break
        await asyncio.sleep(0.05)
    assert live == ["portal.a.orders.order.created", "portal.a.people.order.x"]
    assert partner.errors == []


async def test_another_tenants_subjects_are_refused_by_the_server(
    platform: tuple[NatsClient, Any], partner_a: tuple[Partner, NatsClient]
) -> None:
    _, js = platform
    partner, client = partner_a
    leaked: list[str] = []

    async def on_message(message: Any) -> None:
        leaked.append(message.subject)

    await client.subscribe("portal.b.>", cb=on_message)
    assert await partner.refused('subscription to "portal.b.>"')
    await client.subscribe("portal.>", cb=on_message)
    assert await partner.refused('subscription to "portal.>"')
    await publish(js, "b", "orders", "created")
    await partner_stream_holds(js, "b", 1)
    await client.flush()
    assert leaked == []


async def test_a_consumer_outside_the_partners_own_subjects_and_stream_is_refused(
    platform: tuple[NatsClient, Any], partner_a: tuple[Partner, NatsClient]
) -> None:
    _, js = platform
    partner, client = partner_a
    pjs = client.jetstream(timeout=1)
    b_stream = PartnerAccess(PREFIX, "b").stream
    a_stream = PartnerAccess(PREFIX, "a").stream
    # The server drops a refused request: nats-py sees no answer, the error callback the reason.
    attempts = [
        (a_stream, "portal.b.orders.>"),  # its own stream, another tenant's filter
        (b_stream, "portal.b.orders.>"),  # another tenant's partner stream
        ("PORTAL_ORDERS", "portal.a.orders.>"),  # a service stream, even with its own filter
    ]
    for stream, filter_subject in attempts:
        with pytest.raises(NatsTimeout):
            await pjs.add_consumer(
                stream,
                ConsumerConfig(name="sneak", durable_name="sneak", filter_subject=filter_subject),
            )
        assert await partner.refused(
            f'publish to "$js.api.consumer.create.{stream.lower()}.sneak.{filter_subject}"'
        )
    # Without the filter in the subject (legacy durable create, filter in the body only).
    with pytest.raises(NatsTimeout):
        await pjs.add_consumer(
            a_stream, ConsumerConfig(durable_name="sneak", filter_subject="portal.b.orders.>")
        )
    assert await partner.refused(
        f'publish to "$js.api.consumer.durable.create.{a_stream.lower()}.sneak"'
    )
    with pytest.raises(NatsTimeout):
        await pjs.add_consumer(a_stream, ConsumerConfig(name="sneak", durable_name="sneak"))
    assert await partner.refused(f'publish to "$js.api.consumer.create.{a_stream.lower()}.sneak"')
    # Tenant b's partner made a consumer; partner A can neither pull from it nor read its state.
    await js.add_consumer(b_stream, ConsumerConfig(name="erp", durable_name="erp"))
    with pytest.raises(NatsTimeout):
        await pjs.consumer_info(b_stream, "erp")
    with pytest.raises(NatsTimeout):
        await client.request(f"$JS.API.CONSUMER.MSG.NEXT.{b_stream}.erp", b"1", timeout=1)
    assert await partner.refused(f'publish to "$js.api.consumer.msg.next.{b_stream.lower()}.erp"')
    with pytest.raises(NatsTimeout):
        await client.request(f"$JS.API.STREAM.MSG.GET.{b_stream}", b'{"seq":1}', timeout=1)
    # Nothing of the refused creates was made.
    assert [c.name for c in await js.consumers_info(a_stream)] == []
    assert [c.name for c in await js.consumers_info("PORTAL_ORDERS")] == []


async def test_a_partner_cannot_publish_events(
    platform: tuple[NatsClient, Any], partner_a: tuple[Partner, NatsClient]
) -> None:
    _, js = platform
    partner, client = partner_a
    await client.publish("portal.a.orders.order.created", b"{}")
    assert await partner.refused('publish to "portal.a.orders.order.created"')
    await client.flush()
    assert (await js.stream_info("PORTAL_ORDERS")).state.messages == 0


async def test_a_replay_from_a_time_returns_exactly_the_events_after_it(
    platform: tuple[NatsClient, Any], partner_a: tuple[Partner, NatsClient]
) -> None:
    _, js = platform
    _, client = partner_a
    before = [await publish(js, "a", "orders", f"e{n}") for n in range(3)]
    await partner_stream_holds(js, "a", 3)
    await asyncio.sleep(0.05)  # the clock moves on past the last stored event
    since = datetime.now(UTC)
    await asyncio.sleep(0.05)
    after = [await publish(js, "a", "orders", f"e{n}") for n in range(3, 6)]
    await publish(js, "b", "orders", "created")
    await partner_stream_holds(js, "a", 6)

    pjs = client.jetstream()
    replay = await pjs.pull_subscribe(
        "portal.a.orders.>",
        durable="replay",
        stream=PartnerAccess(PREFIX, "a").stream,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since),
    )
    assert await fetch_ids(replay, 10) == after
    assert not set(before) & set(after)


async def test_an_unknown_key_and_no_key_are_refused(setup: Setup, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.nk"
    import nkeys  # type: ignore[import-untyped]

    stranger.write_bytes(nkeys.encode_seed(bytes(32), nkeys.PREFIX_BYTE_USER))
    for options in ({"nkeys_seed": str(stranger)}, {}):
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(setup.server.url, allow_reconnect=False, **options)


def test_credentials_are_kept_across_runs_and_the_file_holds_no_secret(tmp_path: Path) -> None:
    secrets, include = tmp_path / "secrets", tmp_path / "partners.conf"
    command = ["config", "--tenant", "a", "--secrets", str(secrets), "--output", str(include)]
    assert partners_command(command) == 0
    first = include.read_text()
    assert partners_command([*command[:3], "--tenant", "b", *command[3:]]) == 0
    second = include.read_text()
    seed_a = (secrets / "partners" / "a.nk").read_text().strip()
    assert seed_a.startswith("SU")
    assert seed_a not in second
    assert (secrets / "partners" / "a.nk").stat().st_mode & 0o077 == 0
    # Tenant a's and the platform's keys did not change when b was added.
    for line in first.splitlines():
        if '"nkey"' in line:
            assert line.strip().rstrip(",") in second


def test_a_tenant_id_that_is_not_one_is_refused(tmp_path: Path) -> None:
    command = ["config", "--tenant", "a.>", "--secrets", str(tmp_path), "--output"]
    assert partners_command([*command, str(tmp_path / "x.conf")]) == 2
    assert not (tmp_path / "x.conf").exists()


async def test_a_service_connects_with_the_platforms_nkey_and_makes_its_streams(
    setup: Setup, settings_for: Any
) -> None:
    settings = settings_for(
        ServiceSettings,
        service_name="kit",
        nats_url=setup.server.url,
        nats_nkey_seed_file=setup.seed("platform"),
        event_prefix=PREFIX,
    )
    runtime = ServiceRuntime(settings, outbox_collections=[], indexes=[])
    await runtime.start()
    try:
        assert (await runtime.readiness()).checks["nats"] is True
        assert (await runtime.js.stream_info("PORTAL_KIT")).config.subjects == ["portal.*.kit.>"]
    finally:
        await runtime.stop()


async def test_the_streams_command_follows_the_services_and_keeps_what_exists(
    platform: tuple[NatsClient, Any], setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, js = platform
    stream = PartnerAccess(PREFIX, "a").stream
    assert {s.name for s in (await js.stream_info(stream)).config.sources} == {
        "PORTAL_ORDERS",
        "PORTAL_PEOPLE",
    }
    await publish(js, "a", "orders", "created")
    await partner_stream_holds(js, "a", 1)
    monkeypatch.setenv("PORTAL_NATS_URL", setup.server.url)
    monkeypatch.setenv("PORTAL_NATS_NKEY_SEED_FILE", setup.seed("platform"))
    command = ["streams", "--tenant", "a", "--services", "orders", "people", "billing"]
    assert await asyncio.to_thread(partners_command, command) == 0
    info = await js.stream_info(stream)
    assert {s.name for s in info.config.sources} == {
        "PORTAL_ORDERS",
        "PORTAL_PEOPLE",
        "PORTAL_BILLING",
    }
    assert info.state.messages == 1  # what it held stays
