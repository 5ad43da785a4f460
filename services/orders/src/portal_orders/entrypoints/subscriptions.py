"""The orders subgraph's subscription fields, served by the gateway (portal_kit.graphql)."""

from __future__ import annotations

from portal_kit.graphql import record_subscriptions

from portal_orders.entrypoints.types import Order

Subscription = record_subscriptions(
    Order, "order", changes="status_changed, assigned, note_added, comment_added, ..."
)
