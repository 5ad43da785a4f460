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
# The cyclic collector's thresholds once a process has started. With Python's (700, 10, 10) a
# young collection runs whenever 700 more containers live than died, which one request's
# documents in flight do; objects in flight get promoted, and a full collection then walks the
# whole heap: in the gateway, 75,000 objects of 1,000 subscriptions for 60-80 ms every 5 s or
# so while every event waited; in orders, 60 young collections a second under the subscription
# benchmark's load. Requests leave next to no reference cycles (`portal_kit.graphql.Execution`),
# so a young collection after 5,000 more objects and a full one after 100 middle ones is enough,
# and collections are rare (`make bench-subscriptions` prints them per process).
COLLECTOR_THRESHOLDS = (5000, 10, 100)


def settle_heap(thresholds: tuple[int, int, int] = COLLECTOR_THRESHOLDS) -> None:
    """Once start-up is done: what it built (schemas, the supergraph, caches) lives as long as
    the process, so it is kept out of the cyclic collector's sweeps (a full collection does not
    walk it on a request's time), and the collector runs with `thresholds` from then on."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)


class ServedSettings(Protocol):
    service_name: str
    log_level: str
    http_host: str
    http_port: int


def run(
    settings_class: type[S],
    create_app: Callable[[S], Starlette],
    uvicorn_options: Callable[[S], dict[str, Any]] = lambda _: {},
) -> None:
    """Start a process (a service or the gateway; its settings name `service_name`,
    `log_level`, `http_host` and `http_port`); a bad setting stops it with one line naming the
    setting. `uvicorn_options` adds server options that depend on the settings (and may set
    `timeout_graceful_shutdown`, `SHUTDOWN_SECONDS` by default). Once the app is made, the
    heap is settled (`settle_heap`)."""
    settings = load_settings(settings_class)
    served = cast(ServedSettings, settings)
    configure_logging(served.service_name, served.log_level)
    try:
        app = create_app(settings)
    except SettingsError as error:
        print(f"invalid setting {error.setting}: {error.problem}", file=sys.stderr)
        raise SystemExit(2) from None
    settle_heap()
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
