"""The tenants' order configurations, shipped as versioned JSON documents in this package."""

from __future__ import annotations

from functools import lru_cache

from portal_kit.configuration import shipped_documents

from portal_orders.domain.workflow import TenantConfiguration, parse_configuration

PACKAGE = "portal_orders.configuration"


@lru_cache(maxsize=1)
def shipped_configurations() -> dict[str, TenantConfiguration]:
    """Every shipped document, parsed and checked; a bad one stops the service at start-up."""
    return shipped_documents(PACKAGE, parse_configuration, lambda c: c.tenant)
