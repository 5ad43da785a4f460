"""The tickets subgraph's subscription fields, served by the gateway (portal_kit.graphql)."""

from __future__ import annotations

from portal_kit.graphql import record_subscriptions

from portal_tickets.entrypoints.types import Ticket

Subscription = record_subscriptions(Ticket, "ticket", changes="status_changed, post_added, ...")
