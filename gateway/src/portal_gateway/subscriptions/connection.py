"""One graphql-transport-ws socket: `connection_init` with the access token within the init
timeout, then `subscribe`/`complete`, `ping`/`pong`; messages go out through a bounded queue
so a slow client never holds up the others."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from typing import TYPE_CHECKING, Any

from graphql import OperationType
from graphql.execution.values import get_variable_values
from portal_kit.principal import Principal
from starlette.websockets import WebSocket, WebSocketState

from portal_gateway.cookies import ACCESS, CSRF
from portal_gateway.engine import RequestError
from portal_gateway.errors import AuthenticationFailed, GatewayError
from portal_gateway.http_request import check_variables
from portal_gateway.limits import LimitExceeded, check_document
from portal_gateway.subscriptions import metrics, protocol
from portal_gateway.subscriptions.fanout import Subscriber
from portal_gateway.subscriptions.limits import MessageRate
from portal_gateway.subscriptions.protocol import Close, Message, ProtocolViolation
from portal_gateway.subscriptions.reading import NotASubscription, reading_of

if TYPE_CHECKING:
    from portal_gateway.subscriptions.service import Subscriptions

log = logging.getLogger("portal.gateway.subscriptions")

BAD_REQUEST = "BAD_REQUEST"
TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"


class Connection:
    def __init__(self, websocket: WebSocket, service: Subscriptions) -> None:
        self.websocket = websocket
        self.service = service
        limits = service.limits
        self.limits = limits
        self.rate = MessageRate(limits.messages_per_second, limits.message_burst)
        self.language = websocket.headers.get("accept-language")
        self.principal: Principal = Principal.anonymous("none", "en")  # until `connection_init`
        self.expires_at = 0.0
        self._issued_at = 0.0
        self._session: str | None = None
        self._initialised = False
        self.acknowledged = False
        self.subscribers: dict[str, Subscriber] = {}
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(limits.send_queue)
        self._closing: tuple[int, str] | None = None
        self._counted = False

    # -- the socket's life -----------------------------------------------------------------

    async def serve(self) -> None:
        websocket = self.websocket
        if protocol.SUBPROTOCOL not in websocket.scope.get("subprotocols", ()):
            await websocket.accept()
            await websocket.close(Close.SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=protocol.SUBPROTOCOL)
        metrics.CONNECTIONS.inc()
        writer = asyncio.create_task(self._write())
        timer = asyncio.get_running_loop().call_later(
            self.limits.init_timeout_seconds, self._init_timed_out
        )
        try:
            await self._read()
        finally:
            timer.cancel()
            self._forget()
            if self._closing is None:
                writer.cancel()  # the client left: nothing more to send
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(writer, 5.0)
            metrics.CONNECTIONS.dec()

    def close(self, code: int, reason: str) -> None:
        """Close the socket soon (what is still queued is dropped) and stop every delivery."""
        if self._closing is not None:
            return
        self._closing = (code, reason)
        metrics.CLOSED.labels(str(code)).inc()
        self._forget()
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)
        if self._queue.full():
            # Make room for the wake-up: what waits is dropped anyway.
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(None)

    def _forget(self) -> None:
        service = self.service
        for subscriber in self.subscribers.values():
            service.fanout.remove(subscriber)
            service.counts.unsubscribe(self.principal.tenant)
        self.subscribers.clear()
        if self._counted:
            self._counted = False
            service.counts.disconnect(self.principal.tenant)
            service.connections.discard(self)

    async def _write(self) -> None:
        websocket = self.websocket
        while True:
            text = await self._queue.get()
            if self._closing is not None:
                code, reason = self._closing
                if websocket.application_state != WebSocketState.DISCONNECTED:
                    with contextlib.suppress(Exception):
                        await websocket.close(code, reason)
                return
            if text is not None:
                await websocket.send_text(text)

    def send(self, text: str) -> None:
        if self._closing is not None:
            return
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.close(
                Close.TRY_AGAIN_LATER, "too many messages waiting: the client reads too slowly"
            )

    def _init_timed_out(self) -> None:
        if not self.acknowledged:
            self.close(Close.INIT_TIMEOUT, "Connection initialisation timeout")

    async def _read(self) -> None:
        websocket = self.websocket
        max_bytes = self.limits.max_message_bytes
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect" or self._closing is not None:
                return
            try:
                if not self.rate.take():
                    raise ProtocolViolation(Close.TOO_MANY, "too many messages")
                text = received.get("text")
                if text is None:
                    raise ProtocolViolation(Close.BAD_REQUEST, "invalid message: not text")
                await self._handle(protocol.parse(text, max_bytes))
            except ProtocolViolation as violation:
                self.close(violation.code, violation.reason)
                return

    # -- messages --------------------------------------------------------------------------

    async def _handle(self, message: Message) -> None:
        kind = message.type
        if kind == "ping":
            self.send(protocol.encode("pong", payload=message.payload))
        elif kind == "pong":
            return
        elif kind == "connection_init":
            await self._init(message.payload or {})
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            assert message.id is not None
            subscriber = self.subscribers.pop(message.id, None)
            if subscriber is not None:
                self.service.fanout.remove(subscriber)
                self.service.counts.unsubscribe(self.principal.tenant)

    async def _init(self, payload: dict[str, Any]) -> None:
        if self._initialised:
            raise ProtocolViolation(Close.TOO_MANY, "Too many initialisation requests")
        self._initialised = True
        authorization = payload.get("authorization", payload.get("Authorization"))
        if authorization is None and self.service.settings.cookie_mode:
            authorization = self._cookie_session(payload.get("csrf"))
        if not isinstance(authorization, str) or not authorization.strip():
            raise ProtocolViolation(
                Close.FORBIDDEN, "Forbidden: send `authorization: Bearer <token>` in the payload"
            )
        try:
            principal, lived = await self.service.authenticator.bearer_session(authorization)
        except AuthenticationFailed as failure:
            raise ProtocolViolation(Close.FORBIDDEN, f"Forbidden: {failure}") from None
        except GatewayError:
            raise ProtocolViolation(Close.TRY_AGAIN_LATER, "cannot check tokens now") from None
        if principal.first_login_pending:
            raise ProtocolViolation(Close.FORBIDDEN, "Forbidden: complete the first login first")
        if self._closing is not None:
            return  # timed out while the token was checked
        self.expires_at = lived.expires_at
        self._issued_at = lived.issued_at
        self._session = lived.session
        if not self.service.counts.connect(principal.tenant):
            raise ProtocolViolation(Close.TOO_MANY, "too many connections for the tenant")
        self.principal = principal
        self._counted = True
        self.service.connections.add(self)
        self.acknowledged = True
        self.send(protocol.encode("connection_ack"))

    def _cookie_session(self, csrf: Any) -> str | None:
        """Cookie mode: the access cookie the handshake carried, when `connection_init` also
        names the readable CSRF cookie's value (`csrf`): a page of another site can open the
        socket with the cookies, but cannot read that value (cookies.py's double submit)."""
        cookies = self.websocket.cookies
        access, expected = cookies.get(ACCESS), cookies.get(CSRF)
        if not access or not expected or not isinstance(csrf, str):
            return None
        if not hmac.compare_digest(expected.encode(), csrf.encode()):
            return None
        return f"Bearer {access}"

    async def _subscribe(self, message: Message) -> None:
        ident = message.id
        assert ident is not None
        if not self.acknowledged:
            raise ProtocolViolation(Close.UNAUTHORIZED, "Unauthorized")
        if ident in self.subscribers:
            raise ProtocolViolation(
                Close.SUBSCRIBER_EXISTS, f"Subscriber for {ident} already exists"
            )
        operation = protocol.operation(message)
        try:
            subscriber = self._subscriber(ident, operation)
        except (RequestError, LimitExceeded) as refused:
            self.send(
                protocol.encode("error", ident, protocol.error(refused.code, refused.message))
            )
            return
        except GatewayError as refused:
            self.send(protocol.encode("error", ident, protocol.error(refused.code, str(refused))))
            return
        if len(self.subscribers) >= self.limits.per_connection or not self.service.counts.subscribe(
            self.principal.tenant
        ):
            self._refuse(ident, TOO_MANY_SUBSCRIPTIONS, "too many subscriptions")
            return
        self.subscribers[ident] = subscriber
        self.service.fanout.add(subscriber)
        if subscriber.baseline is not None:
            # The socket's next message waits for it: a `ping` after `subscribe` answers once
            # the subscription sees every later change (and a record out of sight takes the
            # same read as one that is not there).
            await asyncio.wait([subscriber.baseline])

    def _refuse(self, ident: str, code: str, message: str) -> None:
        self.send(protocol.encode("error", ident, protocol.error(code, message)))

    def _subscriber(self, ident: str, operation: protocol.Operation) -> Subscriber:
        """The subscription checked like a query (document, limits, variables) and turned into
        its reading; `RequestError` when it cannot run."""
        engine = self.service.engine
        settings = self.service.settings
        check_variables(
            operation.variables,
            max_depth=settings.max_variable_depth,
            max_values=settings.max_variable_values,
        )
        document = engine.document(operation.query)
        node = engine.operation(document, operation.operation_name)
        if node.operation != OperationType.SUBSCRIPTION:
            raise RequestError("send queries and mutations over HTTP", BAD_REQUEST)
        check_document(node, document.fragments, engine.limits)
        coerced = get_variable_values(
            engine.schema, node.variable_definitions or (), operation.variables
        )
        if isinstance(coerced, list):
            raise RequestError(coerced[0].message, "BAD_USER_INPUT")
        try:
            reading = reading_of(
                node, document.fragments, coerced.coerced, self.service.change_types
            )
        except NotASubscription as error:
            raise RequestError(str(error), BAD_REQUEST) from None
        engine.document(reading.query)  # the re-read is a valid query (RequestError if not)
        return Subscriber(self, ident, reading)

    # -- what fan-out asks -----------------------------------------------------------------

    def may_receive(self) -> bool:
        if self._closing is not None:
            return False
        if time.time() >= self.expires_at:
            self.close(Close.FORBIDDEN, "Forbidden: token expired")
            return False
        revocations = self.service.revocations
        if revocations is not None and revocations.revoked(
            self.principal.tenant, self.principal.user, self._session, self._issued_at
        ):
            self.close(Close.FORBIDDEN, "Forbidden: token revoked")
            return False
        return True

    def send_next(self, ident: str, body: dict[str, Any]) -> None:
        if ident in self.subscribers:
            self.send(protocol.encode("next", ident, body))
