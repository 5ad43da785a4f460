"""Prometheus metrics of the gateway, served at /metrics."""

from __future__ import annotations

from portal_kit import metrics as kit_metrics
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "portal_gateway_requests", "GraphQL requests answered", ["status"], registry=REGISTRY
)
REQUEST_ERRORS = Counter(
    "portal_gateway_request_errors",
    "Requests answered with errors, by code",
    ["code"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "portal_gateway_request_seconds", "Time to answer a GraphQL request", registry=REGISTRY
)
PLAN_CACHE = Counter(
    "portal_gateway_plan_cache", "Plan cache lookups", ["result"], registry=REGISTRY
)
SUBGRAPH_SECONDS = Histogram(
    "portal_gateway_subgraph_seconds", "Subgraph fetch latency", ["subgraph"], registry=REGISTRY
)
SUBGRAPH_SHARED = Counter(
    "portal_gateway_subgraph_shared",
    "Fetches answered by an identical fetch already in flight",
    ["subgraph"],
    registry=REGISTRY,
)
SUBGRAPH_ERRORS = Counter(
    "portal_gateway_subgraph_errors",
    "Subgraph fetches that failed",
    ["subgraph", "reason"],
    registry=REGISTRY,
)
REVOCATION_FEED_UP = Gauge(
    "portal_gateway_revocation_feed_up",
    "1 while the gateway follows people's revocation events (deactivation, logout, password)",
    registry=REGISTRY,
)
PERSISTED_QUERY_BYTES = Gauge(
    "portal_gateway_persisted_query_bytes",
    "Bytes of the automatic persisted queries stored (bounded by PORTAL_PERSISTED_QUERY_BYTES)",
    registry=REGISTRY,
)


def exposition() -> bytes:
    """The gateway's own families, then the kit's (`portal_http_*`: requests by route and
    status, the request duration histogram) that its request middleware records."""
    return generate_latest(REGISTRY) + kit_metrics.exposition()
