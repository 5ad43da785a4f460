"""The nkeys of the platform and of each partner, kept in a secrets directory.

A seed is created once, on the first run that needs it, written with mode 0600 and reused by
every later run, so regenerating the server configuration never changes a credential; the
server configuration holds public keys only. Rotating a partner's key is deleting its seed file
and running again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import nkeys  # type: ignore[import-untyped]

PLATFORM = "platform"


@dataclass(frozen=True)
class Credential:
    name: str
    public_key: str
    seed_file: Path
    created: bool  # made by this run: hand it out now


class CredentialStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def platform(self) -> Credential:
        return self._credential(PLATFORM, self.directory / f"{PLATFORM}.nk")

    def partner(self, tenant: str) -> Credential:
        return self._credential(tenant, self.directory / "partners" / f"{tenant}.nk")

    def _credential(self, name: str, seed_file: Path) -> Credential:
        created = not seed_file.exists()
        if created:
            seed_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
            # O_EXCL: two runs at once never overwrite each other's fresh key.
            descriptor = os.open(seed_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(seed + b"\n")
        key = nkeys.from_seed(bytearray(seed_file.read_bytes().strip()))
        public_key = key.public_key.decode()
        key.wipe()
        return Credential(name, public_key, seed_file, created)
