"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from atoll.kit.errors import Invalid

MIN_LENGTH = 8
MAX_LENGTH = 1024
_hasher = PasswordHasher(type=Type.ID)
# Verified against when the e-mail is unknown, so both failures take the same time; made on
# first use with the configured cost.
_dummy_hash: str | None = None


def configure(*, time_cost: int, memory_kib: int) -> None:
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, type=Type.ID)
    _dummy_hash = None


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("atoll-timing-equaliser")
    return _dummy_hash


def check_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise Invalid.field("password", f"must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise Invalid.field("password", f"must be at most {MAX_LENGTH} characters long")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy(), password[:MAX_LENGTH]) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
