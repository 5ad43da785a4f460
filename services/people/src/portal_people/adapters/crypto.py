"""Field-level encryption at rest (AES-256-GCM) for national IDs.

The key comes from settings (PORTAL_NATIONAL_ID_KEY, 32 bytes base64url). Each value is bound to
its tenant and record as associated data, so a ciphertext copied to another record or tenant
does not decrypt. The `v1:` prefix names the key generation for a later key rotation.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1:"


class FieldCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the national ID key must be 32 bytes (base64url encoded)")
        self._aead = AESGCM(key)

    @classmethod
    def from_setting(cls, encoded: str) -> FieldCipher:
        try:
            key = base64.urlsafe_b64decode(encoded.strip() + "=" * (-len(encoded.strip()) % 4))
        except (binascii.Error, ValueError) as error:
            raise ValueError("the national ID key is not base64url") from error
        return cls(key)

    @staticmethod
    def generate_key() -> str:
        return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()

    def seal(self, value: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode(), context.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, context: str) -> str:
        if not sealed.startswith(PREFIX):
            raise ValueError("unknown ciphertext format")
        raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except InvalidTag as error:
            raise ValueError("the national ID cannot be decrypted with this key") from error
