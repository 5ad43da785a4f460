"""`python -m portal_gateway`: serve the gateway on PORTAL_HTTP_HOST:PORTAL_HTTP_PORT (4000)."""

from __future__ import annotations

import sys

import uvicorn
from portal_kit.logging import configure_logging
from portal_kit.settings import SettingsError, load_settings

from portal_gateway.app import create_app
from portal_gateway.settings import GatewaySettings


def main() -> None:
    settings = load_settings(GatewaySettings)
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
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )


if __name__ == "__main__":
    main()
