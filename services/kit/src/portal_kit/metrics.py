"""A service's Prometheus metrics (served at `/metrics`): its dependencies, requests, refusals,
outbox and consumers.

Every family is named `portal_*` and labelled with the `service`; the other labels take only
values the code bounds: route templates, HTTP statuses, error codes of the platform, durable
consumer names, exception type names. No ids and no tenant: an anonymous caller names its own
tenant, so a tenant label would grow with whatever callers send.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    generate_latest,
)

REGISTRY = CollectorRegistry()
# python_gc_*: collections per generation and what they freed, for a latency tail that the
# cyclic collector causes (served by every process, the gateway included).
GCCollector(registry=REGISTRY)

# The service whose work is being done, for refusals counted far from the request's entry.
service_var: ContextVar[str] = ContextVar("metrics_service", default="unknown")


def _counter(name: str, documentation: str, *labels: str) -> Counter:
    return Counter(name, documentation, ["service", *labels], registry=REGISTRY)


def _gauge(name: str, documentation: str, *labels: str) -> Gauge:
    return Gauge(name, documentation, ["service", *labels], registry=REGISTRY)


def _histogram(name: str, documentation: str, *labels: str, **options: Any) -> Histogram:
    return Histogram(name, documentation, ["service", *labels], registry=REGISTRY, **options)


DEPENDENCY_UP = _gauge(
    "portal_service_dependency_up",
    "1 while the service reaches the dependency (mongodb, nats), else 0",
    "dependency",
)
DEGRADED = _gauge(
    "portal_service_degraded",
    "1 while the service serves its API but events wait in the outbox (NATS trouble), else 0",
)
OUTBOX_FAILING_SECONDS = _gauge(
    "portal_outbox_failing_seconds",
    "How long the outbox relay has failed to publish without a success (0 while it works)",
)

# -- requests ---------------------------------------------------------------------------------

HTTP_REQUESTS = _counter(
    "portal_http_requests",
    "HTTP requests answered, by route template, method and status",
    *("route", "method", "status"),
)
HTTP_SECONDS = _histogram(
    "portal_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method",
    *("route", "method"),
)
GRAPHQL_ERRORS = _counter(
    "portal_graphql_errors",
    "GraphQL errors answered (authentication, limits, bad input, faults), by code",
    "code",
)
USER_ERRORS = _counter(
    "portal_graphql_user_errors",
    "Domain refusals answered as userErrors in a mutation payload, by code",
    "code",
)

# -- outbox relay -----------------------------------------------------------------------------

OUTBOX_PENDING = _gauge(
    "portal_outbox_pending_events",
    "Events written to the outbox and not yet published (as the relay last saw them)",
)
OUTBOX_OLDEST_AGE = _gauge(
    "portal_outbox_oldest_pending_age_seconds",
    "Age of the oldest event waiting in the outbox (0 when none waits)",
)
OUTBOX_PUBLISHED = _counter(
    "portal_outbox_published_events", "Events the relay published to JetStream (acknowledged)"
)
OUTBOX_PUBLISH_SECONDS = _histogram(
    "portal_outbox_publish_seconds",
    "Time from publishing an event to JetStream's acknowledgement",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
OUTBOX_PUBLISH_FAILURES = _counter(
    "portal_outbox_publish_failures",
    "Publishes that failed (the event stays in the outbox), by exception type",
    "reason",
)

# -- consumers (labelled with the durable consumer's name) ------------------------------------

CONSUMER_LAG = _gauge(
    "portal_consumer_lag_messages",
    "Messages of the stream the durable consumer has not been delivered yet (num_pending)",
    "consumer",
)
CONSUMER_HANDLED = _counter(
    "portal_consumer_handled_events", "Events a consumer's handler took effect for", "consumer"
)
CONSUMER_DUPLICATES = _counter(
    "portal_consumer_duplicate_events",
    "Events acknowledged unseen because their id was already processed",
    "consumer",
)
CONSUMER_FAILED = _counter(
    "portal_consumer_failed_events",
    "Handler failures (each is retried with backoff, the last one dead-lettered)",
    "consumer",
)
CONSUMER_REDELIVERIES = _counter(
    "portal_consumer_redeliveries",
    "Messages delivered more than once (num_delivered > 1)",
    "consumer",
)
CONSUMER_DEAD_LETTERS = _counter(
    "portal_consumer_dead_letters",
    "Messages sent to the dead-letter subject, by reason (malformed, handler_failed)",
    *("consumer", "reason"),
)
CONSUMER_HANDLE_SECONDS = _histogram(
    "portal_consumer_handle_seconds", "Time a consumer's handler took for one event", "consumer"
)

CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")


def code_label(code: object) -> str:
    """An error code as a label value: the platform's codes are UPPER_SNAKE constants of the
    code; anything else (which a caller could vary) counts as OTHER."""
    return code if isinstance(code, str) and CODE.match(code) else "OTHER"


def exposition() -> bytes:
    return generate_latest(REGISTRY)
