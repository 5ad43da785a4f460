"""Every message a user reads is in their language, through the gateway over the real people and
orders subgraphs (in-process, real HTTP): the principal's locale (the user's, or Accept-Language
for an anonymous caller) picks the catalogue.

- Familjebostäder (001_, Swedish): a contractor's refused status change, refused field and
  refused booking read in Swedish; the log reads as the manual's 'Noteringar' — "AO Registrerad
  och Beställd", "AO Accepterad", "AO Information" with "Tid är bokad med kund",
  "Beställningsfråga", "Beställningssvar".
- JM (000_, Norwegian): a contractor's refused 'Utført' and booking read in Norwegian.
- An anonymous caller asking in Danish gets Danish refusals of login and registration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from portal_gateway.testing.calls import mutate, query
from portal_gateway.testing.serving import serving
from portal_kit.testing.harness import RunningService
from portal_orders.app import create_app as create_orders_app
from portal_orders.settings import OrdersSettings
from portal_orders.testing import know_organisations
from portal_people.testing import seed_tenant

ORDER = "id version status"
PAYLOAD = f"order {{ {ORDER} }} userErrors {{ field code message }}"


def mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {PAYLOAD} }} }}"


CREATE = mutation("createOrder", "CreateOrderInput")
TRANSITION = mutation("transitionOrder", "TransitionOrderInput")
EDIT = mutation("editOrder", "EditOrderInput")
NOTE = mutation("addOrderNote", "AddOrderNoteInput")
ASK = mutation("askOrderQuestion", "AskOrderQuestionInput")
ANSWER = mutation("answerOrderQuestion", "AnswerOrderQuestionInput")
BOOK = mutation("bookEmployee", "BookEmployeeInput")
LOG = """query($id: ID!) { order(id: $id) { myRoleLabel statusCategoryLabel activity {
  id kind kindLabel roleLabel visibilityLabel statusToLabel eventLabel phraseLabel text } } }"""
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  accessToken userErrors { field code message } } }"""
REGISTER = """mutation($input: RegisterWithInvitationInput!) {
  registerWithInvitation(input: $input) { user { id } userErrors { field code message } } }"""


@pytest.fixture
async def orders(settings_for: Any) -> AsyncIterator[str]:
    app = create_orders_app(settings_for(OrdersSettings))
    async with serving(app) as url:
        await know_organisations(app)
        yield f"{url}/graphql"


