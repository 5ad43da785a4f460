"""`POST /oauth/token`: the OAuth 2.0 client credentials grant (RFC 6749 section 4.4) for a
tenant's partner clients.

The client authenticates with HTTP Basic (id and secret form-urlencoded, section 2.3.1) or with
`client_id` and `client_secret` in the form body, never both. The tenant is the client id's
first part (`<tenant>.<id>`); the gateway asks people (`issueClientToken`, anonymous in that
tenant) as a login is asked, and answers in the RFC's JSON: a token (section 5.1) or an error
(section 5.2: `invalid_request`, `invalid_client` 401, `invalid_scope`,
`unsupported_grant_type`). The token is then a bearer token like a user's.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote_plus

import orjson
from starlette.requests import Request
from starlette.responses import Response

from portal_gateway.authentication import TENANT_HEADER, TENANT_PATTERN
from portal_gateway.errors import GatewayError

MAX_BODY = 8 * 1024
FORM = "application/x-www-form-urlencoded"
ISSUE = """mutation($input: IssueClientTokenInput!) { issueClientToken(input: $input) {
  accessToken expiresIn scope userErrors { code message } } }"""
# People's refusal codes, as the RFC names them.
ERRORS = {
    "INVALID_CLIENT": (401, "invalid_client"),
    "LOGIN_THROTTLED": (429, "invalid_client"),
    "INVALID_SCOPE": (400, "invalid_scope"),
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

Execute = Callable[
    [Request, Mapping[str, Any], Mapping[str, str]], Awaitable[tuple[int, dict[str, Any]]]
]


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str, *, basic: bool = False) -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.basic = status, error, description, basic

    def response(self) -> Response:
        headers = dict(NO_STORE)
        if self.status == 401:
            # Section 5.2: a client that tried HTTP Basic is told the scheme to use.
            headers["WWW-Authenticate"] = 'Basic realm="portal"'
        body = {"error": self.error, "error_description": self.description}
        return Response(orjson.dumps(body), self.status, headers, media_type="application/json")


def _invalid_request(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


async def _form(request: Request) -> dict[str, str]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != FORM:
        raise _invalid_request(f"the request body must be {FORM}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _invalid_request(f"the request body is larger than {MAX_BODY} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise _invalid_request("the request body is not a form") from None
    repeated = sorted(name for name, values in fields.items() if len(values) > 1)
    if repeated:
        raise _invalid_request(f"a parameter was sent more than once: {repeated[0][:40]}")
    return {name: values[0] for name, values in fields.items()}


def _basic(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError(401, "invalid_client", "client authentication is HTTP Basic", basic=True)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(401, "invalid_client", "malformed Basic credentials", basic=True) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError(401, "invalid_client", "malformed Basic credentials", basic=True)
    return unquote_plus(client_id), unquote_plus(secret)


def _client(request: Request, form: Mapping[str, str]) -> tuple[str, str]:
    authorization = request.headers.get("authorization")
    in_body = "client_id" in form or "client_secret" in form
    if authorization is not None:
        if in_body:
            raise _invalid_request("client credentials go in one place: Basic or the body")
        return _basic(authorization)
    if not in_body:
        raise OAuthError(401, "invalid_client", "no client credentials", basic=True)
    return form.get("client_id", ""), form.get("client_secret", "")


def _tenant(client_id: str) -> str:
    tenant, dot, _ = client_id.partition(".")
    if not dot or not TENANT_PATTERN.match(tenant):
        raise OAuthError(401, "invalid_client", "unknown client")
    return tenant


async def token(request: Request, execute: Execute) -> Response:
    try:
        form = await _form(request)
        grant = form.get("grant_type")
        if not grant:
            raise _invalid_request("grant_type is required")
        if grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "only client_credentials is offered")
        client_id, secret = _client(request, form)
        if not client_id or not secret:
            raise OAuthError(401, "invalid_client", "no client credentials", basic=True)
        headers = {TENANT_HEADER: _tenant(client_id)}
        if language := request.headers.get("accept-language"):
            headers["accept-language"] = language
        variables = {"clientId": client_id[:200], "clientSecret": secret[:200]}
        if "scope" in form:
            variables["scope"] = form["scope"][:1000]
        status, answer = await execute(
            request, {"query": ISSUE, "variables": {"input": variables}}, headers
        )
        return _answer(status, answer)
    except OAuthError as error:
        return error.response()
    except GatewayError as error:
        if error.status >= 500:
            return OAuthError(503, "temporarily_unavailable", error.message).response()
        return OAuthError(400, "invalid_request", error.message).response()


def _answer(status: int, answer: Mapping[str, Any]) -> Response:
    payload = (answer.get("data") or {}).get("issueClientToken")
    if status != 200 or not isinstance(payload, dict):
        raise OAuthError(503, "temporarily_unavailable", "the token issuer is unavailable")
    errors = payload.get("userErrors") or []
    if errors:
        code, message = errors[0].get("code"), str(errors[0].get("message"))
        http_status, error = ERRORS.get(code, (400, "invalid_request"))
        raise OAuthError(http_status, error, message)
    body = {
        "access_token": payload["accessToken"],
        "token_type": "Bearer",
        "expires_in": payload["expiresIn"],
        "scope": payload["scope"],
    }
    return Response(orjson.dumps(body), 200, dict(NO_STORE), media_type="application/json")
