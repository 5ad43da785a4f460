"""Run a service's Starlette app under uvicorn with its settings and JSON logs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import uvicorn
from starlette.applications import Starlette

from portal_kit.logging import configure_logging
from portal_kit.settings import ServiceSettings, SettingsError, load_settings

S = TypeVar("S", bound=ServiceSettings)


def run(settings_class: type[S], create_app: Callable[[S], Starlette]) -> None:
    """Start a service; a bad setting stops it with one line naming the setting."""
    settings = load_settings(settings_class)
    configure_logging(settings.service_name, settings.log_level)
    try:
        app = create_app(settings)
    except SettingsError as error:
        print(f"invalid setting {error.setting}: {error.problem}", file=sys.stderr)
        raise SystemExit(2) from None
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        lifespan="on",
    )
