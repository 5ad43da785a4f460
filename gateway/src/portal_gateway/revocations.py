"""Access tokens revoked before they expire: people's events, consumed within seconds.

People issues access tokens for 15 minutes and tells, on its JetStream stream, when some must
stop working before that (docs/architecture.md, section 5):

- `user.updated` with `active: false` in `changed`, `user.password_changed`, `user.password_reset`
  (the session epoch): every token of that user issued before the event;
- `session.ended` (logged out, a reused refresh token, or a revoked partner client, whose id is
  its tokens' `sid`): every token of that session (`sid`).

The gateway reads that stream from a point one token lifetime back (so a restart forgets
nothing that still matters) and keeps what it read in memory, forgetting what no unexpired token
can be affected by any more. While NATS is unreachable it goes on with what it knows (a token
then lives at most its 15 minutes), says so in a log line and in the metric
`portal_gateway_revocation_feed_up`, and catches up when NATS is back (ordered consumer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from nats.aio.client import Client as NatsClient
from nats.js.api import ConsumerConfig, DeliverPolicy
from portal_kit.jetstream import connect_nats

from portal_gateway import metrics

log = logging.getLogger("portal.gateway.revocations")

USER_EVENTS = frozenset(
    {"portal.people.user.password_changed", "portal.people.user.password_reset"}
)
UPDATED = "portal.people.user.updated"
SESSION_ENDED = "portal.people.session.ended"


class Revocations:
    """What people revoked: users' tokens issued before a time, and whole sessions."""

    def __init__(self, *, horizon_seconds: float) -> None:
        # Nothing older than this can still be in an unexpired token.
        self.horizon = horizon_seconds
        self._users: dict[tuple[str, str], float] = {}
        self._sessions: dict[tuple[str, str], float] = {}
        self._pruned = time.time()

    def __len__(self) -> int:
        return len(self._users) + len(self._sessions)

    def revoked(self, tenant: str, user: str, session: str | None, issued_at: float) -> bool:
        not_before = self._users.get((tenant, user))
        if not_before is not None and issued_at < not_before:
            return True
        return session is not None and (tenant, session) in self._sessions

    def apply(self, event: dict[str, Any]) -> None:
        """One CloudEvent of people's stream (others are ignored)."""
        kind = event.get("type")
        data = event.get("data")
        tenant = event.get("tenant")
        if not isinstance(data, dict) or not isinstance(tenant, str):
            return
        try:
            at = datetime.fromisoformat(str(event.get("time"))).timestamp()
        except ValueError:
            return
        user = data.get("user_id")
        if kind in USER_EVENTS or (
            kind == UPDATED and data.get("active") is False and "active" in data.get("changed", ())
        ):
            if isinstance(user, str):
                key = (tenant, user)
                self._users[key] = max(at, self._users.get(key, 0.0))
        elif kind == SESSION_ENDED and isinstance(data.get("session_id"), str):
            self._sessions[(tenant, data["session_id"])] = at
        self._prune()

    def _prune(self) -> None:
        now = time.time()
        if now - self._pruned < 60:
            return
        self._pruned = now
        oldest = now - self.horizon
        for table in (self._users, self._sessions):
            for key in [k for k, at in table.items() if at < oldest]:
                del table[key]


class RevocationFeed:
    """Reads people's stream into `Revocations` in the background, reconnecting forever."""

    def __init__(
        self,
        revocations: Revocations,
        *,
        nats_url: str,
        prefix: str,
        nkey_seed_file: Path | None = None,
    ) -> None:
        self.revocations = revocations
        self._url = nats_url
        self._nkey_seed_file = nkey_seed_file
        self._subject = f"{prefix}.*.people.>"
        self._task: asyncio.Task[None] | None = None
        self._client: NatsClient | None = None
        self.live = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="revocation-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None and not self._client.is_closed:
            with contextlib.suppress(Exception):
                await self._client.close()
        self._set_live(False)

    def _set_live(self, live: bool) -> None:
        self.live = live
        metrics.REVOCATION_FEED_UP.set(1 if live else 0)

    async def _run(self) -> None:
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # NATS away, or people's stream not there yet
                self._set_live(False)
                log.warning(
                    "revocation feed unavailable: tokens live until they expire meanwhile",
                    extra={"problem": type(error).__name__},
                )
                await asyncio.sleep(1.0)

    async def _follow(self) -> None:
        if self._client is None or self._client.is_closed:
            self._client = await connect_nats(
                self._url, name="gateway-revocations", nkey_seed_file=self._nkey_seed_file
            )
        js = self._client.jetstream()
        since = datetime.fromtimestamp(time.time() - self.revocations.horizon, UTC)

        async def on_message(message: Any) -> None:
            with contextlib.suppress(orjson.JSONDecodeError):
                event = orjson.loads(message.data)
                if isinstance(event, dict):
                    self.revocations.apply(event)

        subscription = await js.subscribe(
            self._subject,
            cb=on_message,
            ordered_consumer=True,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_TIME,
                opt_start_time=since,
            ),
        )
        self._set_live(True)
        try:
            while True:
                await asyncio.sleep(1.0)
                self._set_live(self._client.is_connected)
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
