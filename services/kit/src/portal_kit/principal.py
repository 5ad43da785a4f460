"""The principal: who is calling, as the gateway vouches for it to the subgraphs.

The gateway signs a short-lived token (EdDSA JWT) for every subgraph request; subgraphs verify
it with the gateway's public key and refuse anything else. Only the gateway holds the private
key, so a subgraph, or anyone who reaches one directly, cannot mint principals.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

HEADER = "X-Portal-Principal"
ISSUER = "portal-gateway"
AUDIENCE = "portal-subgraph"
ALGORITHM = "EdDSA"
LIFETIME_SECONDS = 60
# Verified principals remembered by a subgraph (the gateway reuses a signed one while more
# than half its life remains, forwarding.CachedSigner): verifying cost a fifth of a small
# request.
REMEMBERED = 4096
PLATFORM_ADMIN_SCOPE = "platform:admin"
# The only scope of a user who must finish first-login steps: no service but people serves them.
FIRST_LOGIN_SCOPE = "people:first-login-required"
ANONYMOUS = "anonymous"
# Marks a partner system's principal (a tenant's partner client, OAuth client credentials): not
# a person; it sees what the tenant's staff see, of the services whose read scope it holds
# (`read_scope`), and changes nothing (the gateway refuses its mutations).
PARTNER_CLIENT_SCOPE = "partner:client"


def read_scope(service: str) -> str:
    """The scope a partner client needs to read a service's fields: `<service>:read`."""
    return f"{service}:read"


class Membership(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    organisation: str = Field(min_length=1, max_length=64)
    roles: tuple[str, ...] = ()


class Principal(BaseModel):
    """Who is calling: user, tenant, memberships with roles, staff flag, scopes and locale, and
    the active organisation when the caller chose one.

    `active_organisation`: a user of several customer organisations works for one of them at a
    time ('Vælg kunde'; people's `chooseActiveOrganisation`, the access token's `org` claim). It
    is always one of the memberships; None (not chosen) means all of them, as before.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str = Field(min_length=1, max_length=64)
    tenant: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,62}$")
    memberships: tuple[Membership, ...] = ()
    staff: bool = False
    scopes: tuple[str, ...] = ()
    locale: str = Field(default="en", pattern=r"^[a-z]{2}$")
    active_organisation: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _active_organisation_is_a_membership(self) -> Principal:
        # A choice outside the memberships would let a caller name any organisation to act for.
        if self.active_organisation is not None and (
            self.active_organisation not in self.organisations
        ):
            raise ValueError("the active organisation must be one of the memberships")
        return self

    @classmethod
    def anonymous(cls, tenant: str, locale: str = "en") -> Principal:
        return cls(user=ANONYMOUS, tenant=tenant, locale=locale)

    @property
    def authenticated(self) -> bool:
        return self.user != ANONYMOUS

    @property
    def platform_admin(self) -> bool:
        return PLATFORM_ADMIN_SCOPE in self.scopes

    @property
    def is_staff(self) -> bool:
        """Operator staff of the tenant: they see every row of it (docs/architecture.md)."""
        return self.authenticated and self.staff

    @property
    def sees_nothing(self) -> bool:
        """Neither staff nor a member of any organisation: no row of any service is theirs."""
        return not self.is_staff and (not self.authenticated or not self.memberships)

    @property
    def partner_client(self) -> bool:
        return PARTNER_CLIENT_SCOPE in self.scopes

    @property
    def first_login_pending(self) -> bool:
        return FIRST_LOGIN_SCOPE in self.scopes

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def roles_in(self, organisation: str) -> tuple[str, ...]:
        for membership in self.memberships:
            if membership.organisation == organisation:
                return membership.roles
        return ()

    @property
    def organisations(self) -> tuple[str, ...]:
        return tuple(m.organisation for m in self.memberships)

    @property
    def acting_for(self) -> tuple[str, ...]:
        """The organisations the caller works for now: the active one when chosen, else all."""
        if self.active_organisation is not None:
            return (self.active_organisation,)
        return self.organisations


class InvalidPrincipal(Exception):
    """The principal token is missing, expired, malformed or not signed by the gateway."""


def generate_key_pair() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair as (private PEM, public PEM)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


class PrincipalSigner:
    """Used by the gateway only."""

    def __init__(self, private_key_pem: bytes, *, lifetime_seconds: int = LIFETIME_SECONDS) -> None:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the principal signing key must be an Ed25519 private key")
        self._key = key
        self._lifetime = lifetime_seconds

    def sign(self, principal: Principal) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + self._lifetime,
            "jti": uuid.uuid4().hex,
            "principal": principal.model_dump(mode="json"),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)


class PrincipalVerifier:
    """Used by every subgraph on every request."""

    def __init__(self, public_key_pem: bytes) -> None:
        key = serialization.load_pem_public_key(public_key_pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the principal verification key must be an Ed25519 public key")
        self._key = key
        # By the exact token text (so by its signature too), with its expiry.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def verify(self, token: str | None) -> Principal:
        if not token:
            raise InvalidPrincipal("missing principal")
        known = self._verified.get(token)
        if known is not None:
            if known[1] <= time.time():
                raise InvalidPrincipal("expired principal")
            return known[0]
        principal, expires = self._verify(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > REMEMBERED:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidPrincipal("expired principal") from error
        except jwt.PyJWTError as error:
            raise InvalidPrincipal("invalid principal") from error
        try:
            return Principal.model_validate(claims.get("principal")), float(claims["exp"])
        except (ValidationError, TypeError, ValueError) as error:
            raise InvalidPrincipal("malformed principal") from error
