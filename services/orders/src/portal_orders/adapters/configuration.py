"""The tenants' order configurations, shipped as versioned JSON documents in this package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from portal_orders.domain.workflow import TenantConfiguration, parse_configuration

PACKAGE = "portal_orders.configuration"


@lru_cache(maxsize=1)
def shipped_configurations() -> dict[str, TenantConfiguration]:
    """Every shipped document, parsed and checked; a bad one stops the service at start-up."""
    found: dict[str, TenantConfiguration] = {}
    for entry in sorted(resources.files(PACKAGE).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        configuration = parse_configuration(json.loads(entry.read_text(encoding="utf-8")))
        if entry.name != f"{configuration.tenant}.json":
            raise ValueError(f"{entry.name} configures tenant {configuration.tenant!r}")
        found[configuration.tenant] = configuration
    return found
