"""The billing subgraph's subscription fields, served by the gateway (portal_kit.graphql)."""

from __future__ import annotations

from portal_kit.graphql import record_subscriptions

from portal_billing.entrypoints.types import Invoice

Subscription = record_subscriptions(
    Invoice, "invoice", changes="issued, part_paid, paid, credited, ..."
)
