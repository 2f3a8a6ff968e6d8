"""The analytics figures equal what the demo generator planted.

The generator keeps its own tally of every interaction it writes (never read back from the
database, never computed by the analytics code): per month and per value-matrix cell, the
interactions and the distinct ties, and the same over the whole history. Here a small
organisation is generated with a known seed, the value matrix is computed from the log, and
every figure must be equal — exactly.

The generator writes each row's ``new_tie`` as record_interaction would have live; here they
are all reset first, so that ``rebuild_ties`` has to derive every one of them from the log
(the rows outside the grid too: posts, externals among themselves, people in no silo)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.analytics.queries import adoption, rebuild_ties, value_matrix
from atoll.demo.generator import do_create_demo
from atoll.kit.settings import Settings
from tests.factories import HASHING


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _cells(cells: list[dict[str, Any]]) -> list[tuple[str, str, int, int]]:
    return [(c["scope"], c["tie"], c["interactions"], c["ties"]) for c in cells]


def _stage(cells: list[dict[str, Any]], total: int, settings: Settings) -> str:
    """The cumulative stage: transformation needs both thresholds."""
    external = sum(c["interactions"] for c in cells if c["scope"] == "external")
    across = sum(c["interactions"] for c in cells if c["scope"] == "across")
    if across / total < settings.stage_across_threshold:
        return "operational"
    if external / total >= settings.stage_external_threshold:
        return "transformation"
    return "cultural"


@pytest.mark.parametrize(
    ("seed", "end"),
    [
        (11, date(2026, 4, 30)),
        (12, date(2026, 2, 14)),
        (14, datetime(2026, 3, 10, 15, 30, tzinfo=UTC)),  # a month and a day not over
    ],
)
async def test_the_value_matrix_equals_the_planted_ground_truth(
    db: AsyncSession, settings: Settings, seed: int, end: date
) -> None:
    result = await do_create_demo(db, hashing=HASHING, people=60, months=4, seed=seed, end=end)
    await db.commit()
    truth = result.ground_truth
    written = select(func.count()).where(Interaction.new_tie.is_(False))
    existing = await db.scalar(written)
    in_grid = sum(c["interactions"] for c in truth["whole"]["cells"] if c["tie"] == "existing")
    assert existing is not None and existing > in_grid > 0
    await db.execute(update(Interaction).values(new_tie=True))
    assert await rebuild_ties(db, lookback_days=settings.tie_lookback_days) == existing
    await db.commit()
    assert truth["whole"]["total"] > 300  # enough to make the comparison mean something
    start, stop = _when(truth["start"]), _when(truth["stop"])

    matrix = await value_matrix(
        db, start=start, end=stop, unit_id=None, period="month", settings=settings
    )

    assert [p["period"] for p in matrix["journey"]] == [m["period"] for m in truth["months"]]
    for planted, computed in zip(truth["months"], matrix["journey"], strict=True):
        assert not computed["suppressed"], planted["period"]
        assert computed["total"] == planted["total"], planted["period"]
        assert computed["people"] == planted["people"], planted["period"]
        assert _cells(computed["cells"]) == _cells(planted["cells"]), planted["period"]
        assert computed["stage"] == _stage(planted["cells"], planted["total"], settings)
    whole = truth["whole"]
    assert matrix["total"] == whole["total"] and matrix["people"] == whole["people"]
    # Over the whole history a tie counts once per cell, however many months it spans.
    assert _cells(matrix["cells"]) == _cells(whole["cells"])
    assert sum(c["ties"] for c in whole["cells"]) < sum(
        c["ties"] for m in truth["months"] for c in m["cells"]
    )
    # The history covers every kind of cell, new ties and old ones, in every row.
    assert all(c["interactions"] > 0 for c in whole["cells"])


async def test_the_questions_asked_and_answered_equal_the_planted_ground_truth(
    db: AsyncSession, settings: Settings
) -> None:
    result = await do_create_demo(
        db, hashing=HASHING, people=120, months=4, seed=13, end=date(2026, 4, 30)
    )
    await db.commit()
    truth = result.ground_truth
    months = truth["months"]
    bounds = [m["start"] for m in months] + [truth["stop"]]
    ranges = [(m["period"], bounds[i], bounds[i + 1], m["questions"]) for i, m in enumerate(months)]
    ranges.append(("whole", truth["start"], truth["stop"], truth["whole"]["questions"]))
    shown = answered = 0
    for label, start, stop, questions in ranges:
        figures = await adoption(db, start=_when(start), end=_when(stop), settings=settings)
        for key, kind in (("questions", "members"), ("questions_by_externals", "externals")):
            computed, wanted = figures[key], questions[f"by_{kind}"]
            if computed["suppressed"]:
                continue
            shown += 1
            assert computed["asked"] == wanted["asked"], (label, kind)
            if computed["answered"] is not None:  # withheld when 1 to 4 askers still wait
                assert computed["answered"] == wanted["answered"], (label, kind)
                answered += 1
    assert shown >= 5 and answered >= 2, (shown, answered)
