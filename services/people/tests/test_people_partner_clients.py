"""Partner clients' rules without I/O: which scopes may be granted, which a token may carry, and
that revoking announces the end of its tokens once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from portal_kit.domain import DomainError
from portal_people.domain.events import SessionEnded
from portal_people.domain.partner_client import (
    InvalidScope,
    PartnerClient,
    client_name,
    granted_scopes,
)

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)


def client(*scopes: str) -> PartnerClient:
    return PartnerClient(
        id="c" * 32,
        tenant="jm",
        name="CRM",
        scopes=scopes,
        secret_hash="x",
        created_at=NOW,
        created_by="admin",
    )


def test_only_known_scopes_are_granted_and_at_least_one() -> None:
    assert granted_scopes(["orders:read", "people:read", "orders:read"]) == (
        "orders:read",
        "people:read",
    )
    with pytest.raises(InvalidScope):
        granted_scopes([])
    with pytest.raises(InvalidScope):
        granted_scopes(["orders:read", "platform:admin"])
    with pytest.raises(InvalidScope):
        granted_scopes(["partner:client"])  # the marker is the issuer's to add


def test_a_token_carries_the_scopes_asked_for_within_the_granted_ones() -> None:
    crm = client("orders:read", "tickets:read")
    assert crm.scopes_for(None) == ("orders:read", "tickets:read")
    assert crm.scopes_for("  ") == ("orders:read", "tickets:read")
    assert crm.scopes_for("tickets:read") == ("tickets:read",)
    with pytest.raises(InvalidScope):
        crm.scopes_for("tickets:read billing:read")


def test_revoking_ends_the_clients_tokens_once() -> None:
    crm = client("orders:read")
    crm.revoke(NOW)
    crm.revoke(NOW)
    assert crm.revoked and crm.revoked_at == NOW
    assert crm.take_events() == [
        SessionEnded(session_id=crm.id, user_id=crm.id, reason="partner_client_revoked")
    ]
    assert crm.client_id == f"jm.{crm.id}"


def test_a_name_is_trimmed_and_bounded() -> None:
    assert client_name("  JM \t CRM ") == "JM CRM"
    for bad in ("", "   ", "x" * 101, "bell\x07"):
        with pytest.raises(DomainError):
            client_name(bad)
