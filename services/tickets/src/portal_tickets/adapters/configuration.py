"""The tenants' ticket configurations, shipped as versioned JSON documents in this package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

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
    found: dict[str, TicketConfiguration] = {}
    for entry in sorted(resources.files(PACKAGE).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            configuration = parse_configuration(json.loads(entry.read_text(encoding="utf-8")))
        except json.JSONDecodeError as error:
            raise ConfigurationError([f"{entry.name}: not JSON ({error})"]) from None
        except ConfigurationError as error:
            raise ConfigurationError([f"{entry.name}: {p}" for p in error.problems]) from None
        if entry.name != f"{configuration.tenant}.json":
            raise ConfigurationError([f"{entry.name} configures tenant {configuration.tenant!r}"])
        found[configuration.tenant] = configuration
    return Configurations(found)
