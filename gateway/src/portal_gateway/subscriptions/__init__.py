"""GraphQL subscriptions through the gateway over graphql-transport-ws (docs: gateway/README.md).

- `protocol`: the protocol's messages and close codes (pure);
- `topics`: which subscription field follows which events, and which query re-reads it;
- `reading`: a subscription turned into its per-event query and payload (pure);
- `connection`: one socket (init, auth, subscribe/complete, ping, limits);
- `feed`: the services' JetStream events; `fanout`: from an event to its subscribers;
- `reader`: the re-read through the engine as the subscriber; `limits`; `service`: the whole.
"""

from portal_gateway.subscriptions.service import Subscriptions

__all__ = ["Subscriptions"]
