"""`python -m portal_gateway`: serve the gateway on PORTAL_HTTP_HOST:PORTAL_HTTP_PORT (4000)."""

from __future__ import annotations

from typing import Any

from portal_kit.serve import run

from portal_gateway.app import create_app
from portal_gateway.settings import GatewaySettings


def proxy_options(settings: GatewaySettings) -> dict[str, Any]:
    """X-Forwarded-For is believed only from the proxies the settings name; on SIGTERM running
    requests get the shutdown timeout, then are cancelled."""
    return {
        "timeout_graceful_shutdown": settings.shutdown_deadline(),
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies or None,
    }


if __name__ == "__main__":
    run(GatewaySettings, create_app, proxy_options)
