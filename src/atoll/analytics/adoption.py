"""Adoption figures: who is active and who contributes, week by week and month by month, how
often people come back (DAU/MAU, the Community Health Index), the 90-9-1 split, the personas
of what people give and receive, and how fast questions get a first answer.

The definitions (README, "How the figures are counted"), for a range of whole days [from, to)
of the organisation's time zone:

- *members*: active member accounts now.
- *active*: a member who used Atoll on a day of the range (an activity day) or acted in the
  log as a member; *contributors* posted, commented, replied or reacted; *participation* is
  contributors ÷ active.
- **DAU/MAU**: over the 30 days ending with the range, the average number of people active per
  day divided by the people active in those 30 days.
- **Community Health Index**: the people active in the last 30 days of the range divided by the
  people active in the 12 months ending with it.
- **the 90-9-1 split**: *regular* contributors contributed in at least half of the ISO weeks
  the range covers (a range within one week: on at least half of its days); *occasional* the
  other contributors; *readers* the active people who did not contribute.
- **personas** (after SWOOP), among the active people, from their posts P, the acts they gave
  toward others G (comments, replies, reactions, votes, mentions, accepted answers, wiki
  co-edits) and those they received R: *observer* gave nothing; *catalyst* received at least
  twice what they gave (P + G); otherwise *broadcaster* (P ≥ G) or *responder* (P < G) when
  they gave at least twice what they received; everyone else is an *engager*.
- *questions*: question posts (not deleted) asked in the range, by members and by externals
  (the asker's kind now); a question is *answered* once someone other than its asker commented
  on it (up to now); the median time to a first answer is over the answered ones.

The privacy floor (``floor``): every count of 1 to 4 people is withheld (null), the counts of
people themselves included, in the headline and in each week and month; parts of a shown total
are withheld together so that no subtraction gives one back; and a ratio is withheld when it
would give back such a count."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.adoption_counts import WINDOW, Counted, count_adoption
from atoll.analytics.adoption_days import Totals
from atoll.analytics.adoption_questions import questions
from atoll.analytics.floor import shown, small, withhold
from atoll.analytics.matrix import check_range
from atoll.analytics.periods import Span, local_day, midnight, snap, spans
from atoll.kit.settings import Settings
from atoll.kit.time import as_utc, rfc3339, utcnow
from atoll.people.models import Person

PERSONAS = ("engager", "catalyst", "responder", "broadcaster", "observer")
SPLIT = ("readers", "occasional", "regular")


def persona(t: Totals) -> str:
    given = t.posts + t.given
    if given == 0:
        return "observer"
    if t.received >= 2 * given:
        return "catalyst"
    if given >= 2 * t.received:
        return "broadcaster" if t.posts >= t.given else "responder"
    return "engager"


def is_regular(t: Totals, weeks: int, days: int) -> bool:
    """Contributed in at least half of the range's weeks (within one week: of its days)."""
    if weeks == 1:
        return 2 * t.contribution_days >= days
    return 2 * t.weeks >= weeks


def _headline(counted: Counted, weeks: int) -> dict[str, Any]:
    """Active people, contributors, participation, the split and the personas, with the
    floor applied."""
    people = list(counted.people.values())
    active = len(people)
    if small(active):
        return {
            "active": None,
            "contributors": None,
            "participation": None,
            "split": {**dict.fromkeys(SPLIT), "shares": None},
            "personas": dict.fromkeys(PERSONAS),
        }
    days = (counted.stop - counted.first).days
    contributors = [t for t in people if t.contribution_days]
    regular = sum(is_regular(t, weeks, days) for t in contributors)
    parts = {
        "readers": active - len(contributors),
        "occasional": len(contributors) - regular,
        "regular": regular,
    }
    roles = {name: 0 for name in PERSONAS}
    for t in people:
        roles[persona(t)] += 1
    # Readers who gave something (votes, mentions, accepted answers, wiki co-edits only) are
    # readers − observers: when they are too few, neither of the two is shown.
    quiet = parts["readers"] - roles["observer"]
    split = withhold(
        parts, also=["readers"] if small(quiet) else [], first=["occasional", "regular"]
    )
    personas = withhold(roles, also=["observer"] if small(quiet) else [])
    shares = {k: None if v is None else v / active for k, v in split.items()} if active else None
    contributed = None if split["readers"] is None else active - split["readers"]
    return {
        "active": active,
        "contributors": contributed,
        "participation": None if contributed is None or not active else contributed / active,
        "split": {**split, "shares": shares},
        "personas": personas,
    }


