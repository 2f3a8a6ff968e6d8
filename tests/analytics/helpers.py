"""Hand-built organisations and interaction logs for the analytics tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.analytics.service import record_interaction
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces.models import Space
from tests.factories import LOOKBACK_DAYS, SILO_LEVEL, make_person, make_unit

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday: ISO week 2026-W10


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


async def org(db: AsyncSession) -> dict[str, Unit]:
    """Company > Sales > {EMEA > EMEA Team, APAC}; Company > Engineering > Platform. The silo
    level is 2: EMEA, APAC and Platform are the silos."""
    sales = await make_unit(db, "Sales")
    emea = await make_unit(db, "EMEA", parent=sales)
    team = await make_unit(db, "EMEA Team", parent=emea)
    apac = await make_unit(db, "APAC", parent=sales)
    eng = await make_unit(db, "Engineering")
    platform = await make_unit(db, "Platform", parent=eng)
    return {
        "sales": sales,
        "emea": emea,
        "team": team,
        "apac": apac,
        "eng": eng,
        "platform": platform,
    }


async def people(db: AsyncSession, units: dict[str, Unit]) -> dict[str, Person]:
    """ana (EMEA Team), bea (EMEA), cid and dan (APAC), eli (Platform), xan (external)."""
    where = {"ana": "team", "bea": "emea", "cid": "apac", "dan": "apac", "eli": "platform"}
    out = {name: await make_person(db, name=name, unit_id=units[u].id) for name, u in where.items()}
    out["xan"] = await make_person(db, name="xan", kind="external", organization="Acme Corp")
    return out


async def act(
    db: AsyncSession,
    actor: Person,
    target: Person | None,
    at: datetime,
    kind: str = "comment",
    space: Space | None = None,
) -> Interaction:
    """Record one interaction at ``at`` and flush it (so the next one sees it), committed."""
    row = await record_interaction(
        db,
        kind=kind,
        actor=actor,
        target=target,
        space=space,
        at=at,
        silo_level=SILO_LEVEL,
        lookback_days=LOOKBACK_DAYS,
    )
    assert row is not None
    await db.commit()
    return row


def cells(data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{"within/new": (interactions, ties), ...} of a matrix or a journey entry."""
    return {f"{c['scope']}/{c['tie']}": (c["interactions"], c["ties"]) for c in data["cells"]}
