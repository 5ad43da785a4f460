"""Dialog attachments through the public door (issue 9, item 10), over the real orders subgraph:
a file goes up in a GraphQL multipart request at the tenant's size limit (far above the 1 MiB a
JSON request may have) and comes back down through `GET :4000/attachments/<id>`, streamed, with
the caller's session and the visibility orders decides."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from portal_gateway.settings import GatewaySettings
from portal_gateway.testing.serving import serving
from portal_kit.principal import FIRST_LOGIN_SCOPE
from portal_orders.adapters.configuration import shipped_configurations
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_orders.testing import know_organisations
from starlette.applications import Starlette

MIB = 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

ORDER = "order { id version activity { text attachments { id filename size downloadPath } } }"
CREATE = f"""mutation($input: CreateOrderInput!) {{ createOrder(input: $input) {{
  {ORDER} userErrors {{ field code message }} }} }}"""
COMMENT = f"""mutation($input: AddOrderCommentInput!) {{ addOrderComment(input: $input) {{
  {ORDER} userErrors {{ field code message }} }} }}"""
READ = f"query($id: ID!) {{ {ORDER.replace('order {', 'order(id: $id) {', 1)} }}"


def png(size: int) -> bytes:
    """A PNG by its magic number (orders sniffs the type from the content), random after it."""
    return PNG_MAGIC + os.urandom(size - len(PNG_MAGIC))


@pytest.fixture
async def orders_app(settings_for: Any) -> AsyncIterator[tuple[Starlette, str]]:
    app = create_orders_app(settings_for(OrdersSettings))
    async with serving(app) as url:
        await know_organisations(app)
        yield app, f"{url}/graphql"


async def stored_files(app: Starlette) -> int:
    database = app.state.runtime.database
    files: int = await database.system_collection("fs.files").count_documents({})
    chunks: int = await database.system_collection("fs.chunks").count_documents({})
    return files + chunks


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def mutate(gw: httpx.AsyncClient, token: str, document: str, **input: Any) -> Any:
    response = await gw.post(
        "/graphql", json={"query": document, "variables": {"input": input}}, headers=bearer(token)
    )
    body = response.json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def multipart(
    document: str, variables: dict[str, Any], files: dict[str, tuple[list[str], str, bytes]]
) -> dict[str, Any]:
    """httpx arguments of a GraphQL multipart request: operations, map, then the files."""
    return {
        "data": {
            "operations": orjson.dumps({"query": document, "variables": variables}).decode(),
            "map": orjson.dumps({key: paths for key, (paths, _, _) in files.items()}).decode(),
        },
        "files": {key: (name, data, "image/png") for key, (_, name, data) in files.items()},
    }


def comment_with_file(order: dict[str, Any], text: str, name: str, data: bytes) -> dict[str, Any]:
    variables = {
        "input": {
            "id": order["id"],
            "version": order["version"],
            "text": text,
            "attachments": [{"filename": name, "file": None}],
        }
    }
    return multipart(
        COMMENT, variables, {"0": (["variables.input.attachments.0.file"], name, data)}
    )


async def jm_order_assigned_to_the_contractor(gw: httpx.AsyncClient, staff: str) -> Any:
    created = await mutate(
        gw,
        staff,
        CREATE,
        orderType="warranty",
        description="Sprekk i flis på badet",
        customerOrganisationId="org-customer",
        assigneeOrganisationId="org-contractor",
    )
    assert created["userErrors"] == []
    return created["order"]


async def test_a_contractor_uploads_six_mib_and_downloads_it_byte_identical_through_the_gateway(
    orders_app, issuer, start_gateway
):
    app, orders = orders_app
    staff = issuer.token(user="jm-staff", tenant="jm", staff=True, locale="nb")
    contractor = issuer.token(
        user="ue-1",
        tenant="jm",
        memberships=[{"organisation": "org-contractor", "roles": ["user"]}],
    )
    other_contractor = issuer.token(
        user="ue-2", tenant="jm", memberships=[{"organisation": "org-second", "roles": ["user"]}]
    )
    photo = png(6 * MIB)
    settings = {"orders_url": orders, "jwks_url": issuer.url}
    async with start_gateway(**settings, cookie_mode=True, cookie_secure=False) as gw:
        order = await jm_order_assigned_to_the_contractor(gw, staff)

        # Six MiB: six times what a JSON request may carry, within JM's 10 MiB.
        response = await gw.post(
            "/graphql",
            headers=bearer(contractor),
            **comment_with_file(order, "Bilde av skaden", "skade på flis.png", photo),
        )
        assert response.status_code == 200, response.text
        payload = response.json()["data"]["addOrderComment"]
        assert payload["userErrors"] == []
        [attachment] = payload["order"]["activity"][-1]["attachments"]
        assert (attachment["filename"], attachment["size"]) == ("skade på flis.png", len(photo))
        path = attachment["downloadPath"]
        assert path == f"/attachments/{attachment['id']}"

        downloaded = await gw.get(path, headers=bearer(contractor))
        assert downloaded.status_code == 200
        assert downloaded.content == photo
        assert downloaded.headers["content-type"] == "image/png"
        assert downloaded.headers["content-length"] == str(len(photo))
        assert downloaded.headers["content-disposition"] == (
            'attachment; filename="skade p_ flis.png"; '
            "filename*=UTF-8''skade%20p%C3%A5%20flis.png"
        )
        assert downloaded.headers["x-content-type-options"] == "nosniff"
        assert downloaded.headers["cache-control"] == "private, no-store"
        # Staff see every order of the tenant, and so its files.
        assert (await gw.get(path, headers=bearer(staff))).content == photo

        # A link in the SPA in cookie mode: the access cookie is the session, no CSRF header.
        gw.cookies.set("portal_access", contractor)
        by_cookie = await gw.get(path)
        assert (by_cookie.status_code, by_cookie.content) == (200, photo)
        # Uploads change something: with the cookie alone they need the CSRF header.
        refused = await gw.post(
            "/graphql", **comment_with_file(payload["order"], "Igjen", "igjen.png", photo)
        )
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
        gw.cookies.clear()

        # A contractor of another organisation: the same 404 as for a file that does not exist.
        out_of_sight = await gw.get(path, headers=bearer(other_contractor))
        missing = await gw.get(f"/attachments/{'0' * 24}", headers=bearer(contractor))
        garbage = await gw.get("/attachments/not~an~id", headers=bearer(contractor))
        for answer in (out_of_sight, missing, garbage):
            assert answer.status_code == 404
            assert answer.json() == missing.json()
        traversal = await gw.get("/attachments/..%2F..%2Fgraphql", headers=bearer(contractor))
        assert traversal.status_code == 404
        assert missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"

        # No session: 401, before orders is asked; a broken token too.
        for headers in ({}, {"X-Portal-Tenant": "jm"}, bearer("not-a-token")):
            anonymous = await gw.get(path, headers=headers)
            assert anonymous.status_code == 401
            assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert anonymous.content != photo
        # A first login pending: only people serves the user, files included.
        pending = issuer.token(
            user="ue-3",
            tenant="jm",
            memberships=[{"organisation": "org-contractor", "roles": ["user"]}],
            scopes=[FIRST_LOGIN_SCOPE],
        )
        first_login = await gw.get(path, headers=bearer(pending))
        assert first_login.status_code == 403
        assert first_login.json()["errors"][0]["extensions"]["code"] == "FIRST_LOGIN_REQUIRED"

        # JSON requests keep their small limit.
        too_big_json = await gw.post(
            "/graphql",
            json={"query": "{ orders { totalCount } }", "pad": "x" * (2 * MIB)},
            headers=bearer(contractor),
        )
        assert too_big_json.status_code == 413
    assert await stored_files(app) == 6 * MIB // (255 * 1024) + 2  # one file: its chunks + 1


async def test_a_file_over_the_limit_is_refused_clearly_and_nothing_is_stored(
    orders_app, issuer, start_gateway
):
    app, orders = orders_app
    elsa = issuer.token(user="elsa", tenant="familjebostader", staff=True, locale="sv")
    staff = issuer.token(user="jm-staff", tenant="jm", staff=True)
    async with start_gateway(orders_url=orders, jwks_url=issuer.url) as gw:
        created = await mutate(
            gw,
            elsa,
            CREATE,
            orderType="fel",
            description="Droppande kran i köket",
            customerOrganisationId="fb-housing",
        )
        assert created["userErrors"] == []
        order = created["order"]
        # Familjebostäder takes 5 MiB: a 6 MiB photo passes the gateway, orders refuses it.
        response = await gw.post(
            "/graphql",
            headers=bearer(elsa),
            **comment_with_file(order, "Foto", "kök.png", png(6 * MIB)),
        )
        refused = response.json()["data"]["addOrderComment"]
        assert refused["order"] is None
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            ("attachments.0.content", "TOO_LARGE")
        ]
        assert str(5 * MIB) in refused["userErrors"][0]["message"]
        read = await gw.post(
            "/graphql", json={"query": READ, "variables": {"id": order["id"]}}, headers=bearer(elsa)
        )
        assert read.json()["data"]["order"] == order  # the same version, the same log

        # Over the largest tenant limit (JM's 10 MiB) the gateway refuses the body itself.
        jm_order = await jm_order_assigned_to_the_contractor(gw, staff)
        too_large = await gw.post(
            "/graphql",
            headers=bearer(staff),
            **comment_with_file(jm_order, "Video", "stor.png", png(12 * MIB)),
        )
        assert too_large.status_code == 413
        assert too_large.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert await stored_files(app) == 0


async def test_files_go_only_to_upload_arguments_of_root_mutation_fields_of_one_service(
    orders_app, issuer, start_gateway
):
    app, orders = orders_app
    staff = issuer.token(user="jm-staff", tenant="jm", staff=True)
    photo = png(1000)
    async with start_gateway(orders_url=orders, jwks_url=issuer.url) as gw:
        order = await jm_order_assigned_to_the_contractor(gw, staff)
        input_ = {
            "id": order["id"],
            "version": order["version"],
            "text": None,
            "attachments": [{"filename": "a.png", "file": None}],
        }
        refusals = [
            # A query takes no files.
            multipart(
                "query($f: ID!) { order(id: $f) { id } }",
                {"f": None},
                {"0": (["variables.f"], "a.png", photo)},
            ),
            # A text is no file.
            multipart(
                COMMENT, {"input": input_}, {"0": (["variables.input.text"], "a.png", photo)}
            ),
        ]
        for arguments in refusals:
            response = await gw.post("/graphql", headers=bearer(staff), **arguments)
            assert response.status_code == 400, response.text
            assert response.json()["errors"][0]["extensions"]["code"] == "UPLOAD_REFUSED"

        # A map naming a file the request does not carry, or a path the variables lack.
        lacking = multipart(
            COMMENT, {"input": input_}, {"0": (["variables.input.attachments.0.file"], "a", photo)}
        )
        lacking["data"]["map"] = orjson.dumps({"1": ["variables.input.attachments.0.file"]})
        lacking["data"]["map"] = lacking["data"]["map"].decode()
        response = await gw.post("/graphql", headers=bearer(staff), **lacking)
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"

        # No session: refused before the body is read.
        anonymous = await gw.post(
            "/graphql",
            headers={"X-Portal-Tenant": "jm"},
            **comment_with_file(order, "Hei", "a.png", photo),
        )
        assert anonymous.status_code == 401
    assert await stored_files(app) == 0


def test_the_upload_limit_is_the_largest_attachment_limit_of_any_tenant():
    """`PORTAL_MAX_UPLOAD_BYTES` follows orders' configurations: a tenant raising its limit past
    it would find its users refused at the door with files its own rules accept."""
    limits = {t: c.attachments.max_bytes for t, c in shipped_configurations().items()}
    assert GatewaySettings.model_fields["max_upload_bytes"].default == max(limits.values())
    assert limits["jm"] == 10 * MIB and limits["familjebostader"] == 5 * MIB
