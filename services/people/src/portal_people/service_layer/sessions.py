"""Sessions: log in (throttled), refresh with rotation and reuse detection, log out."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from portal_kit.clock import Clock
from portal_kit.domain import Conflict, DomainError, StaleVersion, new_id

from portal_people.domain import messages
from portal_people.domain.bearer_secrets import hash_secret, new_secret
from portal_people.domain.session import InvalidRefreshToken, RefreshTokenReused, SessionFamily
from portal_people.domain.throttle import ACCOUNT, ADDRESS, PAIR, LoginThrottle, ThrottlePolicy
from portal_people.domain.user import User
from portal_people.service_layer.directory import Directory
from portal_people.service_layer.ports import AccessTokens, SessionFamilies, Throttles

log = logging.getLogger(__name__)
_FAMILY_ID = re.compile(r"^[0-9a-f]{32}$")
ATTEMPTS = 4


@dataclass(frozen=True)
class Session:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime
    first_login: tuple[str, ...]


def invalid_credentials() -> DomainError:
    return DomainError(
        messages._("wrong user name or password"), field="password", code="INVALID_CREDENTIALS"
    )


class Sessions:
    def __init__(
        self,
        directory: Directory,
        *,
        families: SessionFamilies,
        throttles: Throttles,
        tokens: AccessTokens,
        policies: Mapping[str, ThrottlePolicy],
        refresh_lifetime: timedelta,
        clock: Clock,
    ) -> None:
        """`policies`: the throttle policy of each scope (PAIR, ACCOUNT, ADDRESS)."""
        self.directory = directory
        self.families = families
        self.throttles = throttles
        self.tokens = tokens
        self.policies = policies
        self.refresh_lifetime = refresh_lifetime
        self.clock = clock

    # -- issuing -------------------------------------------------------------------------------

    async def open(self, user: User) -> Session:
        """A new token family for a user who has just proven who they are."""
        now = self.clock()
        secret = new_secret()
        family = SessionFamily(
            id=new_id(),
            tenant=user.tenant,
            user_id=user.id,
            epoch=user.session_epoch,
            current_hash=hash_secret(secret),
            created_at=now,
            expires_at=now + self.refresh_lifetime,
        )
        await self.families.add(family)
        return self._session(user, family, secret)

    def _session(self, user: User, family: SessionFamily, secret: str) -> Session:
        token, expires_in = self.tokens.issue_access_token(user, session_id=family.id)
        return Session(
            access_token=token,
            expires_in=expires_in,
            refresh_token=f"{family.id}.{secret}",
            refresh_expires_at=family.expires_at,
            first_login=user.first_login,
        )

    # -- log in --------------------------------------------------------------------------------

    async def log_in(self, login: str, password: str, client_address: str | None) -> Session:
        """The same refusal for an unknown account and a wrong password. Failures are counted
        for the account from this address (PAIR), for the account from anywhere (ACCOUNT) and
        for the address across accounts (ADDRESS); a locked key refuses even the right password
        (`domain/throttle.py`) — except that from an address the account logged in from before,
        only its PAIR lock applies: an attack elsewhere does not lock the owner out."""
        user = await self.directory.users.by_login(login) if 0 < len(login) <= 320 else None
        # An unknown login is counted under its case-folded form, like the stored user names.
        account_key = user.id if user else "login:" + login[:320].casefold()
        passwords = self.directory.passwords

        async def valid() -> bool:
            right = await passwords.verify(user.password_hash if user else None, password[:1024])
            return user is not None and right and user.active

        accepted = await self.throttled(
            account_key, user.id if user else None, client_address, valid
        )
        if user is None or not accepted:
            raise invalid_credentials()
        if user.password_hash and passwords.needs_rehash(user.password_hash):
            user.password_hash = await passwords.hash(password[:1024])
            with contextlib.suppress(StaleVersion):
                await self.directory.users.save(user)
        return await self.open(user)

    async def throttled(
        self,
        account_key: str,
        user_id: str | None,
        client_address: str | None,
        valid: Callable[[], Awaitable[bool]],
    ) -> bool:
        """Whether `valid()` accepts the secret, with the throttles of `account_key` (a user, a
        partner client) checked first and a failure counted: the same for logins and for
        partner clients' secrets."""
        now = self.clock()
        pair = await self._throttle(PAIR, f"{account_key}|{client_address or '-'}", user_id)
        account = await self._throttle(ACCOUNT, account_key, user_id)
        throttles = [pair, account]
        if client_address:
            throttles.append(await self._throttle(ADDRESS, client_address, None))
        address_hash = self._address_hash(client_address)
        pair.check(now)
        if not account.knows(address_hash):
            for throttle in throttles[1:]:
                throttle.check(now)
        if not await valid():
            for throttle in throttles:
                await self._count_failure(throttle, now)
            return False
        await self._succeeded(pair, account, address_hash, now)
        return True

    async def _succeeded(
        self, pair: LoginThrottle, account: LoginThrottle, address_hash: str | None, now: datetime
    ) -> None:
        """The pair starts afresh; the account remembers the address, and its budget starts
        afresh only when it is not locked (an owner's login must not refill an attacker's)."""
        if pair.version and (pair.failures or pair.locks):
            pair.succeeded()
            with contextlib.suppress(StaleVersion):  # a concurrent failure stands
                await self.throttles.save(pair)
        changed = account.remember(address_hash)
        if not account.locked(now) and (account.failures or account.locks):
            account.succeeded()
            changed = True
        if not changed:
            return
        with contextlib.suppress(StaleVersion, Conflict):
            if account.version == 0:
                await self.throttles.add(account)
            else:
                await self.throttles.save(account)

    def _address_hash(self, client_address: str | None) -> str | None:
        if not client_address:
            return None
        raw = f"{self.directory.principal.tenant}|known|{client_address}".encode()
        return hashlib.sha256(raw).hexdigest()[:32]

    def _throttle_id(self, scope: str, key: str) -> str:
        # Hashed: the collection holds neither user names nor addresses.
        raw = f"{self.directory.principal.tenant}|{scope}|{key}".encode("utf-8", "surrogatepass")
        return hashlib.sha256(raw).hexdigest()[:40]

    async def _throttle(self, scope: str, key: str, user_id: str | None) -> LoginThrottle:
        throttle_id = self._throttle_id(scope, key)
        found = await self.throttles.get(throttle_id)
        if found is not None:
            return found
        return LoginThrottle(
            id=throttle_id, tenant=self.directory.principal.tenant, scope=scope, user_id=user_id
        )

    async def _count_failure(self, throttle: LoginThrottle, now: datetime) -> None:
        policy = self.policies[throttle.scope]
        for _ in range(ATTEMPTS):
            throttle.failed(now, policy)
            try:
                if throttle.version == 0:
                    await self.throttles.add(throttle)
                else:
                    await self.throttles.save(throttle)
                return
            except (StaleVersion, Conflict):
                # Someone else counted a failure at the same moment: count ours on top of it.
                throttle.take_events()
                throttle = await self.throttles.get(throttle.id) or throttle
        log.warning("a failed login could not be counted", extra={"scope": throttle.scope})

    # -- refresh and log out -------------------------------------------------------------------

    async def _family(self, refresh_token: str) -> tuple[SessionFamily, str]:
        family_id, _, secret = refresh_token.strip().partition(".")
        if not _FAMILY_ID.match(family_id) or not 20 <= len(secret) <= 100:
            raise InvalidRefreshToken()
        family = await self.families.get(family_id)
        if family is None:
            raise InvalidRefreshToken()
        return family, hash_secret(secret)

    async def refresh(self, refresh_token: str) -> Session:
        """A new access token and a new refresh token; the presented one is used up. Showing an
        already used one again revokes the whole family (it was stolen or replayed)."""
        for _ in range(ATTEMPTS):
            family, presented = await self._family(refresh_token)
            user = await self.directory.users.get(family.user_id)
            if user is None or not user.active:
                raise InvalidRefreshToken()
            secret = new_secret()
            try:
                family.rotate(presented, hash_secret(secret), self.clock(), user.session_epoch)
            except RefreshTokenReused:
                await self._save_revoked(family, "refresh_token_reused")
                log.warning("refresh token reused: family revoked", extra={"family": family.id})
                raise
            try:
                await self.families.save(family)
            except StaleVersion:
                continue  # used concurrently: look again, now it is a reuse
            return self._session(user, family, secret)
        raise InvalidRefreshToken()

    async def _save_revoked(self, family: SessionFamily, reason: str) -> None:
        for _ in range(ATTEMPTS):
            try:
                await self.families.save(family)
                return
            except StaleVersion:
                fresh = await self.families.get(family.id)
                if fresh is None:
                    return
                fresh.end(reason)
                family = fresh

    async def log_out(self, refresh_token: str) -> None:
        family, presented = await self._family(refresh_token)
        family.revoke(presented)
        await self._save_revoked(family, "logged_out")
