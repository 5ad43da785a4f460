"""`python -m portal_billing.demo`: load the manuals' invoices (`demo_data.py`) into a running
platform, after people's and orders' demos.

A client like any other: it logs in through the gateway (PORTAL_DEMO_GATEWAY_URL) as the
tenant's demo users with the demo password (PORTAL_DEMO_PASSWORD) and uses the public
mutations. What is there already (an issued number, the invoiced work order) is left as it is,
so it can run again without duplicates.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
from datetime import UTC, date, datetime, timedelta
from typing import Any

from portal_kit.gateway_client import DemoRefused, GatewayClient

from portal_billing.demo_data import (
    AVONOVA_INVOICES,
    AVONOVA_STAFF,
    FB_CONTRACTOR,
    FB_CONTRACTOR_NAME,
    FB_CUSTOMER,
    FB_DESCRIPTION,
    FB_INVOICE_AMOUNT,
    FB_INVOICE_NUMBER,
    FB_STAFF,
    FILLER_PAYER,
    DemoInvoice,
)

DEFAULT_GATEWAY = "http://127.0.0.1:4000/graphql"
DEFAULT_PASSWORD = "Portal-demo-2026!"
# People's and orders' events reach billing's read models a moment later: wait that long.
SETTLE_SECONDS = 30.0

ORGANISATIONS = "{ organisations(first: 200) { edges { node { id name } } } }"
NUMBERS = """query($number: String) { invoices(first: 100, filter: {number: $number}) {
  edges { node { number } } } }"""
INVOICE = "invoice { id number version total { amount } } userErrors { field code message }"
CREATE = f"mutation($input: CreateInvoiceInput!) {{ createInvoice(input: $input) {{ {INVOICE} }} }}"
ISSUE = f"mutation($input: IssueInvoiceInput!) {{ issueInvoice(input: $input) {{ {INVOICE} }} }}"
PAY = f"mutation($input: RecordPaymentInput!) {{ recordPayment(input: $input) {{ {INVOICE} }} }}"
ORDER = "order { id number version status } userErrors { field code message }"
FIND_ORDER = """query($search: String!) { orders(filter: {search: $search}, first: 10) {
  edges { node { id number version status } } } }"""
CREATE_ORDER = f"mutation($input: CreateOrderInput!) {{ createOrder(input: $input) {{ {ORDER} }} }}"
TRANSITION = (
    f"mutation($input: TransitionOrderInput!) {{ transitionOrder(input: $input) {{ {ORDER} }} }}"
)
REGISTER = """mutation($input: RegisterIncomingInvoiceInput!) {
  registerIncomingInvoice(input: $input) { incomingInvoice { reference }
  userErrors { field code message } } }"""


def payload(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(iter(data.values()))
    return found


class BillingDemo:
    def __init__(self, gateway: GatewayClient, today: date | None = None) -> None:
        self.gateway = gateway
        self.today = today or datetime.now(UTC).date()

    def organisations(self, tenant: str, login: str) -> dict[str, str]:
        edges = self.gateway.call(tenant, login, ORGANISATIONS)["organisations"]["edges"]
        return {e["node"]["name"]: e["node"]["id"] for e in edges}

    def issued_numbers(self) -> set[str]:
        edges = self.gateway.call("avonova", AVONOVA_STAFF, NUMBERS, {"number": "20"})["invoices"][
            "edges"
        ]
        return {e["node"]["number"] for e in edges}

    def _mutate(self, tenant: str, login: str, document: str, values: dict[str, Any]) -> Any:
        """A mutation that must succeed; a payer or order billing has not heard of yet gets
        the moment its events need."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            answer = payload(self.gateway.call(tenant, login, document, {"input": values}))
            if not answer["userErrors"]:
                return answer
            late = {e["code"] for e in answer["userErrors"]} <= {"NOT_FOUND", "TRY_AGAIN"}
            if not late or time.monotonic() > deadline:
                raise DemoRefused(f"{tenant}: {document.split('(')[0]} refused: {answer}")
            time.sleep(0.5)

    def _issue(self, payer_id: str, invoice: DemoInvoice) -> dict[str, Any]:
        draft = self._mutate(
            "avonova",
            AVONOVA_STAFF,
            CREATE,
            {
                "payerOrganisationId": payer_id,
                "lines": [
                    {
                        "description": invoice.description,
                        "quantity": "1",
                        "unitPrice": invoice.amount,
                        "vatRate": "0",
                    }
                ],
            },
        )["invoice"]
        values: dict[str, Any] = {
            "id": draft["id"],
            "version": draft["version"],
            "issueDate": invoice.issue_date,
        }
        if invoice.due_in_days is not None:
            values["dueDate"] = (self.today + timedelta(days=invoice.due_in_days)).isoformat()
        issued: dict[str, Any] = self._mutate("avonova", AVONOVA_STAFF, ISSUE, values)["invoice"]
        return issued

    def load_avonova(self) -> list[str]:
        """The manual's invoices, and paid ones to another customer between them."""
        existing = self.issued_numbers()
        if AVONOVA_INVOICES[-1].number in existing:
            return []
        if existing:
            raise DemoRefused(f"avonova: invoices {sorted(existing)} are there; start afresh")
        ids = self.organisations("avonova", AVONOVA_STAFF)
        loaded = []
        next_number = int(AVONOVA_INVOICES[0].number.split("-")[1])
        for wanted in AVONOVA_INVOICES:
            sequence = int(wanted.number.split("-")[1])
            while next_number < sequence:
                filler = DemoInvoice(
                    f"{wanted.number[:4]}-{next_number}",
                    wanted.issue_date,
                    FILLER_PAYER,
                    "2500",
                    "Bedriftshelsetjeneste",
                )
                made = self._issue(ids[FILLER_PAYER], filler)
                self._mutate(
                    "avonova",
                    AVONOVA_STAFF,
                    PAY,
                    {
                        "id": made["id"],
                        "version": made["version"],
                        "amount": made["total"]["amount"],
                        "paidOn": wanted.issue_date,
                    },
                )
                next_number += 1
            made = self._issue(ids[wanted.payer], wanted)
            if made["number"] != wanted.number:
                raise DemoRefused(f"avonova: issued {made['number']}, not {wanted.number}")
            loaded.append(made["number"])
            next_number += 1
        return loaded

    def load_familjebostader(self) -> str:
        """A work order done by Testfirma AB and invoiced by its AO reference: 'Fakturerad'."""
        found = self.gateway.call(
            "familjebostader", FB_STAFF, FIND_ORDER, {"search": FB_DESCRIPTION}
        )["orders"]["edges"]
        order = found[0]["node"] if found else None
        if order is None:
            ids = self.organisations("familjebostader", FB_STAFF)
            order = self._mutate(
                "familjebostader",
                FB_STAFF,
                CREATE_ORDER,
                {
                    "orderType": "fel",
                    "description": FB_DESCRIPTION,
                    "customerOrganisationId": ids[FB_CUSTOMER],
                    "assigneeOrganisationId": ids[FB_CONTRACTOR_NAME],
                    "object": {"number": "64010765"},
                },
            )["order"]
        for status, extra in (
            ("accepted", {}),
            ("done", {"changes": {"actionTaken": "Bytt packning i blandaren"}}),
        ):
            if order["status"] in ("ordered", "accepted") and order["status"] != status:
                order = self._mutate(
                    "familjebostader",
                    FB_CONTRACTOR,
                    TRANSITION,
                    {"id": order["id"], "version": order["version"], "status": status, **extra},
                )["order"]
        if order["status"] == "done":
            invoice = {
                "invoiceNumber": FB_INVOICE_NUMBER,
                "amount": FB_INVOICE_AMOUNT,
                "invoiceDate": self.today.isoformat(),
                "reference": f"AO{order['number']}",
            }

            def register() -> dict[str, Any]:
                return payload(
                    self.gateway.call(
                        "familjebostader", FB_CONTRACTOR, REGISTER, {"input": invoice}
                    )
                )

            answer = register()
            deadline = time.monotonic() + SETTLE_SECONDS
            # Billing learns of the done order from orders' event a moment later.
            while answer["userErrors"] and time.monotonic() < deadline:
                if {e["code"] for e in answer["userErrors"]} & {"ALREADY_INVOICED", "DUPLICATE"}:
                    break
                time.sleep(0.5)
                answer = register()
            codes = {e["code"] for e in answer["userErrors"]}
            if codes - {"ALREADY_INVOICED", "DUPLICATE"}:
                raise DemoRefused(f"familjebostader: the AO invoice was refused: {answer}")
        return str(order["number"])


def main() -> int:
    gateway = GatewayClient(
        os.environ.get("PORTAL_DEMO_GATEWAY_URL", DEFAULT_GATEWAY),
        os.environ.get("PORTAL_DEMO_PASSWORD", DEFAULT_PASSWORD),
    )
    demo = BillingDemo(gateway)
    try:
        loaded = demo.load_avonova()
        print(f"demo invoices avonova: {', '.join(loaded) or 'already there'}", flush=True)
        number = demo.load_familjebostader()
        print(f"demo familjebostader: work order {number} invoiced (AO{number})", flush=True)
    except (DemoRefused, urllib.error.URLError) as failure:
        print(f"demo invoices not loaded: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