def messages(payload: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    assert payload["order"] is None, payload
    return sorted((e["field"], e["code"], e["message"]) for e in payload["userErrors"])


async def ok(gw: httpx.AsyncClient, token: str, document: str, **input: Any) -> dict[str, Any]:
    payload = await mutate(gw, token, document, **input)
    assert payload["userErrors"] == [], payload
    order: dict[str, Any] = payload["order"]
    return order


def at(order: dict[str, Any]) -> dict[str, Any]:
    return {"id": order["id"], "version": order["version"]}


async def test_a_familjebostader_contractor_reads_refusals_and_the_log_in_swedish(
    people, orders, issuer, start_gateway
):
    elsa = issuer.token(user="elsa", tenant="familjebostader", staff=True, locale="sv")
    testfirma = issuer.token(
        user="1999/99999",
        tenant="familjebostader",
        memberships=[{"organisation": "testfirma", "roles": ["user"]}],
        locale="sv",
    )
    async with start_gateway(people_url=people, orders_url=orders, jwks_url=issuer.url) as gw:
        order = await ok(
            gw,
            elsa,
            CREATE,
            orderType="fel",
            description="Blandare läcker",
            customerOrganisationId="fb-housing",
            assigneeOrganisationId="testfirma",
            object={"number": "64010765"},
            avser={"space": "Kök", "unit": "Blandare"},
        )
        too_early = await mutate(gw, testfirma, TRANSITION, **at(order), status="done")
        order = await ok(gw, testfirma, TRANSITION, **at(order), status="accepted")
        no_action = await mutate(gw, testfirma, TRANSITION, **at(order), status="done")
        not_theirs = await mutate(
            gw, testfirma, EDIT, **at(order), changes={"description": "Annat fel"}
        )
        booking = await mutate(gw, testfirma, BOOK, **at(order), bookingId="b", employeeId="e")
        order = await ok(
            gw, testfirma, NOTE, **at(order), event="time_booked", phrase="time_booked"
        )
        order = await ok(gw, testfirma, ASK, **at(order), text="Ska blandaren bytas?")
        log = (await query(gw, testfirma, LOG, id=order["id"]))["order"]
        question = log["activity"][-1]["id"]
        order = await ok(
            gw, elsa, ANSWER, **at(order), questionId=question, text="Ja byt blandaren"
        )
        answered = (await query(gw, elsa, LOG, id=order["id"]))["order"]

    assert messages(too_early) == [
        (
            "status",
            "TRANSITION_NOT_ALLOWED",
            "arbetsflödet tillåter inte att gå från ”Beställd” till ”Utförd”",
        )
    ]
    assert messages(no_action) == [("actionTaken", "REQUIRED", "måste fyllas i för denna status")]
    assert messages(not_theirs) == [("description", "FORBIDDEN", "du får inte ändra detta fält")]
    assert messages(booking) == [(None, "FORBIDDEN", "kundorganisationen bokar sina anställda")]
    assert (log["myRoleLabel"], log["statusCategoryLabel"]) == ("Entreprenör", "Pågående")
    # The manual's 'Noteringar', oldest first: Typ/Namn as Familjebostäder words them.
    assert [(e["kind"], e["kindLabel"]) for e in answered["activity"]] == [
        ("created", "AO Registrerad och Beställd"),
        ("status_changed", "AO Accepterad"),
        ("note", "AO Information"),
        ("question", "Beställningsfråga"),
        ("answer", "Beställningssvar"),
    ]
    note = answered["activity"][2]
    assert (note["eventLabel"], note["phraseLabel"]) == (
        "Tid är bokad med kund",
        "Tid är bokad med kund",
    )
    assert answered["activity"][1]["statusToLabel"] == "Accepterad"
    assert answered["activity"][3]["roleLabel"] == "Entreprenör"


async def test_a_jm_contractor_reads_refusals_in_norwegian(people, orders, issuer, start_gateway):
    pm = issuer.token(user="pm-testare", tenant="jm", staff=True, locale="nb")
    emma = issuer.token(
        user="mejlkontakt",
        tenant="jm",
        memberships=[{"organisation": "emma", "roles": ["user"]}],
        locale="nb",
    )
    async with start_gateway(people_url=people, orders_url=orders, jwks_url=issuer.url) as gw:
        order = await ok(
            gw,
            pm,
            CREATE,
            orderType="billable",
            description="TEST",
            customerOrganisationId="jm-housing",
            assigneeOrganisationId="emma",
        )
        order = await ok(gw, emma, TRANSITION, **at(order), status="order_received")
        utfort = await mutate(
            gw,
            emma,
            TRANSITION,
            **at(order),
            status="done",
            changes={"actionTaken": "Byttet blandebatteri"},
        )
        typed = await mutate(
            gw, emma, TRANSITION, **at(order), status="done", changes={"faultType": "Feil produkt"}
        )
        booking = await mutate(gw, emma, BOOK, **at(order), bookingId="b", employeeId="e")
        log = (await query(gw, emma, LOG, id=order["id"]))["order"]

    assert messages(utfort) == [
        ("faultType", "REQUIRED", "må fylles ut for denne statusen"),
        ("rootCause", "REQUIRED", "må fylles ut for denne statusen"),
    ]
    [(field, code, unknown)] = messages(typed)
    assert (field, code) == ("faultType", "UNKNOWN_CODE")
    assert unknown.startswith("ukjent kode; en av: product_fault")
    assert messages(booking) == [(None, "FORBIDDEN", "kundeorganisasjonen booker sine ansatte")]
    assert [e["kindLabel"] for e in log["activity"]] == ["Opprettet", "Status endret"]
    assert log["activity"][1]["statusToLabel"] != "order_received"


async def test_an_anonymous_caller_asking_in_danish_reads_danish_refusals(
    people_service: tuple[RunningService, str], start_gateway: Any
):
    service, url = people_service
    await seed_tenant(service, "visma-enterprise", country="DK")
    async with start_gateway(
        people_url=f"{url}/graphql", jwks_url=f"{url}/.well-known/jwks.json"
    ) as gw:

        async def anonymous(document: str, language: str, **input: Any) -> list[tuple[str, str]]:
            response = await gw.post(
                "/graphql",
                json={"query": document, "variables": {"input": input}},
                headers={"X-Portal-Tenant": "visma-enterprise", "Accept-Language": language},
            )
            body = response.json()
            assert "errors" not in body, body
            payload = next(iter(body["data"].values()))
            return [(e["code"], e["message"]) for e in payload["userErrors"]]

        login = {"login": "nobody", "password": "not the password"}
        danish = await anonymous(LOG_IN, "da-DK,da;q=0.9,en;q=0.5", **login)
        english = await anonymous(LOG_IN, "de, en;q=0.5", **login)
        registered = await anonymous(
            REGISTER,
            "da",
            code="NO-SUCH-CODE",
            email="ny@example.dk",
            username="ny.bruger",
            password="a long secret phrase",
            passwordConfirmation="a long secret phrase",
        )
    assert danish == [("INVALID_CREDENTIALS", "forkert brugernavn eller adgangskode")]
    assert english == [("INVALID_CREDENTIALS", "wrong user name or password")]
    assert registered == [("INVALID_CODE", "denne invitationskode er brugt, udløbet eller ukendt")]
