"""Partner clients in the people schema: administrators create, list and revoke them; a client
trades its credentials for a token (`issueClientToken`, anonymous: the gateway's
`POST /oauth/token` calls it, as RFC 6749's client credentials grant)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from portal_kit.domain import Forbidden
from portal_kit.graphql import UserError, attempt

from portal_people.domain import partner_client as domain
from portal_people.entrypoints.context import Info


@strawberry.type(description="A partner system (CRM, ERP) of the tenant with API access.")
class PartnerClient:
    id: strawberry.ID
    client_id: str = strawberry.field(description="What the partner sends as client_id.")
    name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None
    version: int

    @classmethod
    def of(cls, client: domain.PartnerClient) -> PartnerClient:
        return cls(
            id=strawberry.ID(client.id),
            client_id=client.client_id,
            name=client.name,
            scopes=list(client.scopes),
            created_at=client.created_at,
            revoked_at=client.revoked_at,
            version=client.version,
        )


@strawberry.input
class CreatePartnerClientInput:
    name: str
    scopes: list[str] = strawberry.field(
        description="Of: people:read, orders:read, tickets:read, billing:read, "
        "people:national-id:reveal."
    )


@strawberry.input
class RevokePartnerClientInput:
    id: strawberry.ID
    version: int


@strawberry.input
class IssueClientTokenInput:
    client_id: str
    client_secret: str
    scope: str | None = strawberry.field(
        default=None, description="Space-separated; none: every granted scope."
    )


@strawberry.type
class PartnerClientPayload:
    partner_client: PartnerClient | None
    client_secret: str | None = strawberry.field(
        description="Only when the client is created: shown this once, never again."
    )
    user_errors: list[UserError]


@strawberry.type(description="An access token for a partner client (Bearer).")
class ClientTokenPayload:
    access_token: str | None
    expires_in: int | None
    scope: str | None = strawberry.field(description="The token's scopes, space-separated.")
    user_errors: list[UserError]


@strawberry.type
class PartnerClientQuery:
    @strawberry.field(description="The tenant's administrators: its partner clients (revoked too).")
    async def partner_clients(self, info: Info) -> list[PartnerClient]:
        try:
            return [PartnerClient.of(c) for c in await info.context.partner_clients.every()]
        except Forbidden:
            return []


@strawberry.type
class PartnerClientMutation:
    @strawberry.mutation(description="The tenant's administrators: a new partner client.")
    async def create_partner_client(
        self, info: Info, input: CreatePartnerClientInput
    ) -> PartnerClientPayload:
        created, errors = await attempt(
            lambda: info.context.partner_clients.create(input.name, input.scopes)
        )
        if created is None:
            return PartnerClientPayload(partner_client=None, client_secret=None, user_errors=errors)
        client, secret = created
        return PartnerClientPayload(
            partner_client=PartnerClient.of(client), client_secret=secret, user_errors=[]
        )

    @strawberry.mutation(description="The tenant's administrators: its tokens stop at once.")
    async def revoke_partner_client(
        self, info: Info, input: RevokePartnerClientInput
    ) -> PartnerClientPayload:
        revoked, errors = await attempt(
            lambda: info.context.partner_clients.revoke(str(input.id), input.version)
        )
        return PartnerClientPayload(
            partner_client=PartnerClient.of(revoked) if revoked else None,
            client_secret=None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Anonymous: a partner client's credentials for a token.")
    async def issue_client_token(
        self, info: Info, input: IssueClientTokenInput
    ) -> ClientTokenPayload:
        context = info.context
        issued, errors = await attempt(
            lambda: context.partner_clients.issue_token(
                input.client_id, input.client_secret, input.scope, context.client_address
            )
        )
        if issued is None:
            return ClientTokenPayload(
                access_token=None, expires_in=None, scope=None, user_errors=errors
            )
        return ClientTokenPayload(
            access_token=issued.access_token,
            expires_in=issued.expires_in,
            scope=" ".join(issued.scopes),
            user_errors=[],
        )
