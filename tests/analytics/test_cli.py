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


async def test_rebuild_recomputes_new_ties(fresh_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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
            p = await people(db, await org(db))
            for n in (0, 10, 200):
                await act(db, p["ana"], p["bea"], day(n))
            await db.execute(update(Interaction).values(new_tie=False))  # as a bulk insert might
            await db.commit()

            done = await atoll(env, "analytics", "rebuild")
            assert done.exit_code == 0, done.output
            assert "90-day look-back: 2 interaction(s) changed" in done.output
            flags = select(Interaction.new_tie).order_by(Interaction.at)
            assert list(await db.scalars(flags)) == [True, False, True]

            done = await atoll(env, "analytics", "rebuild", "--lookback-days", "5")
            assert "5-day look-back: 1 interaction(s) changed" in done.output
            await db.rollback()
            assert list(await db.scalars(flags)) == [True, True, True]
    finally:
        await engine.dispose()