def _rates(counted: Counted) -> dict[str, float | None]:
    """DAU/MAU and the Community Health Index, each withheld when it would give back a count
    under the floor."""
    month, year = counted.active_30, counted.active_year
    dau_mau = None
    if month and not small(month):
        dau_mau = counted.person_days / (WINDOW.days * month)
    health = None
    if year and not any(small(n) for n in (month, year, year - month)):
        health = month / year
    return {"dau_mau": dau_mau, "health_index": health}


def _series(
    counted: Counted,
    period: str,
    bounds: tuple[datetime, datetime],
    zone: ZoneInfo,
    now: datetime,
    hidden: bool,
) -> list[dict[str, Any]]:
    """Each week or month of the range; ``hidden``: the headline withholds its contributors
    (a period that holds the whole range then withholds them too)."""
    start, end = bounds
    counts = counted.weekly if period == "week" else counted.monthly
    out = []
    for span in spans(start, end, period, zone):
        key = local_day(span.start, zone)
        active, contributors = counts[key, "active"], counts[key, "contributor"]
        contributed: int | None = contributors
        whole = span.start <= start and span.end >= end
        if (
            small(active)
            or small(contributors)
            or small(active - contributors)
            or (whole and hidden)
        ):
            contributed = None
        out.append(
            {
                "period": span.label,
                "start": rfc3339(span.start),
                "end": rfc3339(span.end),
                "active": shown(active),
                "contributors": contributed,
                "suppressed": contributed is None,
                "partial": _partial(span, start, end, now),
            }
        )
    return out


def _partial(span: Span, start: datetime, end: datetime, now: datetime) -> bool:
    """Not over yet, or cut by the range."""
    return span.end > now or span.start < start or span.end > end


async def _members(session: AsyncSession) -> int:
    members = await session.scalar(
        select(func.count()).where(Person.kind == "member", Person.is_active.is_(True))
    )
    return members or 0


async def adoption(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    settings: Settings,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Adoption over [start, end), snapped to whole days of the organisation's time zone (see
    the module for every definition). ``now`` (default: the clock) marks the periods not over."""
    check_range(start, end)
    if (await session.connection()).dialect.name == "postgresql":
        # These reads take milliseconds; compiling them first (PostgreSQL's JIT, which their
        # estimated cost would trigger) takes longer than running them. This transaction only.
        await session.execute(text("SET LOCAL jit = off"))
    zone = settings.zone
    start, end = snap(as_utc(start), as_utc(end), zone)
    first, stop = local_day(start, zone), local_day(end, zone)
    counted = await count_adoption(session, first=first, stop=stop, zone=zone)
    weeks = len(spans(start, end, "week", zone))
    headline = _headline(counted, weeks)
    members = await _members(session)
    active = headline["active"]
    if small(members) or (active is not None and small(members - active)):
        members_shown: int | None = None
    else:
        members_shown = members
    moment = as_utc(now or utcnow())
    hidden = headline["contributors"] is None
    weekly = _series(counted, "week", (start, end), zone, moment, hidden)
    monthly = _series(counted, "month", (start, end), zone, moment, hidden)
    return {
        "from": rfc3339(start),
        "to": rfc3339(end),
        "timezone": zone.key,
        "members": members_shown,
        **headline,
        "suppressed": active is None,
        **_rates(counted),
        "windows": _windows(counted, zone),
        "weekly": weekly,
        "monthly": monthly,
        **await questions(session, start=start, end=end),
    }


def _windows(counted: Counted, zone: ZoneInfo) -> dict[str, dict[str, str | None]]:
    """The days DAU/MAU ("month": the last 30) and the Community Health Index ("year": the
    last 12 months) look at: as instants, and as the first and last day in the zone."""

    def bounds(first: date) -> dict[str, str | None]:
        return {
            "from": rfc3339(midnight(first, zone)),
            "to": rfc3339(midnight(counted.stop, zone)),
            "first": first.isoformat(),
            "last": (counted.stop - timedelta(days=1)).isoformat(),
        }

    return {"month": bounds(counted.window), "year": bounds(counted.year)}
