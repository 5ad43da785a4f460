"""Invitations (JM): operator staff invite a person by e-mail to an organisation with roles.

The e-mailed code is single-use and expires; only its hash is stored. A used, expired or unknown
code gets one and the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from portal_kit.domain import Aggregate, DomainError, new_id

from portal_people.domain.events import InvitationRedeemed, InvitationSent
from portal_people.domain.messages import _
from portal_people.domain.organisation import Organisation


class InvitationStatus(StrEnum):
    PENDING = "pending"
    REDEEMED = "redeemed"


class InvalidInvitationCode(DomainError):
    code = "INVALID_CODE"

    def __init__(self) -> None:
        super().__init__(_("this invitation code is used, expired or unknown"), field="code")


@dataclass(kw_only=True)
class Invitation(Aggregate):
    email: str
    name: str
    locale: str
    organisation_id: str
    organisation_name: str
    roles: tuple[str, ...]
    code_hash: str
    invited_by: str
    created_at: datetime
    expires_at: datetime
    status: InvitationStatus = InvitationStatus.PENDING
    user_id: str | None = None

    @classmethod
    def send(
        cls,
        tenant: str,
        *,
        email: str,
        name: str,
        locale: str,
        organisation: Organisation,
        roles: tuple[str, ...],
        code_hash: str,
        invited_by: str,
        now: datetime,
        lifetime: timedelta,
    ) -> Invitation:
        if organisation.tenant != tenant or not organisation.active:
            raise DomainError(_("no such organisation"), field="organisationId", code="NOT_FOUND")
        invitation = cls(
            id=new_id(),
            tenant=tenant,
            email=email,
            name=name,
            locale=locale,
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            roles=roles,
            code_hash=code_hash,
            invited_by=invited_by,
            created_at=now,
            expires_at=now + lifetime,
        )
        invitation.record(
            InvitationSent(
                invitation_id=invitation.id,
                organisation_id=organisation.id,
                roles=list(roles),
                invited_by=invited_by,
                expires_at=invitation.expires_at.isoformat(),
            )
        )
        return invitation

    def check_open(self, now: datetime) -> None:
        if self.status is not InvitationStatus.PENDING or now >= self.expires_at:
            raise InvalidInvitationCode()

    def redeem(self, user_id: str, now: datetime) -> InvitationRedeemed:
        """Marks the invitation used by `user_id` and returns the event, which the caller writes
        with the new account (the account's insert is what makes the redemption happen)."""
        self.check_open(now)
        self.status = InvitationStatus.REDEEMED
        self.user_id = user_id
        return InvitationRedeemed(
            invitation_id=self.id, organisation_id=self.organisation_id, user_id=user_id
        )
