"""Ticket posts read through the gateway as a mail's recipient (the `TicketPosts` port).

Events carry no post text: it is user content, and every partner on NATS reads the events.
When a mail quotes a post ('nytt svar i ärende N'), people reads it like any client would: with
an access token for the recipient, minted by people's own token issuer (people issues every
access token) and living one minute, sent to the gateway, which signs the recipient's principal
for tickets. So tickets' own visibility decides — internal notes, private tickets, a customer
who left the organisation — and nothing reaches a mail that its recipient could not read in
the portal. The token is used for this one call; it is never stored or logged.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from portal_people.adapters.tokens import TokenIssuer
from portal_people.domain.user import User

log = logging.getLogger(__name__)

READER_TOKEN_SECONDS = 60
TIMEOUT_SECONDS = 5.0
FEED = """query($id: ID!) { ticket(id: $id) { feed { id kind internal text } } }"""


class GatewayTicketPosts:
    def __init__(
        self, gateway_url: str, tokens: TokenIssuer, *, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self.gateway_url = gateway_url
        self.tokens = tokens
        self.timeout = timeout

    async def text_for(self, reader: User, ticket_id: str, entry_id: str) -> str | None:
        token, _ = self.tokens.issue_access_token(reader, lifetime=READER_TOKEN_SECONDS)
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    self.gateway_url,
                    json={"query": FEED, "variables": {"id": ticket_id}},
                    headers={"Authorization": f"Bearer {token}"},
                )
            body: Any = response.json()
        except (httpx.HTTPError, ValueError) as error:
            # The mail goes without the quote; the ids say which, never the text or the user.
            log.warning(
                "ticket post not read for a mail",
                extra={"ticket": ticket_id, "entry": entry_id, "problem": type(error).__name__},
            )
            return None
        return _post_text(body, entry_id)


def _post_text(body: Any, entry_id: str) -> str | None:
    ticket = (body.get("data") or {}).get("ticket") if isinstance(body, dict) else None
    if not isinstance(ticket, dict):
        return None  # not in the reader's sight (or gone): nothing to quote
    for entry in ticket.get("feed") or ():
        if (
            isinstance(entry, dict)
            and entry.get("id") == entry_id
            and entry.get("kind") == "POST"
            and entry.get("internal") is False
            and isinstance(entry.get("text"), str)
        ):
            text: str = entry["text"]
            return text
    return None
