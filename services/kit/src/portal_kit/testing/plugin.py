"""Pytest fixtures for every package: real NATS, MongoDB or its stand-in, principals, services.

Each test gets its own event prefix (so its own streams and subjects) and its own database
names, so tests can run in parallel with pytest-xdist against one NATS and one MongoDB.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from portal_kit.mongo import Database, connect_database
from portal_kit.principal import Membership, Principal, PrincipalSigner, generate_key_pair
from portal_kit.settings import ServiceSettings
from portal_kit.testing.nats_server import NatsServer, docker_answers, find_nats_server

# Property tests run without hypothesis' per-example deadline (200 ms): on a shared machine a
# first call that loads a locale's data, or a moment without the CPU, passes it, and tests
# never judge wall-clock time. A test may still set its own.
settings.register_profile("portal", deadline=None)
settings.load_profile("portal")

_choice: dict[str, str] = {}


def _mongo_choice() -> str:
    if "mongo" not in _choice:
        if os.environ.get("PORTAL_MONGO_URL"):
            _choice["mongo"] = "PORTAL_MONGO_URL"
        elif docker_answers():
            _choice["mongo"] = "testcontainers"
        else:
            _choice["mongo"] = "stand-in"
    return _choice["mongo"]


def _nats_choice() -> str:
    if os.environ.get("PORTAL_NATS_URL"):
        return "PORTAL_NATS_URL"
    if find_nats_server():
        return "nats-server from PATH"
    return "testcontainers" if docker_answers() else "none"


def pytest_report_header(config: pytest.Config) -> list[str]:
    mongo = {
        "PORTAL_MONGO_URL": "real MongoDB from PORTAL_MONGO_URL",
        "testcontainers": "real MongoDB in a testcontainers container",
        "stand-in": "in-memory stand-in (mongomock-motor): no PORTAL_MONGO_URL, no Docker engine",
    }[_mongo_choice()]
    return [f"portal: MongoDB = {mongo}", f"portal: NATS = {_nats_choice()}"]


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str | None]:
    choice = _mongo_choice()
    if choice == "PORTAL_MONGO_URL":
        yield os.environ["PORTAL_MONGO_URL"]
    elif choice == "testcontainers":
        from testcontainers.mongodb import MongoDbContainer

        with MongoDbContainer("mongo:7") as container:
            yield container.get_connection_url()
    else:
        yield None


def new_nats_server(config_file: Path | None = None) -> NatsServer:
    binary = find_nats_server()
    if binary is None:
        raise RuntimeError("nats-server is not installed: apt-get install nats-server")
    server = NatsServer(binary, config_file=config_file)
    server.start()
    return server


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    if url := os.environ.get("PORTAL_NATS_URL"):
        yield url
        return
    if find_nats_server() is None and docker_answers():
        from testcontainers.nats import NatsContainer

        with NatsContainer("nats:2.10", jetstream=True) as container:
            yield container.nats_uri()
        return
    server = new_nats_server()
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture
def own_nats_server() -> Iterator[NatsServer]:
    """A nats-server for this test alone, which the test may stop and start (outages)."""
    server = new_nats_server()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def principal_keys() -> tuple[bytes, bytes]:
    return generate_key_pair()


@pytest.fixture(scope="session")
def signer(principal_keys: tuple[bytes, bytes]) -> PrincipalSigner:
    return PrincipalSigner(principal_keys[0])


@dataclass(frozen=True)
class TestNamespace:
    """Names no other test uses: an event prefix and a database name per service."""

    __test__ = False  # not a test class, though its name starts with "Test"

    token: str

    @property
    def event_prefix(self) -> str:
        return f"t{self.token}"

    def database(self, service: str) -> str:
        return f"t{self.token}_{service}"


@pytest.fixture
def namespace() -> TestNamespace:
    return TestNamespace(uuid.uuid4().hex[:12])


@pytest.fixture
async def database_for(
    mongo_url: str | None, namespace: TestNamespace
) -> AsyncIterator[Callable[[str], Database]]:
    """`database_for(service)`: the test's own database of that service (MongoDB or the
    stand-in), closed after the test."""
    opened: list[Database] = []

    def open_database(service: str) -> Database:
        database = connect_database(mongo_url, namespace.database(service))
        opened.append(database)
        return database

    yield open_database
    for database in opened:
        database.close()


SettingsFactory = Callable[..., Any]


@pytest.fixture
def settings_for(
    mongo_url: str | None,
    nats_url: str,
    namespace: TestNamespace,
    principal_keys: tuple[bytes, bytes],
) -> SettingsFactory:
    """Settings of a service for this test: `settings_for(PeopleSettings, nats_url=...)`."""

    def make(settings_class: type[ServiceSettings] = ServiceSettings, **overrides: Any) -> Any:
        service = overrides.pop("service_name", None) or settings_class().service_name
        values: dict[str, Any] = {
            "service_name": service,
            "mongo_url": mongo_url,
            "mongo_stand_in": mongo_url is None,
            # No byte limit: JetStream reserves it, and thousands of test streams share a server.
            "stream_max_bytes": 0,
            "mongo_database": namespace.database(service),
            "nats_url": nats_url,
            "event_prefix": namespace.event_prefix,
            "principal_public_key": principal_keys[1].decode(),
            "outbox_sweep_seconds": 0.5,
        }
        values.update(overrides)
        return settings_class(**values)

    return make


def make_principal(
    tenant: str,
    *,
    user: str = "user-1",
    staff: bool = False,
    memberships: dict[str, tuple[str, ...]] | None = None,
    scopes: tuple[str, ...] = (),
    locale: str = "en",
    active_organisation: str | None = None,
) -> Principal:
    return Principal(
        user=user,
        tenant=tenant,
        staff=staff,
        memberships=tuple(
            Membership(organisation=org, roles=roles) for org, roles in (memberships or {}).items()
        ),
        scopes=scopes,
        locale=locale,
        active_organisation=active_organisation,
    )


@pytest.fixture
async def nats_client(nats_url: str) -> AsyncIterator[Any]:
    import nats

    client = await nats.connect(nats_url)
    try:
        yield client
    finally:
        await client.drain()
