"""The platform as separate processes, as `make dev` runs it: the four services and the gateway,
each on its own port, demo data loaded through the people API, and queries through the gateway."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import orjson
import pytest
from portal_kit.events import new_event_id
from portal_kit.keys import ensure_key_pair
from portal_kit.testing.nats_server import free_port

SERVICES = ("people", "orders", "tickets", "billing")
PASSWORD = "Portal-demo-2026!"
DEMO_TENANTS = {
    "platform",
    "jm",
    "familjebostader",
    "avonova",
    "visma-inschool",
    "visma-enterprise",
}


@dataclass
class Platform:
    gateway: str
    services: dict[str, str]
    event_prefix: str

    def graphql(
        self,
        query: str,
        *,
        token: str | None = None,
        tenant: str | None = None,
        variables: dict | None = None,
    ) -> httpx.Response:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if tenant:
            headers["X-Portal-Tenant"] = tenant
        return httpx.post(
            f"{self.gateway}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=30,
        )

    def log_in(self, tenant: str, login: str) -> str:
        response = self.graphql(
            """mutation($input: LogInInput!) { logIn(input: $input) {
                 accessToken userErrors { code } } }""",
            tenant=tenant,
            variables={"input": {"login": login, "password": PASSWORD}},
        )
        token: str = response.json()["data"]["logIn"]["accessToken"]
        assert token, response.text
        return token


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s: {log.read_text()[-2000:]}")


def load_orders_demo(
    gateway: str, module: str = "portal_orders.demo"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")},
            "PORTAL_DEMO_GATEWAY_URL": f"{gateway}/graphql",
            "PORTAL_DEMO_PASSWORD": PASSWORD,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> Iterator[Platform]:
    work = tmp_path_factory.mktemp("platform")
    private_key, public_key = ensure_key_pair(work / "keys")
    token_key, _ = ensure_key_pair(work / "keys" / "tokens")
    prefix = f"e2e{os.getpid()}"
    base = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    if os.environ.get("PORTAL_MONGO_URL"):
        base["PORTAL_MONGO_URL"] = os.environ["PORTAL_MONGO_URL"]
    else:  # a test's explicit switch: outside dev mode a service refuses the stand-in otherwise
        base["PORTAL_MONGO_STAND_IN"] = "true"
    base.update(
        PORTAL_NATS_URL=nats_url,
        PORTAL_EVENT_PREFIX=prefix,
        PORTAL_PRINCIPAL_PUBLIC_KEY_FILE=str(public_key),
    )
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name in SERVICES:
            env = {
                **base,
                "PORTAL_HTTP_PORT": str(ports[name]),
                "PORTAL_MONGO_DATABASE": f"{prefix}_{name}",
            }
            if name == "people":
                env["PORTAL_TOKEN_SIGNING_KEY_FILE"] = str(token_key)
            log = work / f"{name}.log"
            process = subprocess.Popen(
                [sys.executable, "-m", f"portal_{name}"],
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            processes.append(process)
            wait_ready(f"http://127.0.0.1:{ports[name]}/readyz", process, log)
        people = f"http://127.0.0.1:{ports['people']}"
        gateway_log = work / "gateway.log"
        gateway = subprocess.Popen(
            [sys.executable, "-m", "portal_gateway"],
            env={
                **base,
                "PORTAL_HTTP_PORT": str(ports["gateway"]),
                "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE": str(private_key),
                **{
                    f"PORTAL_{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}/graphql"
                    for name in SERVICES
                },
                "PORTAL_JWKS_URL": f"{people}/.well-known/jwks.json",
            },
            stdout=gateway_log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        processes.append(gateway)
        wait_ready(f"http://127.0.0.1:{ports['gateway']}/readyz", gateway, gateway_log)
        demo = subprocess.run(
            [sys.executable, "-m", "portal_people.demo"],
            env={
                **base,
                "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE": str(private_key),
                "PORTAL_DEMO_PEOPLE_URL": f"{people}/graphql",
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert demo.returncode == 0, demo.stderr
        # The manuals' orders, through the gateway, as `make dev` loads them after people's.
        orders_demo = load_orders_demo(f"http://127.0.0.1:{ports['gateway']}")
        assert orders_demo.returncode == 0, orders_demo.stderr
        # Then the manuals' invoices (and a Familjebostäder work order invoiced), as `make dev`.
        gateway_url = f"http://127.0.0.1:{ports['gateway']}"
        billing_demo = load_orders_demo(gateway_url, "portal_billing.demo")
        assert billing_demo.returncode == 0, billing_demo.stderr + billing_demo.stdout
        yield Platform(
            gateway=f"http://127.0.0.1:{ports['gateway']}",
            services={name: f"http://127.0.0.1:{ports[name]}" for name in SERVICES},
            event_prefix=prefix,
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def test_every_service_is_ready(platform: Platform) -> None:
    for name, url in platform.services.items():
        response = httpx.get(f"{url}/readyz", timeout=5)
        assert response.status_code == 200, name
        assert response.json()["checks"] == {"mongodb": True, "nats": True}
    gateway = httpx.get(f"{platform.gateway}/readyz", timeout=5)
    assert gateway.status_code == 200
    assert gateway.json()["checks"] == dict.fromkeys(sorted(SERVICES), True)


def test_platform_admin_sees_the_five_demo_tenants_and_their_organisations(platform):
    token = platform.log_in("platform", "platform-admin")
    response = platform.graphql(
        "{ tenants { id name country organisations { edges { node { name kind } } } } }",
        token=token,
    )
    assert response.status_code == 200, response.text
    tenants = {t["id"]: t for t in response.json()["data"]["tenants"]}
    assert set(tenants) == DEMO_TENANTS
    jm = {e["node"]["name"]: e["node"]["kind"] for e in tenants["jm"]["organisations"]["edges"]}
    assert jm["Emmas Testföretag (projekt A)"] == "CONTRACTOR"
    avonova = [e["node"]["name"] for e in tenants["avonova"]["organisations"]["edges"]]
    assert {"Demokunde_Test", "Testbedriften AS", "Bergen TEST"} <= set(avonova)
    assert tenants["familjebostader"]["country"] == "SE"


def test_a_contractor_sees_only_its_own_tenant_and_organisation(platform):
    token = platform.log_in("jm", "mejlkontakt")
    data = platform.graphql(
        "{ tenants { id } organisations { edges { node { name } } } me { username staff } }",
        token=token,
    ).json()["data"]
    assert data["tenants"] == [{"id": "jm"}]
    assert [e["node"]["name"] for e in data["organisations"]["edges"]] == [
        "Emmas Testföretag (projekt A)"
    ]
    assert data["me"] == {"username": "mejlkontakt", "staff": False}


def test_a_subgraph_refuses_a_request_that_did_not_come_through_the_gateway(platform):
    for url in platform.services.values():
        response = httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}, timeout=5)
        assert response.status_code == 401
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "Traceback" not in response.text


def test_every_process_answers_metrics_of_its_own_work(platform):
    """After the demo loads (through the gateway; people's events followed by the others)
    each process's /metrics carries its own requests, outbox and consumers."""
    from prometheus_client.parser import text_string_to_metric_families

    def samples(url: str) -> list[Any]:
        response = httpx.get(f"{url}/metrics", timeout=5)
        assert response.status_code == 200
        families = text_string_to_metric_families(response.text)
        return [sample for family in families for sample in family.samples]

    def total(found: list[Any], name: str, **labels: str) -> float:
        return sum(s.value for s in found if s.name == name and labels.items() <= s.labels.items())

    for name, url in platform.services.items():
        found = samples(url)
        ours = {s.labels.get("service") for s in found if s.name.startswith("portal_")}
        assert ours == {name}  # one process, one service
        # The full collection before the start-up heap is frozen (portal_kit.serve.settle_heap).
        assert total(found, "python_gc_collections_total", generation="2") >= 1, name
        assert total(found, "portal_http_requests_total", route="/readyz") > 0, name
        assert total(found, "portal_outbox_pending_events") == 0, name  # all published
        assert total(found, "portal_consumer_dead_letters_total") == 0, name
    people = samples(platform.services["people"])
    assert total(people, "portal_outbox_published_events_total") > 0
    assert total(people, "portal_http_requests_total", route="/graphql", status="200") > 0
    orders = samples(platform.services["orders"])
    assert (
        total(orders, "portal_consumer_handled_events_total", consumer="orders-organisations") > 0
    )
    gateway = samples(platform.gateway)
    assert total(gateway, "portal_http_requests_total", service="gateway", route="/graphql") > 0
    assert total(gateway, "portal_gateway_requests_total") > 0


MY_ORDERS = """{ orders(first: 50) { totalCount edges { node {
  number status statusLabel orderTypeLabel description orderDate bundleNumber
  assigneeContact { name }
  activity { kind text eventLabel } bookings { booked employees { id } } } } } }"""


ORGANISATIONS = "{ organisations(first: 50) { edges { node { id name } } } }"
CHOOSE = """mutation($input: ChooseActiveOrganisationInput!) {
  chooseActiveOrganisation(input: $input) { session { accessToken } userErrors { code } } }"""


def my_orders(platform: Platform, tenant: str, login: str) -> dict[str, dict]:
    response = platform.graphql(MY_ORDERS, token=platform.log_in(tenant, login))
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return {e["node"]["number"]: e["node"] for e in body["data"]["orders"]["edges"]}


def test_after_the_demo_each_manuals_user_sees_its_orders_at_once(platform):
    # One test, so that pytest-xdist's spreading of tests starts no second platform for it.
    # JM (000_): the contractor's list shows 'TEST', a billable job in status Ny, and its dialog.
    [jm] = my_orders(platform, "jm", "mejlkontakt").values()
    assert (jm["description"], jm["orderTypeLabel"], jm["statusLabel"], jm["orderDate"]) == (
        "TEST",
        "Fakturerbart oppdrag",
        "Ny",
        "2024-09-05",
    )
    assert [e["kind"] for e in jm["activity"]] == ["created", "assigned", "comment", "comment"]

    # Familjebostäder (001_): AO 2375-2377 in the bundle at Torögatan 51, with the manual's log.
    fb = my_orders(platform, "familjebostader", "1999/99999")
    assert {n: o["status"] for n, o in fb.items()} == {
        "2375": "ordered",
        "2376": "ordered",
        "2377": "accepted",
        "2378": "invoiced",  # billing's demo: done by Testfirma AB, invoiced by AO2378
    }
    assert fb["2375"]["assigneeContact"] == {"name": "Testfirma AB"}  # Utförare
    assert [fb[n]["bundleNumber"] for n in ("2375", "2376", "2377")] == [
        "64010765-20190819",
        "64010765-20190819-2-1",
        "64010765-20190819-1-1",
    ]
    log = [(e["kind"], e["eventLabel"] or e["text"]) for e in fb["2377"]["activity"]]
    assert log == [
        ("created", ""),
        ("status_changed", ""),
        ("note", "Tid är bokad med kund"),
        ("question", "Ska blandaren bytas?"),
        ("answer", "Ja byt blandaren"),
    ]

    # Avonova (002_): the customer admin sees order 307390 and its booking.
    [avonova] = my_orders(platform, "avonova", "testweb").values()
    assert (avonova["number"], avonova["description"], avonova["orderDate"]) == (
        "307390",
        "så raskt som mulig",
        "2023-04-17",
    )
    assert [b["booked"] for b in avonova["bookings"]] == [1]

    # A user of both Avonova customers sees both customers' orders until choosing one.
    assert set(my_orders(platform, "avonova", "hr.felles")) == {"307390", "307391"}
    user = platform.log_in("avonova", "hr.felles")
    nordlys = next(
        e["node"]["id"]
        for e in platform.graphql(ORGANISATIONS, token=user).json()["data"]["organisations"][
            "edges"
        ]
        if e["node"]["name"] == "Nordlys Eiendom AS"
    )
    chosen = platform.graphql(CHOOSE, token=user, variables={"input": {"organisationId": nordlys}})
    at_nordlys = chosen.json()["data"]["chooseActiveOrganisation"]["session"]["accessToken"]
    listed = platform.graphql(MY_ORDERS, token=at_nordlys).json()["data"]["orders"]["edges"]
    assert [e["node"]["number"] for e in listed] == ["307391"]

    # Avonova (002_, 'Fakturaer'): the customer admin's list as the manual shows it.
    assert avonova_invoices(platform) == [
        ("2017-118350", "2017-12-31", "Testbedriften AS", "1500.00", "1500.00", "Forfalt"),
        ("2017-118352", "2017-12-19", "Bergen TEST", "3000.00", "3000.00", "Forfalt"),
        ("2017-118359", "2017-12-31", "Bergen TEST", "3000.00", "3000.00", "Forfalt"),
        ("2018-118371", "2018-02-28", "Bergen TEST", "1000.00", "1000.00", "Ubetalt"),
        ("2018-118376", "2018-03-06", "Testbedriften AS", "5.00", "5.00", "Ubetalt"),
    ]
    billing_again = load_orders_demo(platform.gateway, "portal_billing.demo")
    assert billing_again.returncode == 0, billing_again.stderr
    assert "already there" in billing_again.stdout
    assert len(avonova_invoices(platform)) == 5

    # Loading again adds nothing.
    again = load_orders_demo(platform.gateway)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already there") == 6, again.stdout
    assert set(my_orders(platform, "familjebostader", "elsa.osterberg")) == set(fb)

    # Familjebostäder's staff's next work order goes on after the demo's: AO 2379.
    staff = platform.log_in("familjebostader", "elsa.osterberg")
    operator = platform.graphql(
        "{ organisations(kind: OPERATOR) { edges { node { id } } } }", token=staff
    ).json()["data"]["organisations"]["edges"][0]["node"]["id"]
    created = platform.graphql(
        """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
             order { number invoiceReference } userErrors { field code message } } }""",
        token=staff,
        variables={
            "input": {
                "orderType": "fel",
                "description": "Droppande kran",
                "customerOrganisationId": operator,
            }
        },
    ).json()["data"]["createOrder"]
    assert created == {
        "order": {"number": "2379", "invoiceReference": "AO2379"},
        "userErrors": [],
    }


INVOICES = """{ invoices(first: 50) { edges { node {
  number issueDate payerName total { amount } outstanding { amount } statusLabel } } } }"""


def avonova_invoices(platform: Platform) -> list[tuple[str, str, str, str, str, str]]:
    response = platform.graphql(INVOICES, token=platform.log_in("avonova", "testweb"))
    body = response.json()
    assert "errors" not in body, body
    return [
        (
            n["number"],
            n["issueDate"],
            n["payerName"],
            n["total"]["amount"],
            n["outstanding"]["amount"],
            n["statusLabel"],
        )
        for n in (e["node"] for e in body["data"]["invoices"]["edges"])
    ]


LIST = """query($filter: OrderFilterInput, $sort: OrderSortInput) {
  orders(filter: $filter, sort: $sort, first: 100) { edges { node { number status } } } }"""


def test_lists_sort_find_numbers_and_head_rows_as_the_manuals_do(platform):
    # JM's staff (Norwegian) register three orders beside the manual's 'TEST' (status Ny).
    staff = platform.log_in("jm", "pm.testare")

    def ask(query: str, **variables: object) -> dict:
        body = platform.graphql(query, token=staff, variables=variables).json()
        assert "errors" not in body, body
        return body["data"]

    def numbers(**variables: object) -> list[str]:
        return [e["node"]["number"] for e in ask(LIST, **variables)["orders"]["edges"]]

    [test] = numbers(filter={"search": "TEST"})
    operator = ask("{ organisations(kind: OPERATOR) { edges { node { id } } } }")
    customer = operator["organisations"]["edges"][0]["node"]["id"]

    def order(description: str, status: str | None = None, **changes: str) -> str:
        created = ask(
            """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
                 order { id number version } userErrors { code } } }""",
            input={
                "orderType": "billable",
                "description": description,
                "customerOrganisationId": customer,
            },
        )["createOrder"]["order"]
        if status is not None:
            moved = ask(
                """mutation($input: TransitionOrderInput!) { transitionOrder(input: $input) {
                     order { status } userErrors { field code } } }""",
                input={
                    "id": created["id"],
                    "version": created["version"],
                    "status": status,
                    "changes": changes,
                },
            )["transitionOrder"]
            assert moved == {"order": {"status": status}, "userErrors": []}
        number: str = created["number"]
        return number

    # Its text holds TEST's number, as a reference or a phone number would.
    mention = order(f"Gjelder {test}, ring 40905101")
    received = order("Bestilling mottatt", "order_received")
    declined = order("Avslått", "declined", actionTaken="Ikke vårt fag")

    # An exact number filter finds TEST alone; a search for it ranks TEST first.
    assert numbers(filter={"number": test}) == [test]
    newest_first = {"column": "NUMBER", "descending": True}
    assert numbers(filter={"search": test}, sort=newest_first) == [test, mention]

    # 'Utførte bestillinger siste 6 måneder' holds done orders: not the declined one.
    assert declined not in numbers(filter={"view": "COMPLETED"})
    assert received in numbers(filter={"view": "ACTIVE"})

    # Status sorts by the Norwegian labels: Avslår, Bestilling mottatt, Ny (not by code).
    ours = {test, mention, received, declined}
    by_status = [
        e["node"]["status"]
        for e in ask(LIST, sort={"column": "STATUS"})["orders"]["edges"]
        if e["node"]["number"] in ours
    ]
    assert by_status == ["declined", "order_received", "new", "new"]

    # Familjebostäder's dashboard rows are the manual's list headings.
    contractor = platform.log_in("familjebostader", "1999/99999")
    board = platform.graphql(
        "{ orderDashboard { rows { status label statusLabel } } }", token=contractor
    ).json()["data"]["orderDashboard"]
    rows = {r["status"]: (r["label"], r["statusLabel"]) for r in board["rows"]}
    assert rows["ordered"] == ("Beställda", "Beställd")
    assert rows["accepted"] == ("Accepterade", "Accepterad")
    assert rows["cancelled"] == ("Makulerade", "Makulerad")


CREATE_ORGANISATION = """mutation($input: CreateOrganisationInput!) {
  createOrganisation(input: $input) { organisation { id version } userErrors { code } } }"""
CHANGE_ORGANISATION = """mutation($input: ChangeOrganisationInput!) {
  changeOrganisation(input: $input) { organisation { id version } userErrors { code } } }"""


def test_a_rename_handled_late_leaves_orders_sorted_by_the_contractors_newest_name(
    platform, nats_url
):
    """People renames a contractor twice; the older rename reaches orders again after the
    newer one (as a late redelivery would), followed by another change; orders' list, sorted by
    contractor through the gateway, keeps the newest name."""
    staff = platform.log_in("jm", "pm.testare")

    def ask(query: str, **variables: object) -> dict:
        body = platform.graphql(query, token=staff, variables=variables).json()
        assert "errors" not in body, body
        return body["data"]

    def contractor(name: str) -> dict:
        made = ask(CREATE_ORGANISATION, input={"name": name, "kind": "CONTRACTOR"})
        assert made["createOrganisation"]["userErrors"] == []
        return dict(made["createOrganisation"]["organisation"])

    def rename(organisation: dict, name: str) -> dict:
        input_ = {"id": organisation["id"], "version": organisation["version"], "name": name}
        changed = ask(CHANGE_ORGANISATION, input=input_)["changeOrganisation"]
        assert changed["userErrors"] == []
        return dict(changed["organisation"])

    operator = ask("{ organisations(kind: OPERATOR) { edges { node { id } } } }")
    customer = operator["organisations"]["edges"][0]["node"]["id"]
    contractors = {
        "renamed": contractor("Emil Rør AS"),
        "first": contractor("Alfa Elektro AS"),
        "kappa": contractor("Kappa Bygg AS"),
    }
    numbers = {}
    for key, organisation in contractors.items():
        created = ask(
            """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
                 order { id number version } } }""",
            input={"orderType": "billable", "description": key, "customerOrganisationId": customer},
        )["createOrder"]["order"]
        numbers[created["number"]] = key
        # Orders takes the contractor once people's `created` event reached its read model.
        assign = {
            "id": created["id"],
            "version": created["version"],
            "assigneeOrganisationId": organisation["id"],
        }
        until(lambda a=assign: not ask(ASSIGN_ORDER, input=a)["assignOrder"]["userErrors"])

    def by_contractor() -> list[str]:
        edges = ask(LIST, sort={"column": "ASSIGNEE"})["orders"]["edges"]
        return [numbers[e["node"]["number"]] for e in edges if e["node"]["number"] in numbers]

    until(lambda: by_contractor() == ["first", "renamed", "kappa"])
    older = rename(contractors["renamed"], "Øst Rør AS")  # Norwegian: ... z, æ, ø, å
    rename(older, "Aker Rør AS")
    until(lambda: by_contractor() == ["renamed", "first", "kappa"])

    asyncio.run(handled_again(nats_url, platform.event_prefix, "Øst Rør AS"))
    # A change published after it: once orders shows it, the older rename was handled too.
    rename(contractors["first"], "Åsen Elektro AS")
    until(lambda: by_contractor()[-1] == "first")
    assert by_contractor() == ["renamed", "kappa", "first"]


ASSIGN_ORDER = """mutation($input: AssignOrderInput!) {
  assignOrder(input: $input) { order { id } userErrors { code } } }"""


def until(done: Callable[[], bool]) -> None:
    for _ in range(200):  # 20 s at most
        if done():
            return
        time.sleep(0.1)
    raise AssertionError("not reached in time")


async def handled_again(nats_url: str, prefix: str, display_name: str) -> None:
    """People's organisation event naming `display_name`, published again under a new id (the
    consumer has no record of it, as of a delivery that failed): what orders receives when an
    older event is redelivered after newer ones."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        subscription = await js.subscribe(
            f"{prefix}.jm.people.organisation.updated", ordered_consumer=True
        )
        while True:
            message = await subscription.next_msg(timeout=10)
            event = orjson.loads(message.data)
            if event["data"]["display_name"] == display_name:
                break
        await subscription.unsubscribe()
        await js.publish(message.subject, orjson.dumps({**event, "id": new_event_id()}))
    finally:
        await client.drain()
