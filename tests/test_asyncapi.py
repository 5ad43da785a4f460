"""The AsyncAPI document partners generate clients from matches the event models in the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from portal_kit.asyncapi import asyncapi_document, render

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ["people", "orders", "tickets", "billing"]
COMMITTED = ROOT / "deploy" / "asyncapi.json"


def test_the_committed_document_is_up_to_date() -> None:
    assert COMMITTED.read_bytes() == render(SERVICES), (
        "deploy/asyncapi.json is stale: run `make asyncapi` and commit it"
    )


def test_every_channel_is_a_tenant_subject_with_a_cloudevent_message() -> None:
    document = asyncapi_document(SERVICES)
    assert document["channels"], "no events found"
    for key, channel in document["channels"].items():
        assert re.fullmatch(r"portal\.\{tenant\}\.[a-z]+\.[a-z_]+\.[a-z_]+", channel["address"])
        message = document["components"]["messages"][key]
        payload = message["payload"]
        assert set(payload["required"]) >= {"id", "source", "type", "subject", "time", "tenant"}
        assert payload["properties"]["type"]["const"] == "portal." + key


def test_references_resolve_inside_the_document() -> None:
    document = asyncapi_document(SERVICES)
    text = json.dumps(document)
    for reference in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node = document
        for part in reference.split("/"):
            node = node[part]
        assert node, reference


def test_people_directory_events_are_published() -> None:
    channels = asyncapi_document(SERVICES)["channels"]
    assert {"people.tenant.created", "people.organisation.created", "people.user.created"} <= set(
        channels
    )


VALIDATOR = ROOT / "deploy" / "asyncapi" / "validate.mjs"


def test_the_document_validates_with_the_official_asyncapi_parser(tmp_path: Path) -> None:
    """@asyncapi/parser (deploy/asyncapi/, `npm ci --prefix deploy/asyncapi` in `make env`):
    no diagnostic of error severity."""
    import shutil
    import subprocess

    node = shutil.which("node")
    assert node, "node is required (the AsyncAPI parser runs on it)"
    assert (VALIDATOR.parent / "node_modules" / "@asyncapi" / "parser").is_dir(), (
        "the AsyncAPI parser is not installed: npm ci --prefix deploy/asyncapi"
    )
    document = tmp_path / "asyncapi.json"
    document.write_bytes(render(SERVICES))
    finished = subprocess.run(
        [node, str(VALIDATOR), str(document)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    diagnostics = [json.loads(line) for line in finished.stdout.splitlines() if line.strip()]
    errors = [d for d in diagnostics if d["severity"] == "error"]
    assert errors == [], errors
    assert finished.returncode == 0, finished.stderr


def test_a_broken_document_is_refused_by_the_parser(tmp_path: Path) -> None:
    """The check can fail: an operation without its channel is an error diagnostic."""
    import shutil
    import subprocess

    broken = asyncapi_document(SERVICES)
    broken["operations"]["send.orders.order.created"]["action"] = "publish"
    document = tmp_path / "asyncapi.json"
    document.write_text(json.dumps(broken))
    finished = subprocess.run(
        [str(shutil.which("node")), str(VALIDATOR), str(document)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 1
    assert any(json.loads(line)["severity"] == "error" for line in finished.stdout.splitlines())


def test_the_platform_sends_every_event_with_its_headers() -> None:
    document = asyncapi_document(SERVICES)
    assert document["operations"]
    for key, operation in document["operations"].items():
        assert operation["action"] == "send", key
    headers = document["components"]["schemas"]["NatsHeaders"]["properties"]
    assert {"Nats-Msg-Id", "traceparent"} <= set(headers)
    for message in document["components"]["messages"].values():
        assert message["headers"] == {"$ref": "#/components/schemas/NatsHeaders"}


def test_production_and_development_servers_with_security() -> None:
    document = asyncapi_document(SERVICES)
    production = document["servers"]["production"]
    assert production["protocol"] == "nats"
    assert "127.0.0.1" not in production["host"]
    schemes = document["components"]["securitySchemes"]
    for reference in production["security"]:
        assert reference["$ref"].rsplit("/", 1)[-1] in schemes
    # Partners get NKeys (python -m portal_kit.partners): the mechanism the document names.
    assert {scheme["type"] for scheme in schemes.values()} == {"asymmetricEncryption"}
    assert document["servers"]["development"]["host"] == "127.0.0.1:4222"


def _undescribed(schema: dict[str, object], schemas: dict[str, object], path: str) -> list[str]:
    missing: list[str] = []
    for name, field in dict(schema.get("properties", {})).items():  # type: ignore[call-overload]
        if "description" not in field and "$ref" not in field and "const" not in field:
            missing.append(f"{path}.{name}")
    return missing


def test_every_payload_field_has_a_description() -> None:
    document = asyncapi_document(SERVICES)
    schemas = document["components"]["schemas"]
    missing: list[str] = []
    for key, message in document["components"]["messages"].items():
        envelope = message["payload"]
        missing += _undescribed(envelope, schemas, key)
        missing += _undescribed(envelope["properties"]["data"], schemas, f"{key}.data")
    for name, schema in schemas.items():
        missing += _undescribed(schema, schemas, name)
    assert missing == [], f"{len(missing)} fields without a description: {missing[:20]}"
