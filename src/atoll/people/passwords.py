"""Password hashing with argon2id, off the event loop.

One hash or verification takes a fixed ~0.1–0.3 s of CPU on purpose (``ATOLL_ARGON2_*``). Run
on the event loop, it would stop every other request of the process for that long; so every
hash and every verification runs in a small pool of threads (``ATOLL_ARGON2_THREADS``; argon2
releases the GIL while it works) and the loop goes on serving. The pool is bounded: sign-ins
beyond its size wait their turn instead of taking every core of the machine. Its threads run
at a lower priority (``NICENESS``), so that serving comes first when they compete for a core.

The cost and the size of the pool are a ``Hashing``, made from the settings (``Hashing.of``)
and passed to whatever hashes or verifies. Nothing is configured globally: the process keeps
one pool per size (made on first use) and one hasher per cost, so two apps with different
settings in one process each hash at their own cost."""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from atoll.kit.errors import Invalid
from atoll.kit.settings import Settings

MIN_LENGTH = 8
MAX_LENGTH = 1024
NICENESS = 10  # of the hashing threads: when they and the serving thread want one core, it serves


def default_threads() -> int:
    """Half the CPUs this process may use, at least one: the rest stay for serving."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus // 2)


@dataclass(frozen=True)
class Hashing:
    """The argon2id cost of new hashes (``ATOLL_ARGON2_TIME_COST``, ``_MEMORY_KIB``) and how
    many hashes run at once (``ATOLL_ARGON2_THREADS``; 0: ``default_threads()``)."""

    time_cost: int
    memory_kib: int
    threads: int = 0

    @classmethod
    def of(cls, settings: Settings) -> Hashing:
        return cls(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_threads)

    @property
    def pool_size(self) -> int:
        return self.threads or default_threads()

    async def hash(self, password: str) -> str:
        """The hash of a new password (checked first), made in the pool."""
        return await self.rehash(check_password(password))

    async def rehash(self, password: str) -> str:
        """A hash at this cost of a password that was just verified (it met the rules of its
        day), made in the pool."""
        hasher = _hasher(self.time_cost, self.memory_kib)
        return await asyncio.get_running_loop().run_in_executor(
            _pool(self.pool_size), hasher.hash, password
        )

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether the password matches, worked out in the pool. No hash (an unknown e-mail, a
        person without a password) costs the same as a wrong password, and is False."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            _pool(self.pool_size), self._verify, password_hash, password
        )

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether a stored hash was made at another cost than this one."""
        return _hasher(self.time_cost, self.memory_kib).check_needs_rehash(password_hash)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        hasher = _hasher(self.time_cost, self.memory_kib)
        stored = password_hash or _dummy(self.time_cost, self.memory_kib)
        try:
            return hasher.verify(stored, password[:MAX_LENGTH]) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False


def check_password(password: str, field: str = "password") -> str:
    """The password, if it meets the rules; Invalid on ``field`` when it does not."""
    if len(password) < MIN_LENGTH:
        raise Invalid.field(field, f"must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise Invalid.field(field, f"must be at most {MAX_LENGTH} characters long")
    return password


@functools.cache
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, type=Type.ID)


@functools.cache
def _dummy(time_cost: int, memory_kib: int) -> str:
    """Verified against when the e-mail is unknown, so that both failures take the same time:
    a hash at the same cost, made once."""
    return _hasher(time_cost, memory_kib).hash("atoll-timing-equaliser")


@functools.cache
def _pool(size: int) -> ThreadPoolExecutor:
    """The process's pool of ``size`` hashing threads (named ``atoll-argon2-<size>``), made on
    first use."""
    return ThreadPoolExecutor(
        max_workers=size,
        thread_name_prefix=f"atoll-argon2-{size}",
        initializer=_yield_to_serving,
    )


def _yield_to_serving() -> None:
    """Run this hashing thread at a lower priority than the thread that serves requests (on
    Linux a thread has its own; elsewhere the process's is left alone)."""
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
