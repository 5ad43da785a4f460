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
