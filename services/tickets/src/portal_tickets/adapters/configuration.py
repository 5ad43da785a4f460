"""The tenants' ticket configurations, shipped as versioned JSON documents in this package."""

from __future__ import annotations

from functools import lru_cache

from portal_kit.configuration import shipped_documents

from portal_tickets.domain.configuration import (
    ConfigurationError,
    TicketConfiguration,
    parse_configuration,
)

PACKAGE = "portal_tickets.configuration"
# The document of every tenant that has none of its own.
DEFAULT = "default"


class Configurations:
    """Each tenant's configuration; a tenant without a document gets the default one."""

    def __init__(self, documents: dict[str, TicketConfiguration]) -> None:
        if DEFAULT not in documents:
            raise ConfigurationError([f"{DEFAULT}.json: the default configuration is missing"])
        self.documents = documents

    def of(self, tenant: str) -> TicketConfiguration:
        return self.documents.get(tenant) or self.documents[DEFAULT]


@lru_cache(maxsize=1)
def shipped_configurations() -> Configurations:
    """Every shipped document, parsed and checked; a bad one stops the service at start-up,
    naming the file and every problem in it."""
    return Configurations(shipped_documents(PACKAGE, parse_configuration, lambda c: c.tenant))
