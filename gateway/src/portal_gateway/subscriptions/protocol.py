"""The graphql-transport-ws protocol (github.com/enisdenjo/graphql-ws, PROTOCOL.md): the
messages a client may send, checked strictly, and the close codes the gateway ends a socket with.
Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import orjson

SUBPROTOCOL = "graphql-transport-ws"


class Close(IntEnum):
    """Why the gateway closes a socket (the protocol's codes, and two of RFC 6455)."""

    NORMAL = 1000
    GOING_AWAY = 1001  # the gateway stops
    TRY_AGAIN_LATER = 1013  # the gateway cannot serve now (token keys unreachable, shutting down)
    BAD_REQUEST = 4400  # not a protocol message, or too large
    UNAUTHORIZED = 4401  # `subscribe` before `connection_ack`
    FORBIDDEN = 4403  # no, a bad, an expired or a revoked token
    SUBPROTOCOL_NOT_ACCEPTABLE = 4406
    INIT_TIMEOUT = 4408  # no `connection_init` in time
    SUBSCRIBER_EXISTS = 4409  # a `subscribe` with the id of a running subscription
    TOO_MANY = 4429  # a second `connection_init`, or past a limit (messages, connections)
    INTERNAL_ERROR = 4500


class ProtocolViolation(Exception):
    """The socket is closed with `code`; `reason` goes to the client (at most 123 bytes)."""

    def __init__(self, code: Close, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason.encode()[:123].decode(errors="ignore")


@dataclass(frozen=True)
class Message:
    type: str
    id: str | None = None
    payload: dict[str, Any] | None = None


@dataclass(frozen=True)
class Operation:
    """A `subscribe` message's payload."""

    query: str
    operation_name: str | None
    variables: dict[str, Any]


CLIENT_TYPES = frozenset({"connection_init", "ping", "pong", "subscribe", "complete"})
MAX_ID = 200


def _bad(reason: str) -> ProtocolViolation:
    return ProtocolViolation(Close.BAD_REQUEST, reason)


def parse(text: str | bytes, max_bytes: int) -> Message:
    """One client message, or `ProtocolViolation` (4400) naming what is wrong with it."""
    if len(text) > max_bytes:
        raise _bad(f"message larger than {max_bytes} bytes")
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise _bad("invalid message: not JSON") from None
    if not isinstance(raw, dict):
        raise _bad("invalid message: expected a JSON object")
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in CLIENT_TYPES:
        raise _bad("invalid message: unknown or missing `type`")
    payload = raw.get("payload")
    if payload is not None and not isinstance(payload, dict):
        raise _bad(f"invalid message: `{kind}` payload must be an object")
    ident = raw.get("id")
    if kind in ("subscribe", "complete"):
        if not isinstance(ident, str) or not 0 < len(ident) <= MAX_ID:
            raise _bad(f"invalid message: `{kind}` needs an `id` of 1 to {MAX_ID} characters")
        if kind == "subscribe" and payload is None:
            raise _bad("invalid message: `subscribe` needs a payload")
        return Message(kind, ident, payload)
    return Message(kind, None, payload)


def operation(message: Message) -> Operation:
    payload = message.payload or {}
    query = payload.get("query")
    name = payload.get("operationName")
    variables = payload.get("variables")
    extensions = payload.get("extensions")
    if not isinstance(query, str):
        raise _bad("invalid message: `subscribe` payload needs a `query` string")
    if name is not None and not isinstance(name, str):
        raise _bad("invalid message: `operationName` must be a string or null")
    if variables is not None and not isinstance(variables, dict):
        raise _bad("invalid message: `variables` must be an object or null")
    if extensions is not None and not isinstance(extensions, dict):
        raise _bad("invalid message: `extensions` must be an object or null")
    return Operation(query, name, variables or {})


def encode(kind: str, ident: str | None = None, payload: Any = None) -> str:
    message: dict[str, Any] = {"type": kind}
    if ident is not None:
        message["id"] = ident
    if payload is not None:
        message["payload"] = payload
    return orjson.dumps(message).decode()


def error(code: str, message: str) -> list[dict[str, Any]]:
    """An `error` message's payload: GraphQL errors, here always one with a code."""
    return [{"message": message, "extensions": {"code": code}}]
