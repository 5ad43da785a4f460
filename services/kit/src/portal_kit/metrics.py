"""A service's Prometheus metrics (served at `/metrics`): how its dependencies are doing."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, generate_latest

REGISTRY = CollectorRegistry()

DEPENDENCY_UP = Gauge(
    "portal_service_dependency_up",
    "1 while the service reaches the dependency (mongodb, nats), else 0",
    ["service", "dependency"],
    registry=REGISTRY,
)
DEGRADED = Gauge(
    "portal_service_degraded",
    "1 while the service serves its API but events wait in the outbox (NATS trouble), else 0",
    ["service"],
    registry=REGISTRY,
)
OUTBOX_FAILING_SECONDS = Gauge(
    "portal_outbox_failing_seconds",
    "How long the outbox relay has failed to publish without a success (0 while it works)",
    ["service"],
    registry=REGISTRY,
)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
