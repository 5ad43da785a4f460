"""The caller's own account: contact details, language, the active organisation."""

from __future__ import annotations

from portal_people.domain.user import User
from portal_people.service_layer.credentials import ContactDetails
from portal_people.service_layer.directory import Directory
from portal_people.service_layer.sessions import Session, Sessions


class Profile:
    def __init__(self, directory: Directory, *, sessions: Sessions) -> None:
        self.directory = directory
        self.sessions = sessions

    async def update(self, version: int, contact: ContactDetails, locale: str | None) -> User:
        user = await self.directory.caller()
        tenant = await self.directory.own_tenant()
        user.version = version
        user.update_profile(
            tenant.configuration,
            email=contact.email,
            name=contact.name,
            mobile_phone=contact.mobile_phone,
            other_phone=contact.other_phone,
            locale=locale,
        )
        await self.directory.require_unique(user)
        await self.directory.users.save(user)
        return user

    async def choose_active_organisation(self, organisation_id: str) -> tuple[User, Session]:
        """One person in several customers ('Vælg kunde'): the choice is kept on the account and
        carried in the new access token (claim `org`)."""
        user = await self.directory.caller()
        user.choose_active_organisation(organisation_id)
        await self.directory.users.save(user)
        return user, await self.sessions.open(user)
