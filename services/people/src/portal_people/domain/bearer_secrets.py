"""Secrets handed to a person once (refresh tokens, invitation codes, reset links), of which only
a hash is kept: whoever reads the database cannot use them."""

from __future__ import annotations

import hashlib
import secrets


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Secrets here are 256 random bits, so a fast hash is enough (no guessing to slow down)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
