"""Refresh-token families: one per login, rotated on every use.

A refresh token is `<family id>.<secret>`; only a hash of the secret is stored. Each use swaps
the current secret for a new one and remembers the old hash; presenting a remembered (already
used) secret means the token was stolen or replayed, so the whole family is revoked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from portal_kit.domain import Aggregate, DomainError

from portal_people.domain.events import SessionEnded
from portal_people.domain.messages import _

# Enough to recognise the replay of any recent token; older ones only answer 'invalid'.
REMEMBERED_HASHES = 50


class InvalidRefreshToken(DomainError):
    code = "INVALID_REFRESH_TOKEN"

    def __init__(self) -> None:
        super().__init__(_("the session has ended; log in again"), field="refreshToken")


class RefreshTokenReused(InvalidRefreshToken):
    """Raised after the family has been revoked, so the caller saves that first."""


@dataclass(kw_only=True)
class SessionFamily(Aggregate):
    user_id: str
    epoch: int
    current_hash: str
    created_at: datetime
    expires_at: datetime
    used_hashes: list[str] = field(default_factory=list)
    revoked: bool = False

    def rotate(self, presented_hash: str, new_hash: str, now: datetime, user_epoch: int) -> None:
        if presented_hash in self.used_hashes:
            self.end("refresh_token_reused")
            raise RefreshTokenReused()
        if (
            self.revoked
            or presented_hash != self.current_hash
            or now >= self.expires_at
            or self.epoch != user_epoch
        ):
            raise InvalidRefreshToken()
        self.used_hashes = [*self.used_hashes, presented_hash][-REMEMBERED_HASHES:]
        self.current_hash = new_hash

    def revoke(self, presented_hash: str) -> None:
        """Logging out needs the current token (or any of its family's)."""
        if presented_hash != self.current_hash and presented_hash not in self.used_hashes:
            raise InvalidRefreshToken()
        self.end("logged_out")

    def end(self, reason: str) -> None:
        """Revoked, announced once: the gateway then refuses this session's access tokens."""
        if not self.revoked:
            self.revoked = True
            self.record(SessionEnded(session_id=self.id, user_id=self.user_id, reason=reason))
