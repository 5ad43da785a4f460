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
    description = _own_doc(model) or f"The {model.aggregate} {model.name.replace('_', ' ')}."
    data["description"] = description
    schema["properties"]["data"] = data
    schema["description"] = description
    return schema


def _own_doc(model: type[DomainEvent]) -> str:
    """The model's own docstring (not one inherited from a base event)."""
    return " ".join((model.__dict__.get("__doc__") or "").split())


HEADERS: dict[str, Any] = {
    "type": "object",
    "required": ["Nats-Msg-Id"],
    "properties": {
        "Nats-Msg-Id": {
            "type": "string",
            "description": (
                "The CloudEvent's id. JetStream drops a republished duplicate within its "
                "two-minute window; consumers deduplicate on it beyond that."
            ),
        },
        "traceparent": {
            "type": "string",
            "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            "description": (
                "W3C trace context of the request that caused the event: the envelope's "
                "`traceparent` attribute, or, where the platform exports traces, the span that "
                "published the event in that same trace; absent when the change was not traced."
            ),
        },
    },
}

SERVERS: dict[str, Any] = {
    "production": {
        "host": "{host}:{port}",
        "protocol": "nats",
        "description": (
            "The platform's NATS JetStream cluster, over TLS. A partner connects with the "
            "NKey issued for its tenant and may read only `portal.<tenant>.>`: live, by "
            "subscribing, and durably, through consumers on its tenant's partner stream "
            "`PORTAL_PARTNER_<TENANT>`; replies come on its own inbox prefix `_INBOX_<tenant>`."
        ),
        "variables": {
            "host": {"description": "The NATS host the operator gives the partner."},
            "port": {"default": "4222", "description": "The NATS client port."},
        },
        "security": [{"$ref": "#/components/securitySchemes/natsNkey"}],
    },
    "development": {
        "host": "127.0.0.1:4222",
        "protocol": "nats",
        "description": "`make dev`: a local nats-server without authentication.",
    },
}

SECURITY_SCHEMES: dict[str, Any] = {
    "natsNkey": {
        "type": "asymmetricEncryption",
        "description": (
            "A NATS NKey per partner (its seed file, handed out by the operator; the server "
            "knows only the public key). The server refuses, with a permissions violation, "
            "another tenant's subjects, any JetStream stream but the tenant's partner stream, "
            "and every publish on the event subjects."
        ),
    },
}


def asyncapi_document(services: list[str]) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for service in services:
        for model in event_models(service):
            key = f"{service}.{model.aggregate}.{model.name}"
            payload = _envelope_schema(service, model, schemas)
            messages[key] = {
                "name": key,
                "title": model.__name__,
                "summary": payload["description"].split("\n")[0],
                "contentType": "application/cloudevents+json",
                "headers": {"$ref": "#/components/schemas/NatsHeaders"},
                "payload": payload,
            }
            channels[key] = {
                "address": f"portal.{{tenant}}.{service}.{model.aggregate}.{model.name}",
                "parameters": {"tenant": {"description": "The tenant (portal) id, e.g. jm."}},
                "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            }
            # The platform publishes these: `send` from the platform's side (partners and the
            # services themselves consume them).
            operations[f"send.{key}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{key}"},
                "summary": f"{service} publishes {model.aggregate} {model.name.replace('_', ' ')}",
                "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
            }
    schemas["NatsHeaders"] = HEADERS
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Portal platform events",
            "version": VERSION,
            "description": (
                "CloudEvents 1.0 (structured JSON) on NATS JetStream, one stream per service. "
                "Payloads carry ids, codes and timestamps, never personal data; the event id is "
                "also the Nats-Msg-Id, so consumers can deduplicate. Consumers must ignore "
                "attributes and payload fields they do not know: a newer producer may add them "
                "(the platform's own consumers do)."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": SERVERS,
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas,
            "securitySchemes": SECURITY_SCHEMES,
        },
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
