"""Optional cookie mode for browser SPAs (PORTAL_COOKIE_MODE).

The tokens a session mutation returns (`logIn`, `refreshSession`, `completeFirstLogin`,
`changePassword`: any payload with `accessToken`) go into HttpOnly, Secure, SameSite=Strict
cookies and come out of the JSON body, so page scripts never hold them. Requests authenticated
by the cookie must prove they come from the SPA with a double-submit CSRF token: the header
`X-Portal-CSRF` equal to the readable `portal_csrf` cookie (set with the session). A bearer
token in `Authorization` wins over the cookie and needs no CSRF header.

`POST /auth/refresh` (anonymous: with `X-Portal-Tenant` like a login) renews the session from the
refresh cookie; `POST /auth/logout` ends it and clears the cookies. Both need the CSRF header.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from portal_gateway.errors import GatewayError, _

ACCESS = "portal_access"
REFRESH = "portal_refresh"
CSRF = "portal_csrf"
CSRF_HEADER = "x-portal-csrf"
REFRESH_SECONDS = 30 * 24 * 3600

REFRESH_SESSION = """mutation($input: RefreshSessionInput!) { refreshSession(input: $input) {
  accessToken expiresIn refreshToken userErrors { code message } } }"""
LOG_OUT = """mutation($input: RefreshSessionInput!) { logOut(input: $input) {
  userErrors { code message } } }"""


class CsrfFailed(GatewayError):
    status = 403
    code = "CSRF_FAILED"


def check_csrf(request: Request) -> None:
    cookie = request.cookies.get(CSRF, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), header.encode()):
        raise CsrfFailed(_("cookie session without a matching X-Portal-CSRF header"))


def authenticated_headers(request: Request) -> Mapping[str, str]:
    """The request's headers, with the access cookie as bearer token when it is the only
    credential (after the CSRF check)."""
    if "authorization" in request.headers or ACCESS not in request.cookies:
        return request.headers
    check_csrf(request)
    return {**request.headers, "authorization": f"Bearer {request.cookies[ACCESS]}"}


def session_headers(request: Request) -> Mapping[str, str]:
    """The request's headers with the access cookie as bearer token, without the CSRF check:
    for safe requests a plain link makes (file downloads), which change nothing."""
    if "authorization" in request.headers or ACCESS not in request.cookies:
        return request.headers
    return {**request.headers, "authorization": f"Bearer {request.cookies[ACCESS]}"}


def take_sessions(data: Any) -> list[dict[str, Any]]:
    """Session payloads in an answer's root fields; their tokens are removed from the body."""
    sessions = []
    if isinstance(data, dict):
        for value in data.values():
            if isinstance(value, dict) and isinstance(value.get("accessToken"), str):
                sessions.append(dict(value))
                value["accessToken"] = None
                if "refreshToken" in value:
                    value["refreshToken"] = None
    return sessions


def set_session(response: Response, session: Mapping[str, Any], secure: bool) -> None:
    expires = session.get("expiresIn")
    response.set_cookie(
        ACCESS,
        str(session["accessToken"]),
        max_age=expires if isinstance(expires, int) else None,
        httponly=True,
        secure=secure,
        samesite="strict",
    )
    refresh = session.get("refreshToken")
    if isinstance(refresh, str):
        response.set_cookie(
            REFRESH,
            refresh,
            max_age=REFRESH_SECONDS,
            path="/auth",
            httponly=True,
            secure=secure,
            samesite="strict",
        )
    response.set_cookie(
        CSRF, secrets.token_urlsafe(32), max_age=REFRESH_SECONDS, secure=secure, samesite="strict"
    )


def clear_session(response: Response, secure: bool) -> None:
    response.delete_cookie(ACCESS, httponly=True, secure=secure, samesite="strict")
    response.delete_cookie(REFRESH, path="/auth", httponly=True, secure=secure, samesite="strict")
    response.delete_cookie(CSRF, secure=secure, samesite="strict")
