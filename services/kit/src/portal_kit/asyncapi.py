"""The AsyncAPI 3.0 document of the platform's events, built from the pydantic event models.

Partners generate clients from it. Every service keeps its event models in its `domain` package;
this module finds them there, so a new event appears in the document without being listed twice.

`python -m portal_kit.asyncapi people orders tickets billing > deploy/asyncapi.json`
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

import orjson

from portal_kit.events import CloudEvent, DomainEvent

VERSION = "1.0.0"


def event_models(service: str) -> list[type[DomainEvent]]:
    """The event models defined in `portal_<service>.domain`, sorted by aggregate and name."""
    package = importlib.import_module(f"portal_{service}.domain")
    for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(module.name)
    found: list[type[DomainEvent]] = []
    pending = list(DomainEvent.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith(f"portal_{service}.") and hasattr(model, "name"):
            found.append(model)
    return sorted(set(found), key=lambda m: (m.aggregate, m.name))


SCHEMAS = "#/components/schemas/{model}"


def _envelope_schema(
    service: str, model: type[DomainEvent], shared: dict[str, Any]
) -> dict[str, Any]:
    """The CloudEvent envelope with this event's data; nested models go to `shared`, the
    document's components.schemas, where their references point."""
    schema = CloudEvent.model_json_schema(ref_template=SCHEMAS)
    data = model.model_json_schema(ref_template=SCHEMAS)
    shared.update(schema.pop("$defs", {}))
    shared.update(data.pop("$defs", {}))
    schema["properties"]["type"] = {"const": f"portal.{service}.{model.aggregate}.{model.name}"}
    schema["properties"]["data"] = data
    schema["description"] = (model.__doc__ or "").strip() or (
        f"{model.aggregate} {model.name.replace('_', ' ')}"
    )
    return schema


def asyncapi_document(services: list[str]) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for service in services:
        for model in event_models(service):
            key = f"{service}.{model.aggregate}.{model.name}"
            messages[key] = {
                "name": key,
                "title": model.__name__,
                "contentType": "application/cloudevents+json",
                "payload": _envelope_schema(service, model, schemas),
            }
            channels[key] = {
                "address": f"portal.{{tenant}}.{service}.{model.aggregate}.{model.name}",
                "parameters": {"tenant": {"description": "The tenant (portal) id, e.g. jm."}},
                "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            }
            operations[f"receive.{key}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{key}"},
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Portal platform events",
            "version": VERSION,
            "description": (
                "CloudEvents 1.0 (structured JSON) on NATS JetStream, one stream per service. "
                "Payloads carry ids, codes and timestamps, never personal data; the event id is "
                "also the Nats-Msg-Id, so consumers can deduplicate."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "nats": {"host": "127.0.0.1:4222", "protocol": "nats", "description": "JetStream"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render(services: list[str]) -> bytes:
    return (
        orjson.dumps(asyncapi_document(services), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        + b"\n"
    )


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m portal_kit.asyncapi SERVICE [SERVICE ...]", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(render(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
