"""The order list as the manuals' users meet it: columns sort by what they show in the caller's
language, an order number is found exactly and ranked first, the completed view holds done
orders only and the dashboard's rows are headed like the manual's lists. Keyset pages stay
whole and in order under every one of these sorts."""

from __future__ import annotations

from portal_kit.testing.plugin import make_principal
from portal_orders.testing import (
    ASSIGN,
    CREATE,
    DASHBOARD,
    ORDERS,
    TRANSITION,
    listed,
    ok,
    publish_organisation_event,
    wait_for_handled,
)

JM_STAFF = {
    locale: make_principal("jm", user="jm-staff", staff=True, locale=locale)
    for locale in ("nb", "sv", "en")
}
ELSA = make_principal("familjebostader", user="elsa", staff=True, locale="sv")
TESTFIRMA = make_principal(
    "familjebostader", user="testfirma", memberships={"testfirma": ("user",)}, locale="sv"
)


CUSTOMER_OF = {"jm": "org-customer", "familjebostader": "fb-housing"}


async def create(service, principal, **values):
    customer = CUSTOMER_OF[principal.tenant]
    return await ok(service, CREATE, principal, customerOrganisationId=customer, **values)


async def move(service, principal, order, status, **extra):
    return await ok(
        service,
        TRANSITION,
        principal,
        id=order["id"],
        version=order["version"],
        status=status,
        **extra,
    )


async def assign(service, order, organisation, contact=None):
    extra = {"assigneeContact": {"name": contact}} if contact else {}
    return await ok(
        service,
        ASSIGN,
        JM_STAFF["nb"],
        id=order["id"],
        version=order["version"],
        assigneeOrganisationId=organisation,
        **extra,
    )


