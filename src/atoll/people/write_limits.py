"""Write rate limits per person: how many posts, comments, reactions and reports one person
may make in a minute (``ATOLL_RATE_POSTS_PER_MINUTE``, ``…_COMMENTS_…``, ``…_REACTIONS_…``,
``…_REPORTS_…``; 0 turns a limit off), so that one account — a script, a stolen token, a
runaway bot — cannot flood a space.

Each write is counted in the sign-in throttle's counter table (``atoll.people.throttle``: one
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` per write, under a key of its own per person
and kind), in the transaction of the write itself: on PostgreSQL concurrent writes of one
person wait on that counter row until the first commits, on SQLite the database's write lock
orders them, so of 20 concurrent posts against a limit of 10 exactly 10 are made. A refused
write rolls back with its count, so being refused costs nothing. The window is fixed: it opens
with the first write counted and lasts a minute; ``Retry-After`` says when it ends.

Who is limited: everyone who writes through the pages and the API, administrators included
(an administrator's token is worth more to whoever steals it, and ten posts a minute is more
than a person types). What is not: code that writes on nobody's keyboard — the demo generator,
the benchmarks, importers — calls the services without limits (``UNLIMITED``, their default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import RateLimited
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.people import throttle
from atoll.people.models import Person

Kind = Literal["posts", "comments", "reactions", "reports"]
KINDS: tuple[Kind, ...] = ("posts", "comments", "reactions", "reports")
WINDOW = timedelta(minutes=1)
_WORDS = {
    "posts": ("posts", "post"),
    "comments": ("comments", "comment"),
    "reactions": ("reactions", "react"),
    "reports": ("reports", "report"),
}


@dataclass(frozen=True)
class WriteLimits:
    """Writes per person per minute, by kind; 0: no limit."""

    posts: int = 0
    comments: int = 0
    reactions: int = 0
    reports: int = 0

    @classmethod
    def of(cls, settings: Settings) -> WriteLimits:
        return cls(
            posts=settings.rate_posts_per_minute,
            comments=settings.rate_comments_per_minute,
            reactions=settings.rate_reactions_per_minute,
            reports=settings.rate_reports_per_minute,
        )

    def limit(self, kind: Kind) -> int:
        if kind not in KINDS:
            raise ValueError(f"no write limit for {kind!r}")
        return int(getattr(self, kind))


UNLIMITED = WriteLimits()


def _refusal(kind: Kind, limit: int, since: datetime, now: datetime) -> RateLimited:
    seconds = max(1, math.ceil((since + WINDOW - now).total_seconds()))
    plural, verb = _WORDS[kind]
    return RateLimited(
        f"You have made {limit} {plural} in the last minute, the most one person may. "
        f"Please wait {seconds} second{'s' if seconds != 1 else ''} before you {verb} again.",
        retry_after=seconds,
    )


async def check_write_rate(
    session: AsyncSession,
    *,
    person: Person,
    kind: Kind,
    limits: WriteLimits,
    now: datetime | None = None,
) -> None:
    """Count one write of ``kind`` by ``person`` in the caller's transaction, or raise
    RateLimited (429 with Retry-After: the seconds until the minute's window ends) when it is
    one too many. Call it in the transaction of the write, so a write that fails for any
    reason is not counted either."""
    limit = limits.limit(kind)
    if limit <= 0:
        return
    now = now or utcnow()
    count, since = await throttle.count_under(
        session, what=f"write:{kind}", parts=(str(person.id),), now=now, window=WINDOW
    )
    if count > limit:
        raise _refusal(kind, limit, since, now)
