"""Settings for every process, read once from `PORTAL_*` environment variables.

A missing or invalid value stops the process at start-up with one line naming the setting, so a
misconfigured container fails fast and says why instead of limping along.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from portal_kit.jetstream import DEDUP_WINDOW_SECONDS
from portal_kit.outbox_claims import LEASE_SECONDS


class ServiceSettings(BaseSettings):
    """What every service process needs; services subclass it for their own settings."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore", frozen=True)

    service_name: str = Field(default="service", pattern=r"^[a-z][a-z0-9_-]{0,30}$")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    # Required outside dev mode: a service without it refuses to start (runtime.py). None in dev
    # mode (or with mongo_stand_in, which the test fixtures set) chooses the in-memory stand-in.
    mongo_url: str | None = None
    # The in-memory stand-in outside dev mode: for tests only, never in production.
    mongo_stand_in: bool = False
    mongo_database: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,63}$")
    nats_url: str = "nats://127.0.0.1:4222"
    # The platform's nkey seed when nats-server requires authentication (deploy/README.md,
    # "Partners"); None connects without credentials (make dev, tests).
    nats_nkey_seed_file: Path | None = None
    # Root of every subject and stream name; tests give each test its own to run in parallel.
    event_prefix: str = Field(default="portal", pattern=r"^[a-z][a-z0-9_]{0,30}$")
    principal_public_key_file: Path | None = None
    principal_public_key: str | None = None
    outbox_sweep_seconds: float = Field(default=5.0, gt=0)
    # How long a relay's claim on an outbox document holds (outbox_claims.py): at least twice
    # the 5 s publish timeout, shorter than the streams' duplicate window.
    outbox_lease_seconds: float = Field(default=LEASE_SECONDS, ge=10, lt=DEDUP_WINDOW_SECONDS)
    dev_mode: bool = False
    # JetStream limits of the service's streams, applied when start-up creates them; a stream
    # that already exists keeps the operator's limits (jetstream.py logs what differs).
    stream_max_age_days: float = Field(default=30.0, gt=0, le=3650)
    # Per stream (the service's and its dead-letter stream); JetStream reserves it on the
    # server's store (deploy/nats/nats.conf allows 4 GB for eight streams). 0: no byte limit,
    # age only (the test fixtures, whose many streams would exhaust a reservation).
    stream_max_bytes: int = Field(default=256 * 1024**2, ge=0)
    stream_replicas: int = Field(default=1, ge=1, le=5)
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")

    @property
    def database_name(self) -> str:
        return self.mongo_database or f"portal_{self.service_name}"

    def check_database(self) -> None:
        """Refuse to run outside dev mode (and tests) without a MongoDB: the stand-in loses
        every write when the process stops."""
        if not self.mongo_url and not (self.dev_mode or self.mongo_stand_in):
            raise SettingsError(
                "PORTAL_MONGO_URL",
                "is required outside dev mode (the in-memory stand-in is for PORTAL_DEV_MODE only)",
            )

    def public_key_pem(self) -> bytes:
        if self.principal_public_key:
            return self.principal_public_key.encode()
        if self.principal_public_key_file is None:
            raise SettingsError(
                "PORTAL_PRINCIPAL_PUBLIC_KEY_FILE",
                "is required (the gateway's public key for principals)",
            )
        try:
            return self.principal_public_key_file.read_bytes()
        except OSError as error:
            raise SettingsError(
                "PORTAL_PRINCIPAL_PUBLIC_KEY_FILE", f"cannot be read: {error.strerror}"
            ) from error


class SettingsError(Exception):
    """A setting that is missing or invalid; `setting` is its environment variable name."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting} {problem}")
        self.setting = setting
        self.problem = problem


S = TypeVar("S", bound=BaseSettings)


def describe_validation_error(settings_class: type[BaseSettings], error: ValidationError) -> str:
    """One line naming the first bad setting by its environment variable."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    prefix = settings_class.model_config.get("env_prefix", "")
    return f"invalid setting {prefix}{field.upper()}: {first['msg']}"


def load_settings(settings_class: type[S], **overrides: Any) -> S:
    """Read settings or stop the process with one line naming the setting."""
    try:
        return settings_class(**overrides)
    except ValidationError as error:
        print(describe_validation_error(settings_class, error), file=sys.stderr)
        raise SystemExit(2) from None
