"""The heartbeats' sign-in checks, in batches.

Each stream checks at every heartbeat that its sign-in still holds (a revoked sign-in or a
deactivated person ends it; a changed role takes effect). One check is one session and one
query; with 10,000 idle streams and a heartbeat every 15 s that is 670 sessions a second, the
main cost of holding streams open. So the checks that come due within ``GATHER_SECONDS`` of
each other share one session and one query (``auth.credentials_for``); each stream still gets
the answer for its own secret, read after its heartbeat came due."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from atoll.config import Settings
from atoll.people import auth
from atoll.people.models import Person

GATHER_SECONDS = 0.1
MOST = 500  # secrets per query at most


class SignIns:
    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._maker = maker
        self._settings = settings
        self._pending: dict[str, list[asyncio.Future[Person | None]]] = {}
        self._flushing: asyncio.Task[None] | None = None
        self.queries = 0  # how many checks ran (for tests and benchmarks)

    async def person_for(self, raw: str) -> Person | None:
        """The person still signed in with ``raw`` (detached from any session), or None."""
        future: asyncio.Future[Person | None] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(raw, []).append(future)
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush_soon(), name="atoll-sign-ins")
        return await future

    async def _flush_soon(self) -> None:
        try:
            await asyncio.sleep(GATHER_SECONDS)
        finally:
            self._flushing = None
        while self._pending:
            batch = dict(list(self._pending.items())[:MOST])
            for raw in batch:
                del self._pending[raw]
            try:
                found = await self._check(list(batch))
            except Exception as error:  # noqa: BLE001 - each waiting stream gets it, as before
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(error)
                continue
            for raw, futures in batch.items():
                for future in futures:
                    if not future.done():
                        future.set_result(found.get(raw))

    async def _check(self, raws: list[str]) -> dict[str, Person]:
        self.queries += 1
        async with self._maker() as session:
            found = await auth.credentials_for(session, self._settings, raws)
            people = {raw: credential.person for raw, credential in found.items()}
            for person in {id(p): p for p in people.values()}.values():
                session.expunge(person)
            await session.commit()  # a touched session slides its expiry
        return people
