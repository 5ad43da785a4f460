"""Who is calling: a bearer token issued by the people service, or an anonymous visitor.

Access tokens are EdDSA (Ed25519) JWTs with a `kid` header, verified against the people
service's JWKS. Keys are cached by key id; a token with an unknown key id causes one refetch
(the issuer may have rotated keys), refetches are coalesced and rate-limited, and a failed
refetch keeps the keys already known.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
import orjson
from portal_kit.messages import locale_var
from portal_kit.principal import Principal
from pydantic import ValidationError

from portal_gateway.errors import (
    TENANT_REQUIRED,
    AuthenticationFailed,
    BadRequest,
    SubgraphUnavailable,
    _,
)
from portal_gateway.revocations import Revocations
from portal_gateway.settings import GatewaySettings

log = logging.getLogger("portal.gateway.auth")

ALGORITHM = "EdDSA"
TENANT_HEADER = "x-portal-tenant"
TENANT_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LOCALES = frozenset({"nb", "sv", "da", "fi", "en"})
MAX_TOKEN_LENGTH = 16_384
FETCH_ERRORS = (aiohttp.ClientError, TimeoutError, OSError, ValueError, jwt.PyJWTError)


class KeysUnavailable(SubgraphUnavailable):
    def __init__(self) -> None:
        super().__init__(_("{service} service unavailable", service="people"))


class JwksKeys:
    """The token issuer's public keys by key id, fetched from its JWKS URL with aiohttp."""

    def __init__(
        self,
        url: str,
        session: Callable[[], aiohttp.ClientSession],
        *,
        cache_seconds: float = 300.0,
        min_refetch_seconds: float = 1.0,
        timeout_seconds: float = 5.0,
    ) -> None:
        self.url = url
        self._session = session
        self._cache_seconds = cache_seconds
        self._min_refetch_seconds = min_refetch_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._generation = 0
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key(self, kid: str) -> jwt.PyJWK:
        fetched = succeeded = False
        if self._stale() and self._may_fetch():
            succeeded, fetched = await self._refresh(self._generation), True
        key = self._keys.get(kid)
        if key is None and not fetched and self._may_fetch():
            # An unknown key id: the issuer may have rotated its keys since the last fetch.
            succeeded, fetched = await self._refresh(self._generation), True
            key = self._keys.get(kid)
        if key is not None:
            return key
        if (fetched and not succeeded) or self._fetched_at is None:
            raise KeysUnavailable()
        raise AuthenticationFailed(_("token signed with an unknown key"))

    def _stale(self) -> bool:
        return self._fetched_at is None or time.monotonic() - self._fetched_at > self._cache_seconds

    def _may_fetch(self) -> bool:
        return (
            self._attempted_at is None
            or time.monotonic() - self._attempted_at >= self._min_refetch_seconds
        )

    async def _refresh(self, seen_generation: int) -> bool:
        """Fetch the key set unless another request did while this one waited."""
        async with self._lock:
            if self._generation != seen_generation:
                return True
            self._attempted_at = time.monotonic()
            self.fetches += 1
            try:
                keys = await self._fetch()
            except FETCH_ERRORS as error:
                log.warning(
                    "cannot fetch token keys",
                    extra={"url": self.url, "error": f"{type(error).__name__}: {error}"},
                )
                return False
            self._keys = keys
            self._fetched_at = time.monotonic()
            self._generation += 1
            return True

    async def _fetch(self) -> dict[str, jwt.PyJWK]:
        async with self._session().get(self.url, timeout=self._timeout) as response:
            if response.status != 200:
                raise ValueError(f"JWKS answered HTTP {response.status}")
            document = orjson.loads(await response.read())
        raw_keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(raw_keys, list):
            raise ValueError("JWKS has no key list")
        keys: dict[str, jwt.PyJWK] = {}
        for raw in raw_keys:
            if not isinstance(raw, dict) or raw.get("use", "sig") != "sig":
                continue
            kid = raw.get("kid")
            if raw.get("kty") != "OKP" or raw.get("crv") != "Ed25519" or not isinstance(kid, str):
                continue
            try:
                keys[kid] = jwt.PyJWK(raw, algorithm=ALGORITHM)
            except jwt.PyJWTError:
                log.warning("unusable key in JWKS", extra={"kid": kid})
        return keys


