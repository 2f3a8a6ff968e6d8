"""Password hashing with argon2id, off the event loop.

One hash or verification takes a fixed ~0.1–0.3 s of CPU on purpose (``ATOLL_ARGON2_*``). Run
on the event loop, it would stop every other request of the process for that long; so every
hash and every verification runs in a small pool of threads (``ATOLL_ARGON2_THREADS``; argon2
releases the GIL while it works) and the loop goes on serving. The pool is bounded: sign-ins
beyond its size wait their turn instead of taking every core of the machine. Its threads run
at a lower priority (``NICENESS``), so that serving comes first when they compete for a core."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from atoll.kit.errors import Invalid

MIN_LENGTH = 8
MAX_LENGTH = 1024
_hasher = PasswordHasher(type=Type.ID)
# Verified against when the e-mail is unknown, so both failures take the same time; made on
# first use with the configured cost.
_dummy_hash: str | None = None
_threads = 0
_pool: ThreadPoolExecutor | None = None


def default_threads() -> int:
    """Half the CPUs this process may use, at least one: the rest stay for serving."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus // 2)


def configure(*, time_cost: int, memory_kib: int, threads: int = 0) -> None:
    """Set the cost of new hashes and the size of the pool (0: ``default_threads()``)."""
    global _hasher, _dummy_hash, _threads, _pool
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, type=Type.ID)
    _dummy_hash = None
    _threads = threads
    if _pool is not None:  # at startup: nothing is hashing
        _pool.shutdown(wait=True)
        _pool = None


def threads() -> int:
    """How many hashes run at once in this process."""
    return _threads or default_threads()


NICENESS = 10  # of the hashing threads: when they and the serving thread want one core, it serves


def _yield_to_serving() -> None:
    """Run this hashing thread at a lower priority than the thread that serves requests (on
    Linux a thread has its own; elsewhere the process's is left alone)."""
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(
            max_workers=threads(), thread_name_prefix="atoll-argon2", initializer=_yield_to_serving
        )
    return _pool


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


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy(), password[:MAX_LENGTH]) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    """The argon2id hash of a new password (checked first), made in the pool."""
    return await rehash(check_password(password))


async def rehash(password: str) -> str:
    """A hash at today's cost of a password that was just verified (it met the rules of its
    day), made in the pool."""
    return await asyncio.get_running_loop().run_in_executor(_executor(), _hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches, worked out in the pool. No hash (an unknown e-mail, a
    person without a password) costs the same as a wrong password, and is False."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), _verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
