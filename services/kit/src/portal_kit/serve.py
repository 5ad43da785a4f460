"""Run a service's Starlette app under uvicorn with its settings and JSON logs."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

import uvicorn
from pydantic_settings import BaseSettings
from starlette.applications import Starlette

from portal_kit.logging import configure_logging
from portal_kit.settings import SettingsError, load_settings

S = TypeVar("S", bound=BaseSettings)
# On SIGTERM uvicorn stops accepting, waits this long for running requests, then cancels them:
# a request that never ends cannot keep the process alive.
SHUTDOWN_SECONDS = 10.0
# For a process that holds much made after start-up (the gateway's sockets and
# subscriptions: some 75,000 objects at 1,000 subscriptions) and makes few reference cycles.
# With Python's defaults (700, 10, 10) requests in flight get promoted often enough that a full
# collection ran every 5 s or so, walking that heap for 60-80 ms while every event waited
# (`make bench-subscriptions`). A young collection after 5,000 more objects, a full one after
# 100 middle ones, keeps a full collection to a rare event. Not for the services: they leave
# many cycles per request (strawberry's execution), which larger young generations only make
# slower to collect.
LONG_LIVED_HEAP = (5000, 10, 100)


class ServedSettings(Protocol):
    service_name: str
    log_level: str
    http_host: str
    http_port: int


def run(
    settings_class: type[S],
    create_app: Callable[[S], Starlette],
    uvicorn_options: Callable[[S], dict[str, Any]] = lambda _: {},
    *,
    collector_thresholds: tuple[int, int, int] | None = None,
) -> None:
    """Start a process (a service or the gateway; its settings name `service_name`,
    `log_level`, `http_host` and `http_port`); a bad setting stops it with one line naming the
    setting. `uvicorn_options` adds server options that depend on the settings (and may set
    `timeout_graceful_shutdown`, `SHUTDOWN_SECONDS` by default). `collector_thresholds`
    replaces the cyclic collector's (`gc.set_threshold`) for a process whose heap grows after
    start-up (`LONG_LIVED_HEAP`)."""
    settings = load_settings(settings_class)
    served = cast(ServedSettings, settings)
    configure_logging(served.service_name, served.log_level)
    try:
        app = create_app(settings)
    except SettingsError as error:
        print(f"invalid setting {error.setting}: {error.problem}", file=sys.stderr)
        raise SystemExit(2) from None
    # What start-up built (schemas, the supergraph, caches) lives as long as the process: kept
    # out of the cyclic collector's sweeps, so a full collection does not walk it on a
    # request's time (the latency tail).
    gc.collect()
    gc.freeze()
    if collector_thresholds is not None:
        gc.set_threshold(*collector_thresholds)
    options: dict[str, Any] = {"timeout_graceful_shutdown": SHUTDOWN_SECONDS}
    options.update(uvicorn_options(settings))
    uvicorn.run(
        app,
        host=served.http_host,
        port=served.http_port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        **options,
    )
