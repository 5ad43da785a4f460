"""`python -m portal_orders.demo`: load the manuals' own orders (`demo_data.py`) into a running
platform, after people's demo (`python -m portal_people.demo`) has made the users.

It is a client like any other: it logs in through the gateway (PORTAL_DEMO_GATEWAY_URL, default
http://127.0.0.1:4000/graphql) as the tenant's demo users with the demo password
(PORTAL_DEMO_PASSWORD) and walks each order with the public mutations. An order found again
(`DemoOrder.search` and `match`) is left as it is, so it can run again without duplicates.

What the API cannot do, it does not do: log entries and `createdAt` carry the time of loading
(the manuals' 2019-08-19 16:06 and so on cannot be set), and JM's number is the registration's
date and time, not the manual's 250626-105451-01. Order dates (and so SLA dates) are the
manuals'.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from portal_kit.gateway_client import DEFAULT_GATEWAY, DemoRefused, GatewayClient

from portal_orders.demo_data import DEMO_ORDERS, DemoOrder, Step

# The password people's demo gives every demo user (README "Demo logins").
DEFAULT_PASSWORD = "Portal-demo-2026!"
# People's events reach orders' read models a moment after people's demo: wait that long.
SETTLE_SECONDS = 15.0

ORDER = """order { id number version status statusLabel bundleNumber
  activity { id kind } bookings { id } }
userErrors { field code message }"""
ME = "{ me { id } }"
ORGANISATIONS = "{ organisations(first: 200) { edges { node { id name } } } }"
EMPLOYEES = """query($text: String) { employees(text: $text, first: 20) {
  edges { node { id firstName lastName } } } }"""
FIND = """query($search: String!) { orders(filter: {search: $search}, first: 100) {
  edges { node { id number status orderType description bundleNumber } } } }"""
MUTATIONS = {
    "create": ("createOrder", "CreateOrderInput"),
    "assign": ("assignOrder", "AssignOrderInput"),
    "transition": ("transitionOrder", "TransitionOrderInput"),
    "note": ("addOrderNote", "AddOrderNoteInput"),
    "ask": ("askOrderQuestion", "AskOrderQuestionInput"),
    "answer": ("answerOrderQuestion", "AnswerOrderQuestionInput"),
    "comment": ("addOrderComment", "AddOrderCommentInput"),
    "slot": ("addBookingSlot", "AddBookingSlotInput"),
    "book": ("bookEmployee", "BookEmployeeInput"),
}


# GraphQL calls through the gateway, logged in as a tenant's demo users.
Gateway = GatewayClient


class OrderDemo:
    def __init__(self, gateway: Gateway, now: datetime | None = None) -> None:
        self.gateway = gateway
        self.now = now or datetime.now(UTC)

    def load(self, demo: DemoOrder) -> tuple[bool, str]:
        """(True, number) when it loaded the order, (False, number) when it was there."""
        found = self.find(demo)
        if found is not None:
            return False, str(found["number"])
        order = self._create(demo)
        for step in demo.steps:
            order = self._step(demo, step, order)
        return True, str(order["number"])

    def find(self, demo: DemoOrder) -> dict[str, Any] | None:
        edges = self.gateway.call(demo.tenant, demo.created_by, FIND, {"search": demo.search})[
            "orders"
        ]["edges"]
        for edge in edges:
            node: dict[str, Any] = edge["node"]
            if all(node.get(key) == value for key, value in demo.match.items()):
                return node
        return None

    def _create(self, demo: DemoOrder) -> dict[str, Any]:
        values = dict(demo.order)
        values["customerOrganisationId"] = self.organisation(
            demo.tenant, demo.created_by, demo.customer
        )
        if demo.assignee is not None:
            values["assigneeOrganisationId"] = self.organisation(
                demo.tenant, demo.created_by, demo.assignee
            )
        for contact, login in demo.contact_logins.items():
            me = self.gateway.call(demo.tenant, login, ME)["me"]
            values[contact] = {**values.get(contact, {}), "userId": me["id"]}
        return self._mutate(demo, "create", demo.created_by, values)

    def _step(self, demo: DemoOrder, step: Step, order: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {"id": order["id"], "version": order["version"]}
        given = dict(step.values)
        if step.action == "assign":
            values["assigneeOrganisationId"] = self.organisation(
                demo.tenant, step.by, given.pop("organisation")
            )
            values["assigneeContact"] = given.pop("contact", None)
        elif step.action == "answer":
            questions = [e for e in order["activity"] if e["kind"] == "question"]
            values["questionId"] = questions[-1]["id"]
        elif step.action == "slot":
            starts = self._slot_start(given.pop("days_ahead"), given.pop("hour"))
            values["startsAt"] = starts.isoformat()
            values["endsAt"] = (starts + timedelta(minutes=given.pop("minutes"))).isoformat()
        elif step.action == "book":
            values["bookingId"] = order["bookings"][-1]["id"]
            values["employeeId"] = self.employee(demo.tenant, step.by, given.pop("employee"))
        values.update(given)
        return self._mutate(demo, step.action, step.by, values)

    def _mutate(
        self, demo: DemoOrder, action: str, login: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        name, input_type = MUTATIONS[action]
        document = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {ORDER} }} }}"
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            payload = self.gateway.call(demo.tenant, login, document, {"input": values})[name]
            if not payload["userErrors"]:
                order: dict[str, Any] = payload["order"]
                return order
            # An employee or organisation people has just made may not have reached orders'
            # read models yet: give their events a moment before calling it refused.
            late = {e["field"] for e in payload["userErrors"]} & {
                "employeeId",
                "customerOrganisationId",
                "assigneeOrganisationId",
            }
            if not late or time.monotonic() > deadline:
                raise DemoRefused(
                    f"{demo.tenant} {demo.search!r}: {name} as {login} refused: "
                    f"{payload['userErrors']}"
                )
            time.sleep(0.5)

    def organisation(self, tenant: str, login: str, name: str) -> str:
        edges = self.gateway.call(tenant, login, ORGANISATIONS)["organisations"]["edges"]
        for edge in edges:
            if edge["node"]["name"] == name:
                return str(edge["node"]["id"])
        raise DemoRefused(f"{tenant}: {login} sees no organisation {name!r}; load people first")

    def employee(self, tenant: str, login: str, name: str) -> str:
        edges = self.gateway.call(tenant, login, EMPLOYEES, {"text": name})["employees"]["edges"]
        for edge in edges:
            node = edge["node"]
            if f"{node['firstName']} {node['lastName']}" == name:
                return str(node["id"])
        raise DemoRefused(f"{tenant}: {login} sees no employee {name!r}; load people first")

    def _slot_start(self, days_ahead: int, hour: int) -> datetime:
        """A weekday `days_ahead` days after loading, at `hour` in Oslo (Avonova's time)."""
        day = (self.now + timedelta(days=days_ahead)).date()
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Europe/Oslo"))


def main() -> int:
    gateway = Gateway(
        os.environ.get("PORTAL_DEMO_GATEWAY_URL", DEFAULT_GATEWAY),
        os.environ.get("PORTAL_DEMO_PASSWORD", DEFAULT_PASSWORD),
    )
    demo = OrderDemo(gateway)
    try:
        for order in DEMO_ORDERS:
            loaded, number = demo.load(order)
            state = "loaded" if loaded else "already there"
            print(f"demo order {order.tenant} {number}: {state}", flush=True)
    except (DemoRefused, urllib.error.URLError) as failure:
        print(f"demo orders not loaded: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
