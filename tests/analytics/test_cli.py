"""`atoll analytics rebuild` against a fresh database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from atoll import migrate
from atoll.analytics.models import Interaction
from atoll.db.engine import make_engine
from atoll.kit.settings import Settings
from atoll.wiring import make_sessions
from tests.analytics.helpers import act, day, org, people
from tests.commands import atoll


def _said(output: str) -> str:
    """The command's words on one line (the console wraps them at its width)."""
    return " ".join(output.split())


async def test_rebuild_recomputes_new_ties_and_scopes(fresh_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    database = await fresh_database("analytics_cli")
    env = {
        "ATOLL_DATABASE_URL": database.url,
        "ATOLL_VAR_DIR": str(tmp_path / "var"),
        "ATOLL_ARGON2_TIME_COST": "1",
        "ATOLL_ARGON2_MEMORY_KIB": "1024",
    }
    settings = Settings(database_url=database.url, var_dir=tmp_path / "var")
    engine = make_engine(settings)
    try:
        await migrate.upgrade(engine)
        async with make_sessions(engine, settings)() as db:
            units = await org(db)
            p = await people(db, units)
            sales = units["sales"].id
            for n in (0, 10, 200):
                await act(db, p["ana"], p["bea"], day(n))  # EMEA, both
            await act(db, p["ana"], p["cid"], day(300))  # EMEA and APAC: across silos
            await db.execute(update(Interaction).values(new_tie=False))  # as a bulk insert might
            await db.commit()

            done = await atoll(env, "analytics", "rebuild")
            assert done.exit_code == 0, done.output
            assert "Rebuilding the log" in done.output and "100 %" in done.output
            assert (
                "Rebuilt 4 interaction(s) at silo level 2 with a 90-day look-back: "
                "0 changed scope, 3 changed new tie." in _said(done.output)
            )
            flags = select(Interaction.new_tie).order_by(Interaction.at)
            assert list(await db.scalars(flags)) == [True, False, True, True]

            done = await atoll(env, "analytics", "rebuild", "--lookback-days", "5")
            assert "5-day look-back: 0 changed scope, 1 changed new tie." in _said(done.output)
            await db.rollback()
            assert list(await db.scalars(flags)) == [True, True, True, True]

            # One level up, the silos are the divisions: EMEA and APAC are both Sales.
            done = await atoll(env | {"ATOLL_SILO_LEVEL": "1"}, "analytics", "rebuild")
            assert "at silo level 1 with a 90-day look-back: 1 changed scope" in _said(done.output)
            await db.rollback()
            i = Interaction
            rows = await db.execute(
                select(i.scope, i.actor_silo_id, i.target_silo_id).order_by(i.at)
            )
            assert list(rows.tuples()) == [("within", sales, sales)] * 4
    finally:
        await engine.dispose()
