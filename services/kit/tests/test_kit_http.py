"""The service app: /graphql only with a valid principal, health endpoints, request ids."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import strawberry
from portal_kit.domain import new_id
from portal_kit.graphql import masking_extension
from portal_kit.http import build_service_app
from portal_kit.logging import request_id_var, tenant_var
from portal_kit.principal import HEADER, Principal, PrincipalSigner, generate_key_pair
from portal_kit.runtime import ServiceRuntime
from portal_kit.settings import ServiceSettings
from portal_kit.testing.harness import RunningService, running_service
from portal_kit.testing.notes import Note, NoteAdded, NoteRepository
from portal_kit.testing.plugin import SettingsFactory, make_principal
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.federation import Schema

QUERY = "{ whoami { user tenant loggedTenant requestId } }"


@strawberry.type
class WhoAmI:
    user: str
    tenant: str
    logged_tenant: str | None
    request_id: str | None


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: strawberry.Info) -> WhoAmI:
        principal: Principal = info.context["principal"]
        return WhoAmI(
            user=principal.user,
            tenant=principal.tenant,
            logged_tenant=tenant_var.get(),
            request_id=request_id_var.get(),
        )

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("secret internal detail at /srv/app.py line 12")


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def add_note(self, info: strawberry.Info, text: str) -> int:
        """Writes a note (slowly, so retries overlap it); how many notes the tenant has."""
        runtime: ServiceRuntime = info.context["runtime"]
        principal: Principal = info.context["principal"]
        await asyncio.sleep(0.2)
        note = Note(id=new_id(), tenant=principal.tenant, text=text)
        note.record(NoteAdded(note_id=note.id))
        await runtime.repository(NoteRepository, principal.tenant).add(note)
        return await runtime.database.for_tenant("notes", principal.tenant).count()


schema = Schema(query=Query, mutation=Mutation, extensions=[masking_extension])


def _context(runtime: ServiceRuntime, principal: Principal, request: Request) -> dict[str, Any]:
    return {"runtime": runtime, "principal": principal, "request": request}


async def _whoami(request: Request) -> JSONResponse:
    return JSONResponse({"user": request.state.principal.user})


def create_app(settings: ServiceSettings) -> Starlette:
    runtime = ServiceRuntime(settings, outbox_collections=("notes",))
    app = build_service_app(
        runtime, schema, _context, extra_routes=[Route("/files/whoami", _whoami)]
    )
    app.state.runtime = runtime
    return app


@pytest.fixture
async def service(
    settings_for: SettingsFactory, signer: PrincipalSigner
) -> AsyncIterator[RunningService]:
    async with running_service(
        create_app, settings_for(ServiceSettings, service_name="kit"), signer
    ) as service:
        yield service


def _assert_unauthenticated(response: Any) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in body
    assert "Traceback" not in response.text
    assert ".py" not in response.text


async def test_graphql_without_principal_is_401(service: RunningService) -> None:
    response = await service.post_graphql(QUERY)
    _assert_unauthenticated(response)


@pytest.mark.parametrize("header", ["garbage", "", "Bearer x.y.z"])
async def test_graphql_with_garbage_principal_is_401(service: RunningService, header: str) -> None:
    response = await service.client.post(
        "/graphql", json={"query": QUERY}, headers={HEADER: header}
    )
    _assert_unauthenticated(response)


async def test_graphql_get_without_principal_is_401(service: RunningService) -> None:
    response = await service.client.get("/graphql", params={"query": QUERY})
    _assert_unauthenticated(response)


async def test_expired_principal_is_401(
    service: RunningService, principal_keys: tuple[bytes, bytes]
) -> None:
    expired = PrincipalSigner(principal_keys[0], lifetime_seconds=-1).sign(make_principal("acme"))
    response = await service.client.post(
        "/graphql", json={"query": QUERY}, headers={HEADER: expired}
    )
    _assert_unauthenticated(response)


async def test_principal_from_another_key_is_401(service: RunningService) -> None:
    foreign = PrincipalSigner(generate_key_pair()[0]).sign(make_principal("acme"))
    response = await service.client.post(
        "/graphql", json={"query": QUERY}, headers={HEADER: foreign}
    )
    _assert_unauthenticated(response)


async def test_valid_principal_reaches_the_schema(service: RunningService) -> None:
    response = await service.client.post(
        "/graphql",
        json={"query": QUERY},
        headers={HEADER: service.signer.sign(make_principal("acme", user="u-7"))},
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "whoami": {
                "user": "u-7",
                "tenant": "acme",
                "loggedTenant": "acme",
                "requestId": response.headers["x-request-id"],
            }
        }
    }


async def test_federation_sdl_is_served(service: RunningService) -> None:
    data = await service.graphql("{ _service { sdl } }", principal=make_principal("acme"))
    assert "whoami" in data["_service"]["sdl"]


async def test_resolver_errors_are_masked(service: RunningService) -> None:
    response = await service.post_graphql("{ boom }", principal=make_principal("acme"))
    assert response.status_code == 200
    body = response.json()
    assert body["errors"][0]["message"] == "Internal server error"
    assert "secret" not in response.text
    assert "Traceback" not in response.text


async def test_invalid_query_is_a_readable_error(service: RunningService) -> None:
    response = await service.post_graphql("{ nope }", principal=make_principal("acme"))
    assert response.status_code == 200
    assert "nope" in response.json()["errors"][0]["message"]


async def test_request_id_is_echoed_or_generated(service: RunningService) -> None:
    principal_header = {HEADER: service.signer.sign(make_principal("acme"))}
    echoed = await service.client.post(
        "/graphql", json={"query": QUERY}, headers={**principal_header, "X-Request-Id": "req-123"}
    )
    assert echoed.headers["x-request-id"] == "req-123"
    assert echoed.json()["data"]["whoami"]["requestId"] == "req-123"

    refused = await service.client.post(
        "/graphql", json={"query": QUERY}, headers={"X-Request-Id": "req-456"}
    )
    assert refused.status_code == 401
    assert refused.headers["x-request-id"] == "req-456"

    generated = await service.client.get("/healthz")
    assert len(generated.headers["x-request-id"]) >= 16


async def test_healthz(service: RunningService) -> None:
    response = await service.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "up", "service": "kit"}


async def test_readyz_reports_its_dependencies(service: RunningService) -> None:
    response = await service.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"mongodb": True, "nats": True}}


async def test_readyz_stays_200_through_a_nats_restart_while_writes_continue(
    settings_for: SettingsFactory, signer: PrincipalSigner, own_nats_server: Any
) -> None:
    settings = settings_for(
        ServiceSettings, service_name="kit", nats_url=own_nats_server.url, outbox_sweep_seconds=0.2
    )
    async with running_service(create_app, settings, signer) as service:
        runtime = service.runtime
        notes = runtime.repository(NoteRepository, "acme")
        written: list[str] = []

        async def write() -> None:
            note = Note(id=new_id(), tenant="acme", text=f"note {len(written)}")
            note.record(NoteAdded(note_id=note.id))
            await notes.add(note)
            written.append(note.id)

        await write()
        own_nats_server.stop()
        await _sleep(0.2)  # let the client notice the closed connection
        for _ in range(5):  # writes go on while NATS is away
            await write()
            response = await service.client.get("/readyz")
            assert response.status_code == 200
            body = response.json()
            assert body["status"] == "degraded"
            assert body["checks"] == {"mongodb": True, "nats": False}
            assert "nats" in body["degraded"]
        metrics = (await service.client.get("/metrics")).text
        assert 'portal_service_dependency_up{dependency="nats",service="kit"} 0.0' in metrics
        assert 'portal_service_degraded{service="kit"} 1.0' in metrics

        own_nats_server.start()
        await write()
        for _ in range(300):
            response = await service.client.get("/readyz")
            assert response.status_code == 200
            pending = await runtime.database.system_collection("notes").count_documents(
                {"outbox.0": {"$exists": True}}
            )
            if response.json()["status"] == "ready" and pending == 0:
                break
            await _sleep(0.1)
        assert response.json() == {"status": "ready", "checks": {"mongodb": True, "nats": True}}
        assert pending == 0
        info = await runtime.js.stream_info(runtime.names.stream)
        assert info.state.messages == len(written) == 7
        metrics = (await service.client.get("/metrics")).text
        assert 'portal_service_degraded{service="kit"} 0.0' in metrics


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_every_route_but_the_probes_needs_a_principal(
    service: RunningService, signer: PrincipalSigner
) -> None:
    _assert_unauthenticated(await service.client.get("/files/whoami"))
    principal = make_principal("acme", user="u-7")
    allowed = await service.client.get("/files/whoami", headers={HEADER: signer.sign(principal)})
    assert allowed.json() == {"user": "u-7"}


ADD_NOTE = "mutation($text: String!) { addNote(text: $text) }"


async def test_a_mutation_retried_with_its_idempotency_key_acts_once(
    service: RunningService, signer: PrincipalSigner
) -> None:
    from portal_kit.idempotency import IDEMPOTENCY_HEADER

    principal = make_principal("acme", user="u-7")

    async def add(text: str, key: str | None, who: Principal = principal) -> Any:
        headers = {HEADER: signer.sign(who), **({IDEMPOTENCY_HEADER: key} if key else {})}
        return await service.client.post(
            "/graphql", json={"query": ADD_NOTE, "variables": {"text": text}}, headers=headers
        )

    # The first and its retries in flight together: the retries wait for the first outcome.
    first, *retries = await asyncio.gather(*(add("one", "k-1") for _ in range(3)))
    assert first.json() == {"data": {"addNote": 1}}
    assert all(r.json() == first.json() for r in retries)
    assert all(r.headers.get("x-idempotent-replay") == "true" for r in retries)
    later = await add("one", "k-1")
    assert later.json() == {"data": {"addNote": 1}}
    # Another key acts; another request under a used key is refused and does nothing.
    assert (await add("one", "k-2")).json() == {"data": {"addNote": 2}}
    reused = await add("two", "k-1")
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    # A key is the caller's: another user's same key is another request.
    other = make_principal("acme", user="u-8")
    assert (await add("one", "k-1", other)).json() == {"data": {"addNote": 3}}
    # Anonymous callers never share outcomes: their keys are ignored.
    anonymous = Principal.anonymous("acme")
    assert (await add("one", "k-9", anonymous)).json() == {"data": {"addNote": 4}}
    assert (await add("one", "k-9", anonymous)).json() == {"data": {"addNote": 5}}
