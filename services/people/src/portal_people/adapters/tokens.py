"""Access tokens the people service issues (EdDSA JWT with `kid`) and the JWKS that verifies them.

Several keys may be published at once so a new signing key can be introduced before the old one
stops being accepted: rotation without logging everyone out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm
from portal_kit.principal import FIRST_LOGIN_SCOPE, PARTNER_CLIENT_SCOPE

from portal_people.domain.partner_client import PartnerClient
from portal_people.domain.user import User

ISSUER = "portal-people"
AUDIENCE = "portal"
ACCESS_TOKEN_SECONDS = 900


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The key as a JWK whose `kid` is its RFC 7638 thumbprint."""
    jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(public_key))
    canonical = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":")
    )
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest())
    jwk.update(kid=thumbprint.rstrip(b"=").decode(), use="sig", alg="EdDSA")
    return jwk


class TokenIssuer:
    def __init__(
        self,
        signing_key_pem: bytes,
        retired_public_keys: Sequence[bytes] = (),
        *,
        lifetime_seconds: int = ACCESS_TOKEN_SECONDS,
    ) -> None:
        self.lifetime = lifetime_seconds
        key = serialization.load_pem_private_key(signing_key_pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the token signing key must be an Ed25519 private key")
        self._key = key
        signing = public_jwk(key.public_key())
        self.kid: str = signing["kid"]
        self._published = [signing]
        for pem in retired_public_keys:
            public = serialization.load_pem_public_key(pem)
            if not isinstance(public, Ed25519PublicKey):
                raise ValueError("a published token key must be an Ed25519 public key")
            self._published.append(public_jwk(public))

    def jwks(self) -> dict[str, Any]:
        return {"keys": list(self._published)}

    def issue_access_token(
        self, user: User, *, session_id: str | None = None, lifetime: int | None = None
    ) -> tuple[str, int]:
        # `iat` to the millisecond: the gateway refuses a user's tokens issued before a
        # revocation event (deactivation, password change or reset), and one issued just after
        # it in the same second must pass.
        issued = round(time.time(), 3)
        now = int(issued)
        # A user who must first confirm contact details and change the password gets only the
        # first-login scope: no memberships, no staff flag, so no service shows them anything.
        pending = bool(user.first_login)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": user.id,
            "iat": issued,
            "exp": now + (lifetime or self.lifetime),
            "jti": uuid.uuid4().hex,
            "tenant": user.tenant,
            "memberships": []
            if pending
            else [
                {"organisation": m.organisation_id, "roles": list(m.roles)}
                for m in user.memberships
            ],
            "staff": user.staff and not pending,
            "scopes": [FIRST_LOGIN_SCOPE] if pending else list(user.scopes),
            "locale": user.locale,
        }
        if session_id is not None:
            claims["sid"] = session_id  # logging out (session.ended) revokes this token
        if user.active_organisation_id and not pending:
            # The chosen customer ('Vælg kunde'): the gateway carries it into the principal
            # (`active_organisation`), and each service narrows what the caller sees to it.
            claims["org"] = user.active_organisation_id
        token = jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})
        return token, lifetime or self.lifetime

    def issue_client_token(self, client: PartnerClient, scopes: tuple[str, ...]) -> tuple[str, int]:
        """A partner client's token: its tenant's staff sight (no memberships), its scopes and
        the partner marker the gateway limits it by; `sid` is the client, so revoking the client
        (`session.ended`) ends the token."""
        issued = round(time.time(), 3)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": client.id,
            "iat": issued,
            "exp": int(issued) + self.lifetime,
            "jti": uuid.uuid4().hex,
            "tenant": client.tenant,
            "memberships": [],
            "staff": True,
            "scopes": [*scopes, PARTNER_CLIENT_SCOPE],
            "locale": "en",
            "sid": client.id,
        }
        token = jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})
        return token, self.lifetime
