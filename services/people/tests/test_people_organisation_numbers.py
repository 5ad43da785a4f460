"""An organisation's number (organisasjonsnummer, organisationsnummer, CVR, Y-tunnus), checked
with the check digits of the tenant's country (python-stdnum) and carried in the organisation's
events for billing's invoices; a Swedish personal identity number is refused."""

from __future__ import annotations

import asyncio
import json

from portal_kit.testing.plugin import make_principal
from portal_people.testing import ADMIN, CREATE_ORGANISATION, CREATE_TENANT, configuration

CHANGE = """mutation($input: ChangeOrganisationInput!) { changeOrganisation(input: $input) {
  organisation { organisationNumber version } userErrors { field code } } }"""
WITH_NUMBER = CREATE_ORGANISATION.replace("active }", "active organisationNumber }")


async def tenant(people, tenant_id, country):
    await people.graphql(
        CREATE_TENANT,
        {"input": {"id": tenant_id, "name": tenant_id, "configuration": configuration(country)}},
        principal=ADMIN,
    )
    return make_principal(tenant_id, user="loader", scopes=("platform:admin",))


async def create(people, principal, number):
    data = await people.graphql(
        WITH_NUMBER,
        {"input": {"name": "Testbedriften AS", "kind": "CUSTOMER", "organisationNumber": number}},
        principal=principal,
    )
    return data["createOrganisation"]


async def test_organisation_numbers_are_checked_per_country_and_reach_the_events(
    people, nats_client, namespace
):
    received: asyncio.Queue = asyncio.Queue()

    async def on_message(message):
        await received.put(json.loads(message.data))

    subscription = await nats_client.subscribe(
        f"{namespace.event_prefix}.avonova.people.organisation.>", cb=on_message
    )
    await nats_client.flush()
    avonova = await tenant(people, "avonova", "NO")
    made = await create(people, avonova, " 974 760 673 ")
    assert made["userErrors"] == []
    organisation = made["organisation"]
    assert organisation["organisationNumber"] == "974760673"
    for wrong in ("974760674", "12345", "abc"):
        refused = await create(people, avonova, wrong)
        assert (refused["organisation"], refused["userErrors"]) == (
            None,
            [
                {
                    "field": "organisationNumber",
                    "code": "INVALID",
                    "message": refused["userErrors"][0]["message"],
                }
            ],
        )
    changed = await people.graphql(
        CHANGE,
        {"input": {"id": organisation["id"], "version": 1, "organisationNumber": "982463718"}},
        principal=avonova,
    )
    assert changed["changeOrganisation"]["organisation"]["organisationNumber"] == "982463718"
    created = await asyncio.wait_for(received.get(), 10)
    updated = await asyncio.wait_for(received.get(), 10)
    await subscription.unsubscribe()
    assert created["data"]["organisation_number"] == "974760673"
    assert (updated["data"]["organisation_number"], updated["data"]["changed"]) == (
        "982463718",
        ["organisation_number"],
    )

    familjebostader = await tenant(people, "familjebostader", "SE")
    assert (await create(people, familjebostader, "556036-0793"))["userErrors"] == []
    # A sole trader's number is the owner's personnummer: personal data, refused.
    personal = await create(people, familjebostader, "811228-9874")
    assert [e["field"] for e in personal["userErrors"]] == ["organisationNumber"]
    # Without a number, as before.
    assert (await create(people, familjebostader, None))["userErrors"] == []
