"""GraphQL-over-HTTP response media types: `application/graphql-response+json` when the client's
Accept header prefers it, else `application/json` (the legacy type, and today's behaviour).

With `application/graphql-response+json` the status code tells the outcome (GraphQL-over-HTTP
spec): a request that fails before execution (malformed, parse or validation failure, variable
coercion) is a 4xx, a response with a `data` entry (partial results included) is a 200, and a
response without `data` is never a 2xx.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def negotiate(accept: str | None) -> str:
    """The response media type for an Accept header: the supported type with the higher
    quality; on a tie, or when only wildcards match, `application/json`."""
    if not accept:
        return JSON
    quality: dict[str, float] = {}
    wildcard = -1.0
    for part in accept.split(",")[:50]:
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        if media in (JSON, GRAPHQL_RESPONSE):
            quality[media] = max(quality.get(media, 0.0), q)
        elif media in ("*/*", "application/*"):
            wildcard = max(wildcard, q)
    response = quality.get(GRAPHQL_RESPONSE, wildcard)
    legacy = quality.get(JSON, wildcard)
    return GRAPHQL_RESPONSE if response > 0 and response > legacy else JSON


def status_for(media: str, status: int, body: dict[str, Any]) -> int:
    """The HTTP status of a GraphQL response in `media`."""
    if media != GRAPHQL_RESPONSE:
        return status
    if "data" in body:
        return 200  # executed: partial results and a null `data` included
    return status if status >= 400 else 400
