"""Partner clients: a tenant's partner system (CRM, ERP) calling the API with its own
credentials (OAuth 2.0 client credentials, RFC 6749 section 4.4).

A client belongs to one tenant and holds the scopes its administrators granted; its secret is
shown once and only its hash is kept. Revoking it ends every token it holds: the revocation is
announced as `session.ended` with the client's id as the session (its tokens' `sid`), which the
gateway already follows for logged-out sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal_kit.domain import Aggregate, DomainError
from portal_kit.principal import read_scope

from portal_people.domain.events import SessionEnded
from portal_people.domain.messages import _
from portal_people.domain.national_id import REVEAL_SCOPE

# What an administrator may grant: reading a service's data, and revealing national IDs
# (audited like every reveal).
GRANTABLE_SCOPES = frozenset(
    [*(read_scope(s) for s in ("people", "orders", "tickets", "billing")), REVEAL_SCOPE]
)
MAX_NAME = 100


class InvalidScope(DomainError):
    code = "INVALID_SCOPE"


class InvalidClient(DomainError):
    """Unknown client, wrong secret or revoked client: one answer for all three."""

    code = "INVALID_CLIENT"

    def __init__(self) -> None:
        super().__init__(_("wrong client id or secret"), field="clientSecret")


def granted_scopes(scopes: list[str]) -> tuple[str, ...]:
    chosen = tuple(sorted(set(scopes)))
    if not chosen:
        raise InvalidScope(_("a partner client needs at least one scope"), field="scopes")
    unknown = [scope for scope in chosen if scope not in GRANTABLE_SCOPES]
    if unknown:
        raise InvalidScope(_("unknown scope: {scope}", scope=unknown[0][:60]), field="scopes")
    return chosen


def client_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 0 < len(cleaned) <= MAX_NAME or not cleaned.isprintable():
        raise DomainError(
            _("a name is 1 to {max} printable characters", max=MAX_NAME),
            field="name",
            code="INVALID_NAME",
        )
    return cleaned


@dataclass(kw_only=True)
class PartnerClient(Aggregate):
    name: str
    scopes: tuple[str, ...]
    secret_hash: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    @property
    def client_id(self) -> str:
        """What the partner sends as client_id: the tenant travels with it, as a login's tenant
        travels in the request."""
        return f"{self.tenant}.{self.id}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def scopes_for(self, requested: str | None) -> tuple[str, ...]:
        """The scopes of a token: those asked for (space-separated, RFC 6749 section 3.3), or
        every granted one when none are asked for."""
        if requested is None or not requested.strip():
            return self.scopes
        asked = tuple(sorted(set(requested.split())))
        if not set(asked) <= set(self.scopes):
            raise InvalidScope(
                _("the scope asked for was not granted to this client"), field="scope"
            )
        return asked

    def revoke(self, now: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
            self.record(
                SessionEnded(session_id=self.id, user_id=self.id, reason="partner_client_revoked")
            )
