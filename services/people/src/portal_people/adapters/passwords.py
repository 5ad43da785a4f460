"""Password hashing with argon2id, with OWASP's recommended parameters (19 MiB, t=2, p=1).

Hashing is deliberately slow CPU work; the async helpers run it on a worker thread (argon2-cffi
releases the GIL) so a login does not stall every other request of the process.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, type=Type.ID)
# Verifying against this when no account matches makes a wrong user name cost the same time as
# a wrong password, so timing does not reveal whether an account exists.
_DECOY = _hasher.hash("decoy password that nobody has")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DECOY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Hashes made with other parameters (older settings) are upgraded at the next login."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, password)


class Argon2Passwords:
    """The passwords port of the use cases (`service_layer.ports.Passwords`)."""

    async def hash(self, password: str) -> str:
        return await hash_password_async(password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await verify_password_async(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return needs_rehash(password_hash)
