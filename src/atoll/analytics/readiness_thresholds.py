"""The thresholds of "ready to go outward" (analytics/readiness.py): kept in one row of
``readiness_threshold``, the defaults while an administrator has not changed them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import ReadinessThreshold
from atoll.audit.service import record_audit
from atoll.kit.errors import Forbidden, Invalid
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.people.policy import is_admin

ROW = 1
MAX_HOURS = 24 * 365  # a first answer may be asked for within a year at most


@dataclass(frozen=True)
class Thresholds:
    """Shares are fractions (0.6 is 60 %); ``first_answer_hours`` the longest median wait."""

    active_share: float = 0.6
    across_share: float = 0.2
    answer_rate: float = 0.7
    first_answer_hours: float = 48.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


DEFAULTS = Thresholds()


async def thresholds(session: AsyncSession) -> Thresholds:
    row = await session.get(ReadinessThreshold, ROW)
    if row is None:
        return DEFAULTS
    return Thresholds(
        active_share=row.active_share,
        across_share=row.across_share,
        answer_rate=row.answer_rate,
        first_answer_hours=row.first_answer_hours,
    )


def check_thresholds(values: dict[str, Any]) -> Thresholds:
    """The thresholds given (shares between 0 and 1, hours above 0 and at most a year); a
    missing one keeps its default. Every mistake names its field."""
    out: dict[str, float] = {}
    for name, default in DEFAULTS.as_dict().items():
        value = values.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid.field(name, "must be a number")
        number = float(value)
        if name == "first_answer_hours":
            if not 0 < number <= MAX_HOURS:
                raise Invalid.field(name, f"must be more than 0 and at most {MAX_HOURS} hours")
        elif not 0 <= number <= 1:
            raise Invalid.field(name, "must be a share between 0 and 1 (0.6 is 60 %)")
        out[name] = number
    return Thresholds(**out)


async def do_set_thresholds(
    session: AsyncSession, *, actor: Person, values: dict[str, Any]
) -> Thresholds:
    """Administrators only: keep new thresholds (``check_thresholds``), one audit entry."""
    if not is_admin(actor):
        raise Forbidden("Only administrators can change the readiness thresholds.")
    new = check_thresholds(values)
    row = await session.get(ReadinessThreshold, ROW)
    if row is None:
        row = ReadinessThreshold(id=ROW, **new.as_dict())
        session.add(row)
    else:
        for name, value in new.as_dict().items():
            setattr(row, name, value)
    row.updated_at, row.updated_by_id = utcnow(), actor.id
    record_audit(
        session,
        actor_id=actor.id,
        action="analytics.readiness_thresholds_changed",
        target_type="analytics",
        target_id="readiness",
        thresholds=new.as_dict(),
    )
    await session.flush()
    return new