class TokenVerifier:
    def __init__(
        self,
        keys: JwksKeys,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: float = 5.0,
        max_lifetime_seconds: float = 900.0,
        revocations: Revocations | None = None,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds
        self.max_lifetime = max_lifetime_seconds
        self.revocations = revocations

    async def verify(self, token: str) -> Principal:
        return (await self.verify_session(token))[0]

    async def verify_session(self, token: str) -> tuple[Principal, TokenSession]:
        """The principal and the token's own life, for a connection that outlives a request."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationFailed(_("invalid token"))
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationFailed(_("invalid token")) from None
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str) or not kid:
            raise AuthenticationFailed(_("invalid token"))
        key = await self.keys.key(kid)
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed(_("token expired")) from None
        except jwt.PyJWTError:
            raise AuthenticationFailed(_("invalid token")) from None
        issued_at = float(claims["iat"])
        if float(claims["exp"]) - issued_at > self.max_lifetime:
            # Longer than the issuer ever signs: a leaked key or a forged issuer, not ours.
            raise AuthenticationFailed(_("token lifetime exceeds the issuer's maximum"))
        principal = principal_from_claims(claims)
        session = claims.get("sid")
        if self.revocations is not None and self.revocations.revoked(
            principal.tenant,
            principal.user,
            session if isinstance(session, str) else None,
            issued_at,
        ):
            raise AuthenticationFailed(_("token revoked"))
        lived = TokenSession(
            float(claims["exp"]), issued_at, session if isinstance(session, str) else None
        )
        return principal, lived


@dataclass(frozen=True)
class TokenSession:
    """When a verified token ends, when it was issued, and its session (`sid`): a WebSocket
    connection ends with its token, and a revocation names the session and the issue time."""

    expires_at: float
    issued_at: float
    session: str | None


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The portal principal an access token describes.

    The `org` claim is the organisation the user chose to work for ('Vælg kunde'); one that is
    not among the token's memberships makes the token malformed, never a wider sight."""
    memberships = claims.get("memberships") or []
    scopes = claims.get("scopes")
    if scopes is None and isinstance(claims.get("scope"), str):
        scopes = claims["scope"].split()
    try:
        if not isinstance(memberships, list) or not all(isinstance(m, dict) for m in memberships):
            raise ValueError("memberships")
        return Principal.model_validate(
            {
                "user": claims.get("sub"),
                "tenant": claims.get("tenant"),
                "memberships": [
                    {"organisation": m.get("organisation"), "roles": m.get("roles") or []}
                    for m in memberships
                ],
                "staff": claims.get("staff", False),
                "scopes": scopes or [],
                "locale": _language(claims.get("locale")) or "en",
                "active_organisation": claims.get("org"),
            }
        )
    except (ValidationError, ValueError):
        raise AuthenticationFailed(_("token claims are malformed")) from None


def _language(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    language = value.split("-")[0].split("_")[0].strip().lower()
    return language if language in LOCALES else None


def preferred_locale(accept_language: str | None) -> str:
    """The first supported language of an Accept-Language header, else English."""
    if accept_language:
        for part in accept_language.split(",")[:10]:
            language = _language(part.split(";")[0])
            if language is not None:
                return language
    return "en"


class Authenticator:
    def __init__(self, verifier: TokenVerifier, default_tenant: str | None) -> None:
        self.verifier = verifier
        self.default_tenant = default_tenant

    async def principal(self, headers: Mapping[str, str]) -> Principal:
        """The caller's principal; from then on the request's own answers are in its language
        (`language.py`)."""
        principal = await self._principal(headers)
        locale_var.set(principal.locale)
        return principal

    async def bearer_session(self, authorization: str) -> tuple[Principal, TokenSession]:
        """The principal of an `Authorization: Bearer` value and its token's life."""
        principal, lived = await self.verifier.verify_session(_bearer_token(authorization))
        locale_var.set(principal.locale)
        return principal, lived

    async def _principal(self, headers: Mapping[str, str]) -> Principal:
        authorization = headers.get("authorization")
        if authorization is not None:
            return await self.verifier.verify(_bearer_token(authorization))
        tenant = headers.get(TENANT_HEADER)
        if tenant is None:
            tenant = self.default_tenant
        if tenant is None:
            raise BadRequest(
                _("no tenant: send an X-Portal-Tenant header or a bearer token"),
                code=TENANT_REQUIRED,
            )
        if not TENANT_PATTERN.match(tenant):
            raise BadRequest(_("invalid X-Portal-Tenant header"), code=TENANT_REQUIRED)
        return Principal.anonymous(tenant, preferred_locale(headers.get("accept-language")))


def _bearer_token(authorization: str) -> str:
    scheme, _space, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed(_("expected `Authorization: Bearer <token>`"))
    return token.strip()


def build_authenticator(
    settings: GatewaySettings,
    session: Callable[[], aiohttp.ClientSession],
    revocations: Revocations | None = None,
) -> Authenticator:
    keys = JwksKeys(
        settings.jwks_url,
        session,
        cache_seconds=settings.jwks_cache_seconds,
        min_refetch_seconds=settings.jwks_min_refetch_seconds,
        timeout_seconds=min(settings.upstream_timeout_seconds, 5.0),
    )
    verifier = TokenVerifier(
        keys,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        leeway_seconds=settings.token_leeway_seconds,
        max_lifetime_seconds=settings.max_token_seconds,
        revocations=revocations,
    )
    return Authenticator(verifier, settings.anonymous_tenant())
