"""GraphQL-over-HTTP error answers: JSON `{"errors": [...]}` with a code, never a bare 500.

The gateway's own messages are marked with its marker (`_ = Messages("portal_gateway")`, texts in
`locales/<locale>/LC_MESSAGES/messages.po`) and translated where an answer is written, into the
caller's language (`language.py`); `extensions.code` never changes."""

from __future__ import annotations

from typing import Any

import orjson
from portal_kit.messages import Messages, translate
from starlette.responses import Response

_ = Messages("portal_gateway")

BAD_REQUEST = "BAD_REQUEST"
UNAUTHENTICATED = "UNAUTHENTICATED"
TENANT_REQUIRED = "TENANT_REQUIRED"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
SUBGRAPH_UNAVAILABLE = "SUBGRAPH_UNAVAILABLE"


class GatewayError(Exception):
    """A request the gateway answers itself, with an HTTP status and a GraphQL error code."""

    status = 400
    code = BAD_REQUEST

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def response(self, media: str = "application/json") -> Response:
        return error_response(self.status, self.message, self.code, media)


class BadRequest(GatewayError):
    status = 400
    code = BAD_REQUEST


class AuthenticationFailed(GatewayError):
    status = 401
    code = UNAUTHENTICATED


class SubgraphUnavailable(GatewayError):
    status = 502
    code = SUBGRAPH_UNAVAILABLE


def error_response(
    status: int, message: str, code: str, media: str = "application/json"
) -> Response:
    body = {"errors": [{"message": translate(message), "extensions": {"code": code}}]}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(orjson.dumps(body), status_code=status, media_type=media, headers=headers)


def without_internals(answer: dict[str, Any]) -> dict[str, Any]:
    """Production answers keep only message, path and code of each error."""
    errors = answer.get("errors")
    if not errors:
        return answer
    cleaned = []
    for error in errors:
        kept: dict[str, Any] = {"message": error.get("message")}
        if "path" in error:
            kept["path"] = error["path"]
        code = (error.get("extensions") or {}).get("code")
        if code is not None:
            kept["extensions"] = {"code": code}
        cleaned.append(kept)
    return {**answer, "errors": cleaned}
