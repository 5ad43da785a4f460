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
