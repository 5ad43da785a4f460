"""The tenants' billing configurations, shipped as versioned JSON documents in this package."""

from __future__ import annotations

from functools import lru_cache

from portal_kit.configuration import shipped_documents

from portal_billing.domain.configuration import BillingConfiguration, parse_configuration

PACKAGE = "portal_billing.configuration"


@lru_cache(maxsize=1)
def shipped_configurations() -> dict[str, BillingConfiguration]:
    """Every shipped document, parsed and checked; a bad one stops the service at start-up."""
    return shipped_documents(PACKAGE, parse_configuration, lambda c: c.tenant)
