"""Prometheus metrics of the subscriptions (in the gateway's registry, served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from portal_gateway.metrics import REGISTRY

CONNECTIONS = Gauge(
    "portal_gateway_subscription_connections",
    "Open graphql-transport-ws sockets",
    registry=REGISTRY,
)
SUBSCRIPTIONS = Gauge("portal_gateway_subscriptions", "Running subscriptions", registry=REGISTRY)
READS = Counter(
    "portal_gateway_subscription_reads",
    "Records re-read for subscribers (one per event and group of equal subscribers)",
    registry=REGISTRY,
)
READ_REQUESTS = Counter(
    "portal_gateway_subscription_read_requests",
    "Requests that re-read records for subscribers (several records of one group at once)",
    registry=REGISTRY,
)
MESSAGES = Counter(
    "portal_gateway_subscription_messages", "`next` messages sent", registry=REGISTRY
)
EVENTS_DROPPED = Counter(
    "portal_gateway_subscription_events_dropped",
    "Events not delivered because too many were waiting",
    registry=REGISTRY,
)
CLOSED = Counter(
    "portal_gateway_subscription_closed",
    "Sockets the gateway closed, by close code",
    ["code"],
    registry=REGISTRY,
)
EVENTS_MERGED = Counter(
    "portal_gateway_subscription_events_merged",
    "Events delivered with a later one of the same record (read once, when both had come)",
    registry=REGISTRY,
)
SECONDS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)  # both histograms
READ_SECONDS = Histogram(
    "portal_gateway_subscription_read_seconds",
    "Time of one re-read request through the engine (one or more records of one group)",
    buckets=SECONDS,
    registry=REGISTRY,
)
DELIVERY_SECONDS = Histogram(
    "portal_gateway_subscription_delivery_seconds",
    "From an event's arrival at the gateway to its message handed to the socket",
    buckets=SECONDS,
    registry=REGISTRY,
)
FEED_LIVE = Gauge(
    "portal_gateway_subscription_feed_live",
    "1 while the gateway follows the subject's events for subscriptions (0: NATS away, or the "
    "stream not there yet; subscribers then get nothing)",
    ["subject"],
    registry=REGISTRY,
)
