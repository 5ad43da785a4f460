"""Events travel as CloudEvents 1.0 on a subject per tenant; nothing can be injected into it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import ClassVar

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from portal_kit.events import CloudEvent, DomainEvent, event_subject


class ThingCreated(DomainEvent):
    aggregate: ClassVar[str] = "thing"
    name: ClassVar[str] = "created"

    thing_id: str
    label: str


def _wrap(tenant: str = "acme", **options: str) -> CloudEvent:
    return CloudEvent.wrap(
        ThingCreated(thing_id="t-1", label="First"),
        service="kit",
        tenant=tenant,
        aggregate_id="t-1",
        **options,
    )


def test_wrap_gives_a_cloudevents_1_0_envelope() -> None:
    event = _wrap(traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")

    assert event.specversion == "1.0"
    assert uuid.UUID(event.id).version == 4
    assert event.source == "/portal/kit"
    assert event.type == "portal.kit.thing.created"
    assert event.subject == "t-1"
    assert event.datacontenttype == "application/json"
    assert event.data == {"thing_id": "t-1", "label": "First"}
    assert event.tenant == "acme"
    assert event.traceparent == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert event.time.tzinfo is not None
    assert event.time.utcoffset() == timedelta(0)
    assert (event.aggregate, event.name) == ("thing", "created")


def test_every_event_gets_its_own_id() -> None:
    assert _wrap().id != _wrap().id


def test_envelope_survives_json_roundtrip() -> None:
    event = _wrap()
    as_json = event.model_dump(mode="json")
    assert as_json["time"].endswith("+00:00") or as_json["time"].endswith("Z")
    assert {"specversion", "id", "source", "type", "subject", "time", "data", "tenant"} <= set(
        as_json
    )
    assert CloudEvent.model_validate(as_json) == event


def test_nats_subject_is_prefix_tenant_service_aggregate_event() -> None:
    assert _wrap().nats_subject("portal") == "portal.acme.kit.thing.created"
    assert _wrap("jm").nats_subject("t1234") == "t1234.jm.kit.thing.created"


@pytest.mark.parametrize(
    "tenant", ["", "a.b", "a*", ">", "a b", "A", "acme\n", "1abc", "a\tb", "ab>", "ä"]
)
def test_invalid_tenant_is_refused(tenant: str) -> None:
    with pytest.raises(ValueError):
        event_subject("portal", tenant, "kit", "thing", "created")
    with pytest.raises(ValueError):
        _wrap(tenant)


@pytest.mark.parametrize("position", range(5))
@pytest.mark.parametrize("bad", ["x.y", "*", ">", "x y", "x\n", "", "X"])
def test_invalid_token_anywhere_is_refused(position: int, bad: str) -> None:
    parts = ["portal", "acme", "kit", "thing", "created"]
    parts[position] = bad
    with pytest.raises(ValueError):
        event_subject(*parts)


FORBIDDEN = set(".*> \t\r\n\x0b\x0c\x00")


@given(st.text(max_size=70))
@example("acme\n")
@example("acme.other")
@example("acme.*")
@example("a>")
@example("a\u2028b")
def test_random_tenant_gives_a_clean_token_or_value_error(tenant: str) -> None:
    try:
        subject = event_subject("portal", tenant, "kit", "thing", "created")
    except ValueError:
        return
    tokens = subject.split(".")
    assert tokens == ["portal", tenant, "kit", "thing", "created"]
    assert not FORBIDDEN & set(tenant)
    assert not any(character.isspace() for character in subject)
    assert tenant.isascii()


@given(st.text(max_size=70))
@example("acme\n")
def test_random_tenant_through_the_envelope(tenant: str) -> None:
    try:
        subject = _wrap(tenant).nats_subject("portal")
    except ValueError:
        return
    assert subject.split(".")[1] == tenant
    assert not any(character.isspace() or character in "*>" for character in subject)


class BadlyNamed(DomainEvent):
    aggregate: ClassVar[str] = "thing"
    name: ClassVar[str] = "Renamed.To*"


def test_event_that_could_never_be_published_is_refused_when_wrapped() -> None:
    with pytest.raises(ValueError):
        CloudEvent.wrap(BadlyNamed(), service="kit", tenant="acme", aggregate_id="t-1")
    with pytest.raises(ValueError):
        CloudEvent.wrap(
            ThingCreated(thing_id="t", label="x"), service="Kit.x", tenant="acme", aggregate_id="t"
        )


def test_unknown_attributes_and_payload_fields_are_tolerated_when_reading() -> None:
    """A newer producer's extra CloudEvents attribute or payload field reads without error."""

    class Thing(DomainEvent):
        aggregate: ClassVar[str] = "thing"
        name: ClassVar[str] = "made"
        thing_id: str

    raw = {
        "specversion": "1.0",
        "id": "e1",
        "source": "/portal/kit",
        "type": "portal.kit.thing.made",
        "subject": "t1",
        "time": "2024-05-01T12:00:00+00:00",
        "data": {"thing_id": "t1", "colour": "red"},
        "tenant": "acme",
        "partitionkey": "t1",
    }
    envelope = CloudEvent.model_validate(raw)
    assert Thing.model_validate(envelope.data).thing_id == "t1"
