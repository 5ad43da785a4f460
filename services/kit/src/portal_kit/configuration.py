"""Per-tenant configuration documents a service ships in one of its packages: one JSON file per
tenant, `<tenant>.json`, each parsed and checked by the service's own parser (a bad document
stops the service at start, naming the problem)."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any, TypeVar

from portal_kit.documents import ConfigurationError

T = TypeVar("T")


def shipped_documents(
    package: str, parse: Callable[[Any], T], tenant_of: Callable[[T], str]
) -> dict[str, T]:
    """Every `*.json` of `package`, parsed, by tenant. Whatever is wrong names the file: not
    JSON, every problem the parser found, a file named for another tenant than it configures."""
    found: dict[str, T] = {}
    for entry in sorted(resources.files(package).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            configuration = parse(json.loads(entry.read_text(encoding="utf-8")))
        except json.JSONDecodeError as error:
            raise ConfigurationError([f"{entry.name}: not JSON ({error})"]) from None
        except ConfigurationError as error:
            raise ConfigurationError([f"{entry.name}: {p}" for p in error.problems]) from None
        tenant = tenant_of(configuration)
        if entry.name != f"{tenant}.json":
            raise ConfigurationError([f"{entry.name} configures tenant {tenant!r}"])
        found[tenant] = configuration
    return found