async def paged(service, principal, sort, filter=None, size=1):
    """Every order of the list, read `size` at a time through the cursors."""
    seen, after = [], None
    while True:
        data = (
            await service.graphql(
                ORDERS,
                {"first": size, "after": after, "sort": sort, "filter": filter},
                principal=principal,
            )
        )["orders"]
        seen += [edge["node"]["number"] for edge in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            return seen
        after = data["pageInfo"]["endCursor"]


async def test_status_sorts_by_its_label_in_the_callers_language(service):
    staff = JM_STAFF["nb"]
    new = await create(service, staff, orderType="billable", description="Ny jobb")
    received = await move(
        service,
        staff,
        await create(service, staff, orderType="billable", description="Mottatt"),
        "order_received",
    )
    declined = await move(
        service,
        staff,
        await create(service, staff, orderType="billable", description="Avslått"),
        "declined",
        changes={"actionTaken": "Ikke vårt fag"},
    )
    # The codes sort declined < new < order_received; the labels do not.
    expected = {
        "nb": [declined, received, new],  # Avslår, Bestilling mottatt, Ny
        "sv": [received, new, declined],  # Beställning mottagen, Ny, Tackar nej
        "en": [declined, new, received],  # Declined, New, Order received
    }
    for locale, orders in expected.items():
        numbers = [o["number"] for o in orders]
        for descending in (False, True):
            sort = {"column": "STATUS", "descending": descending}
            wanted = list(reversed(numbers)) if descending else numbers
            assert await listed(service, JM_STAFF[locale], sort=sort) == wanted, locale
            assert await paged(service, JM_STAFF[locale], sort) == wanted, locale


async def publish_organisation(
    nats_client, namespace, organisation_id, name, event="created", version=1
):
    data = {"organisation_id": organisation_id, "display_name": name}
    if event == "created":
        data |= {"kind": "contractor", "parent_id": None}
    else:
        data |= {"changed": ["name"], "active": True}
    await publish_organisation_event(nats_client, namespace, "jm", event, data, version=version)


async def test_the_contractor_column_sorts_by_organisation_then_contact_name(
    service, nats_client, namespace
):
    # Ids in the opposite order of the names: a sort by id cannot pass.
    names = {"ue-1": "Ålesund Rør AS", "ue-2": "Bygg og Betong AS", "ue-3": "Østlandet Elektro"}
    for organisation, name in names.items():
        await publish_organisation(nats_client, namespace, organisation, name)
    await wait_for_handled(service, 3)
    staff = JM_STAFF["nb"]
    orders = {}
    for key, organisation, contact in (
        ("alesund", "ue-1", "Mejlkontakt"),
        ("bygg-per", "ue-2", "Per Persen"),
        ("bygg-anne", "ue-2", "Anne Annesen"),
        ("ost", "ue-3", None),
    ):
        order = await create(service, staff, orderType="billable", description=key)
        orders[key] = (await assign(service, order, organisation, contact))["number"]

    def numbers(*keys):
        return [orders[k] for k in keys]

    sort = {"column": "ASSIGNEE"}
    # Norwegian: ... z, æ, ø, å; Swedish: ... z, å, ä, ö (its 'ø' is an 'ö').
    norwegian = numbers("bygg-anne", "bygg-per", "ost", "alesund")
    swedish = numbers("bygg-anne", "bygg-per", "alesund", "ost")
    assert await listed(service, staff, sort=sort) == norwegian
    assert await paged(service, staff, sort) == norwegian
    assert await paged(service, staff, {**sort, "descending": True}) == list(reversed(norwegian))
    assert await paged(service, JM_STAFF["sv"], sort, size=3) == swedish

    # A rename in people reaches the list's order through its event.
    await publish_organisation(
        nats_client, namespace, "ue-1", "Aker Rør AS", event="updated", version=2
    )
    await wait_for_handled(service, 4)
    assert await paged(service, staff, sort) == numbers("alesund", "bygg-anne", "bygg-per", "ost")


async def test_an_order_number_is_found_exactly_and_ranked_first(service):
    first = await create(service, ELSA, orderType="fel", description="Droppande kran")
    # Orders whose text holds the first number's digits: a phone number, a door code.
    phone = await create(
        service, ELSA, orderType="fel", description=f"Ring 070-{first['number']}11 före besök"
    )
    code = await create(service, ELSA, orderType="fel", description=f"Portkod {first['number']}")
    number = first["number"]
    assert await listed(service, ELSA, filter={"number": number}) == [number]
    assert await listed(service, ELSA, filter={"number": f" {number} "}) == [number]
    assert await listed(service, ELSA, filter={"number": number[:-1]}) == []

    search = {"search": number}
    newest_first = {"column": "NUMBER", "descending": True}
    ranked = [number, code["number"], phone["number"]]
    assert await listed(service, ELSA, filter=search, sort=newest_first) == ranked
    for size in (1, 2, 3):
        assert await paged(service, ELSA, newest_first, filter=search, size=size) == ranked
    by_description = {"column": "DESCRIPTION"}
    assert await paged(service, ELSA, by_description, filter=search) == [
        number,
        code["number"],
        phone["number"],
    ]
    data = (await service.graphql(ORDERS, {"first": 1, "filter": search}, principal=ELSA))["orders"]
    assert data["totalCount"] == 3
    # Two words are no order number: nothing is ranked, the sort alone decides.
    assert await listed(service, ELSA, filter={"search": f"portkod {number}"}) == [code["number"]]

    too_long = await service.post_graphql(ORDERS, {"filter": {"number": "1" * 41}}, ELSA)
    assert too_long.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_completed_view_lists_done_orders_not_declined_ones(service):
    accepted = await move(
        service, ELSA, await create(service, ELSA, orderType="fel", description="Klar"), "accepted"
    )
    done = await move(service, ELSA, accepted, "done", changes={"actionTaken": "Bytt packning"})
    declined = await move(
        service,
        ELSA,
        await create(service, ELSA, orderType="fel", description="Fel entreprenör"),
        "declined",
        comment="Inte vårt område",
    )
    active = await create(service, ELSA, orderType="fel", description="Pågår")
    assert await listed(service, ELSA, filter={"view": "COMPLETED"}) == [done["number"]]
    assert await listed(service, ELSA, filter={"view": "ACTIVE"}) == [active["number"]]
    assert sorted(await listed(service, ELSA)) == sorted(
        [done["number"], declined["number"], active["number"]]
    )


async def test_the_dashboard_rows_are_headed_like_the_manuals_lists(service):
    accepted = await move(
        service, ELSA, await create(service, ELSA, orderType="fel", description="Kran"), "accepted"
    )
    await create(service, ELSA, orderType="hlu", description="Dörr")
    board = (await service.graphql(DASHBOARD, {"view": "ALL"}, principal=ELSA))["orderDashboard"]
    rows = {row["status"]: (row["label"], row["total"]) for row in board["rows"]}
    assert rows == {
        "ordered": ("Beställda", 1),
        "accepted": ("Accepterade", 1),
        "done": ("Utförda", 0),
        "invoiced": ("Fakturerade", 0),
        "declined": ("Avslagna", 0),
        "cancelled": ("Makulerade", 0),
    }
    assert accepted["statusLabel"] == "Accepterad"  # the status itself keeps its own label
