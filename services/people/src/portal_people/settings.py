"""Settings of the people service."""

from __future__ import annotations

from pathlib import Path

from portal_kit.settings import ServiceSettings
from pydantic import Field


class PeopleSettings(ServiceSettings):
    service_name: str = "people"
    http_port: int = Field(default=4001, ge=1, le=65535)
    # Ed25519 key that signs access tokens; without one a fresh key is made at start-up
    # (development only: tokens then die with the process).
    token_signing_key_file: Path | None = None
    # Public keys of retired signing keys, still published in the JWKS during a rotation.
    token_retired_public_key_files: list[Path] = Field(default_factory=list)
    access_token_seconds: int = Field(default=900, ge=30, le=3600)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    invitation_days: int = Field(default=14, ge=1, le=90)
    password_reset_minutes: int = Field(default=60, ge=5, le=1440)
    # Failed logins: this many within the window lock the key, doubling up to the ceiling.
    # Keys (domain/throttle.py): the account from one client address (pair), the account from
    # anywhere (a slower budget; an address the account logged in from before is exempt from
    # it), one address across accounts.
    login_pair_max_failures: int = Field(default=5, ge=1, le=1000)
    login_account_max_failures: int = Field(default=30, ge=1, le=1000)
    login_address_max_failures: int = Field(default=20, ge=1, le=10000)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    login_lock_seconds: int = Field(default=60, ge=1)
    login_max_lock_seconds: int = Field(default=900, ge=1)
    # AES-256-GCM key (32 bytes, base64url) for national IDs at rest; a throw-away key is made
    # when missing (development only: stored national IDs cannot be read after a restart).
    national_id_key: str | None = None
    # Outgoing e-mail; without a host, mails are not sent (and that is logged).
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "no-reply@portal.example"
    smtp_sender_name: str = "Portal"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_use_tls: bool = False
    smtp_start_tls: bool | None = None
    # The mail outbox: how often due mails are sent, and the backoff of a failed try (doubling
    # from the first delay up to the ceiling; a mail is never given up on for a server outage).
    mail_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    mail_retry_seconds: float = Field(default=5.0, gt=0, le=3600)
    mail_max_retry_seconds: float = Field(default=300.0, gt=0, le=86400)
    mail_digest_check_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Where links in e-mails point (the SPA): `<public_url>/<tenant>` unless the tenant's
    # notification settings name its own portal address.
    public_url: str = Field(default="http://127.0.0.1:4000", max_length=200)
    # The gateway's GraphQL endpoint, where a mail that quotes a ticket post reads it as its
    # recipient (adapters/ticket_posts.py); without it such mails go without the quote.
    gateway_url: str | None = Field(default=None, max_length=200)
