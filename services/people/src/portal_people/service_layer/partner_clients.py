"""Partner clients: tenant administrators create, list and revoke them; a client trades its id
and secret for an access token (OAuth 2.0 client credentials), throttled like a login."""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal_kit.clock import Clock
from portal_kit.domain import NotFound, new_id

from portal_people.domain.bearer_secrets import new_secret
from portal_people.domain.messages import _
from portal_people.domain.partner_client import (
    InvalidClient,
    PartnerClient,
    client_name,
    granted_scopes,
)
from portal_people.service_layer import access
from portal_people.service_layer.directory import Directory
from portal_people.service_layer.ports import AccessTokens, PartnerClientRecords
from portal_people.service_layer.sessions import Sessions

_CLIENT_ID = re.compile(r"^(?P<tenant>[a-z][a-z0-9_-]{0,62})\.(?P<id>[0-9a-f]{32})$")


@dataclass(frozen=True)
class ClientToken:
    access_token: str
    expires_in: int
    scopes: tuple[str, ...]


class PartnerClients:
    def __init__(
        self,
        directory: Directory,
        *,
        records: PartnerClientRecords,
        sessions: Sessions,
        tokens: AccessTokens,
        clock: Clock,
    ) -> None:
        self.directory = directory
        self.principal = directory.principal
        self.records = records
        self.sessions = sessions
        self.tokens = tokens
        self.clock = clock

    def _require_admin(self) -> None:
        access.require_tenant_admin(self.principal, self.principal.tenant)

    async def create(self, name: str, scopes: list[str]) -> tuple[PartnerClient, str]:
        """The new client and its secret, which is shown this once."""
        self._require_admin()
        secret = new_secret()
        client = PartnerClient(
            id=new_id(),
            tenant=self.principal.tenant,
            name=client_name(name),
            scopes=granted_scopes(scopes),
            secret_hash=await self.directory.passwords.hash(secret),
            created_at=self.clock(),
            created_by=self.principal.user,
        )
        await self.records.add(client)
        return client, secret

    async def every(self) -> list[PartnerClient]:
        self._require_admin()
        return await self.records.every()

    async def revoke(self, client_id: str, version: int) -> PartnerClient:
        self._require_admin()
        client = await self.records.get(client_id)
        if client is None:
            raise NotFound(_("no such partner client"), field="id")
        client.version = version  # a stale one: the save refuses it
        client.revoke(self.clock())
        await self.records.save(client)
        return client

    async def issue_token(
        self, client_id: str, secret: str, scope: str | None, client_address: str | None
    ) -> ClientToken:
        """Anonymous: the tenant is the request's, and a client id of another tenant answers
        like one that does not exist. Unknown, wrong and revoked all answer `InvalidClient`."""
        match = _CLIENT_ID.match(client_id)
        known = match is not None and match["tenant"] == self.principal.tenant
        client = await self.records.get(match["id"]) if match and known else None
        account_key = f"client:{client.id}" if client else "client:" + client_id[:100]
        passwords = self.directory.passwords

        async def valid() -> bool:
            right = await passwords.verify(client.secret_hash if client else None, secret[:200])
            return client is not None and right and not client.revoked

        accepted = await self.sessions.throttled(account_key, None, client_address, valid)
        if client is None or not accepted:
            raise InvalidClient()
        scopes = client.scopes_for(scope)
        token, expires_in = self.tokens.issue_client_token(client, scopes)
        return ClientToken(access_token=token, expires_in=expires_in, scopes=scopes)
