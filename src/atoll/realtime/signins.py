"""The heartbeats' sign-in checks, in batches.

Each stream checks at every heartbeat that its sign-in still holds (a revoked sign-in or a
deactivated person ends it; a changed role takes effect). One check is one session and one
query; with 10,000 idle streams and a heartbeat every 15 s that is 670 sessions a second, the
main cost of holding streams open. So the checks that come due within ``GATHER_SECONDS`` of
each other share one session and one query (``auth.credentials_for``); each stream still gets
the answer for its own secret, read after its heartbeat came due."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from atoll.kit.gather import Gather
from atoll.kit.settings import Settings
from atoll.people import auth, tokens
from atoll.people.models import Person

GATHER_SECONDS = 0.1
MOST = 500  # secrets per query at most


class SignIns:
    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._maker = maker
        self._settings = settings
        self._gather = Gather(self._check, window=GATHER_SECONDS, most=MOST, name="atoll-sign-ins")

    async def person_for(self, raw: str) -> Person | None:
        """The person still signed in with ``raw`` (detached from any session), or None."""
        return await self._gather.get(raw)

    async def _check(self, raws: list[str]) -> dict[str, Person]:
        async with self._maker() as session:
            found = await auth.credentials_for(session, self._settings, raws)
            for person in {id(c.person): c.person for c in found.values()}.values():
                session.expunge(person)
            await session.commit()  # a touched session slides its expiry
        # A token without the "admin" scope acts as a member, at every check (people.tokens).
        return {raw: tokens.acting(credential).person for raw, credential in found.items()}
