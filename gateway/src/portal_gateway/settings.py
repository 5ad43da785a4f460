"""Settings of the gateway process, read once from `PORTAL_*` environment variables."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

from portal_kit.settings import SettingsError
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_URL = r"^https?://[^\s]+$"
# A browser origin: scheme, host and an optional port; no path, no wildcard.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore", frozen=True)

    service_name: str = Field(default="gateway", pattern=r"^[a-z][a-z0-9_-]{0,30}$")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=4000, ge=1, le=65535)

    # The supergraph composed from the subgraphs (deploy/supergraph.graphql, `make supergraph`);
    # by default the one of the repository the gateway runs from.
    supergraph_file: Path | None = None
    # Where each of our subgraphs answers; these win over the URLs in the supergraph. Other
    # subgraphs of the supergraph are reached at the URL it names.
    people_url: str = Field(default="http://127.0.0.1:4001/graphql", pattern=_URL)
    orders_url: str = Field(default="http://127.0.0.1:4002/graphql", pattern=_URL)
    tickets_url: str = Field(default="http://127.0.0.1:4003/graphql", pattern=_URL)
    billing_url: str = Field(default="http://127.0.0.1:4004/graphql", pattern=_URL)

    # The key the gateway signs principals with; the subgraphs hold its public half.
    principal_private_key_file: Path | None = None
    # The PEM itself, for containers and tests; wins over the file.
    principal_private_key: str | None = None

    # Access tokens are issued by the people service and verified against its JWKS.
    jwks_url: str = Field(default="http://127.0.0.1:4001/.well-known/jwks.json", pattern=_URL)
    token_issuer: str = "portal-people"
    token_audience: str = "portal"
    token_leeway_seconds: float = Field(default=5.0, ge=0, le=300)
    # The issuer's longest access-token lifetime (people's PORTAL_ACCESS_TOKEN_SECONDS): a
    # token whose `exp - iat` is longer is refused, whoever signed it.
    max_token_seconds: int = Field(default=900, ge=30, le=86_400)
    # People's events on NATS, followed for revocations (deactivation, logout, password change
    # or reset: revocations.py). Empty: no feed, a token then lives until it expires.
    nats_url: str = Field(default="nats://127.0.0.1:4222", max_length=2000)
    # The platform's nkey seed when nats-server requires authentication (as the services').
    nats_nkey_seed_file: Path | None = None
    event_prefix: str = Field(default="portal", pattern=r"^[a-z][a-z0-9]{0,30}$")
    # Keys are refetched after this long, and at once for a token with an unknown key id ...
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    # ... but not more often than this, so tokens with made-up key ids cannot flood the issuer.
    jwks_min_refetch_seconds: float = Field(default=1.0, ge=0)

    # Tenant of anonymous callers that send no X-Portal-Tenant header (single-portal setups).
    default_tenant: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]{0,62}$")
    dev_mode: bool = False
    # SPA origins allowed to call the gateway from a browser (CORS, with credentials), e.g.
    # `https://portal.example.no,https://admin.example.no` or a JSON list; empty: none.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Check every new plan before it runs (federation/validation.py); always on in dev mode.
    check_plans: bool = False
    # In dev mode only, the tenant of anonymous callers that name none (after default_tenant):
    # GraphiQL's schema request and a first login from it send no X-Portal-Tenant header.
    dev_default_tenant: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]{0,62}$")
    # Browser SPAs: session tokens in HttpOnly cookies with double-submit CSRF (cookies.py).
    cookie_mode: bool = False
    cookie_secure: bool = True  # only over HTTPS; off for plain-HTTP development
    upstream_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    upstream_connections: int = Field(default=100, ge=1, le=10_000)
    # The whole request's bound once it reaches the engine: fetches still running then are
    # cancelled and their fields answer null with GATEWAY_TIMEOUT (the rest arrives). Default:
    # the upstream timeout plus 5 s (a multipart upload: the file timeout plus 5 s).
    request_timeout_seconds: float | None = Field(default=None, gt=0, le=3600)
    # On SIGTERM the process stops accepting, lets running requests finish for this long, then
    # cancels them and exits. Default: the request timeout plus 2 s.
    shutdown_timeout_seconds: float | None = Field(default=None, gt=0, le=3600)
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    # The largest attachment any tenant accepts (orders' configuration `attachments.max_bytes`;
    # JM: 10 MiB): a GraphQL multipart request may carry this much in files, plus
    # max_request_bytes for its operation and framing. JSON requests keep max_request_bytes.
    max_upload_bytes: int = Field(default=10_485_760, ge=1024)
    # Uploads and downloads of files (streamed to and from the orders subgraph) end after this.
    file_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Addresses of proxies in front of the gateway whose X-Forwarded-For may be believed
    # (comma-separated, or "*"); empty: the client is whoever connected, whatever it claims.
    trusted_proxies: str = Field(default="", max_length=2000)
    # Limits on one operation (each refused with its own error code).
    max_query_tokens: int = Field(default=10_000, ge=100)
    max_depth: int = Field(default=12, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_root_fields: int = Field(default=20, ge=1)
    max_cost: int = Field(default=50_000, ge=1)
    # Field selections of an operation once its fragments are inlined (QUERY_TOO_LARGE).
    max_fields: int = Field(default=5_000, ge=10)
    # Automatic persisted queries: the store's size in bytes (least recently used go first),
    # and whether anonymous callers may register queries (their queries are answered anyway).
    persisted_query_bytes: int = Field(default=8_388_608, ge=0)
    persisted_queries_anonymous: bool = True
    # Variables: nesting (the variables object is level 1) and number of values, refused with
    # VARIABLES_TOO_DEEP / VARIABLES_TOO_LARGE before anything else is done.
    max_variable_depth: int = Field(default=32, ge=2, le=200)
    max_variable_values: int = Field(default=10_000, ge=10)
    # A subgraph failing this many fetches in a row is not called for this long.
    circuit_failures: int = Field(default=5, ge=1)
    circuit_reset_seconds: float = Field(default=10.0, gt=0)
    # Subscriptions over WebSocket on /graphql (graphql-transport-ws; subscriptions/): a socket
    # without `connection_init` in this time is closed (4408) ...
    subscription_init_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    # ... and these bound one socket and one tenant (TOO_MANY_SUBSCRIPTIONS, or close 4429).
    subscriptions_per_connection: int = Field(default=50, ge=1, le=10_000)
    subscriptions_per_tenant: int = Field(default=20_000, ge=1)
    subscription_connections_per_tenant: int = Field(default=5_000, ge=1)
    subscription_messages_per_second: float = Field(default=20.0, gt=0)
    subscription_message_burst: int = Field(default=100, ge=1)
    # Messages waiting for a slow client; past this it is closed (1013) and may come back.
    subscription_send_queue: int = Field(default=256, ge=1)
    # Re-read requests for subscribers running at once, and events waiting for them (past
    # this an event is dropped and counted: portal_gateway_subscription_events_dropped).
    subscription_reads_in_flight: int = Field(default=100, ge=1)
    subscription_pending_events: int = Field(default=10_000, ge=1)
    # Records of one principal and reading waiting together are re-read in one request: a
    # record waits this long (and for that group's request before it) for others to join, at
    # most this many to a request (fewer when the query limits refuse as many).
    subscription_batch_window_ms: float = Field(default=5.0, ge=0, le=100)
    subscription_batch_records: int = Field(default=20, ge=1, le=100)
    # How often open sockets are checked for an expired or revoked token (closed with 4403).
    subscription_check_seconds: float = Field(default=1.0, gt=0, le=60)
    # How often the event feed asks NATS whether each consumer it reads from still exists.
    subscription_feed_check_seconds: float = Field(default=5.0, gt=0, le=300)
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(f"not an origin (scheme://host[:port]): {origin!r}")
        return value

    def subgraph_urls(self) -> dict[str, str]:
        return {
            "people": self.people_url,
            "orders": self.orders_url,
            "tickets": self.tickets_url,
            "billing": self.billing_url,
        }

    def request_deadline(self, *, upload: bool = False) -> float:
        """Seconds a request may take in the engine (`request_timeout_seconds`)."""
        if self.request_timeout_seconds is not None:
            return self.request_timeout_seconds
        return (self.file_timeout_seconds if upload else self.upstream_timeout_seconds) + 5.0

    def shutdown_deadline(self) -> float:
        """Seconds running requests get to finish on SIGTERM (`shutdown_timeout_seconds`)."""
        if self.shutdown_timeout_seconds is not None:
            return self.shutdown_timeout_seconds
        return self.request_deadline() + 2.0

    def anonymous_tenant(self) -> str | None:
        """The tenant of an anonymous caller that sends no X-Portal-Tenant header, if any."""
        if self.default_tenant is not None:
            return self.default_tenant
        return self.dev_default_tenant if self.dev_mode else None

    def supergraph_sdl(self) -> str:
        path = self.supergraph_file or default_supergraph_file()
        if path is None:
            raise SettingsError(
                "PORTAL_SUPERGRAPH_FILE", "is required (deploy/supergraph.graphql not found)"
            )
        try:
            return path.read_text(encoding="utf-8")
        except OSError as error:
            raise SettingsError(
                "PORTAL_SUPERGRAPH_FILE", f"cannot be read: {error.strerror}"
            ) from error

    def private_key_pem(self) -> bytes:
        if self.principal_private_key:
            return self.principal_private_key.encode()
        if self.principal_private_key_file is None:
            raise SettingsError(
                "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE",
                "is required (the key the gateway signs principals with)",
            )
        try:
            return self.principal_private_key_file.read_bytes()
        except OSError as error:
            raise SettingsError(
                "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE", f"cannot be read: {error.strerror}"
            ) from error


def default_supergraph_file() -> Path | None:
    """deploy/supergraph.graphql of the repository this package or the process runs from."""
    for start in (Path(__file__).resolve(), Path.cwd().resolve() / "x"):
        for parent in start.parents:
            candidate = parent / "deploy" / "supergraph.graphql"
            if candidate.is_file():
                return candidate
    return None
