"""`atoll analytics rebuild`, run as a real process against a fresh database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, update

from atoll.analytics.models import Interaction
from atoll.config import Settings
from atoll.db.engine import make_engine
from atoll.wiring import make_sessions
from tests.analytics.helpers import act, day, org, people

ATOLL = str(Path(sys.executable).parent / "atoll")


async def test_rebuild_recomputes_new_ties(fresh_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    database = await fresh_database("analytics_cli")
    env = {
        **os.environ,
        "ATOLL_DATABASE_URL": database.url,
        "ATOLL_VAR_DIR": str(tmp_path / "var"),
        "ATOLL_ARGON2_TIME_COST": "1",
        "ATOLL_ARGON2_MEMORY_KIB": "1024",
    }

    def atoll(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ATOLL, *args], env=env, capture_output=True, text=True, timeout=120)

    assert (await asyncio.to_thread(atoll, "migrate")).returncode == 0
    settings = Settings(database_url=database.url, var_dir=tmp_path / "var")
    engine = make_engine(settings)
    try:
        async with make_sessions(engine, settings)() as db:
            p = await people(db, await org(db))
            for n in (0, 10, 200):
                await act(db, p["ana"], p["bea"], day(n))
            await db.execute(update(Interaction).values(new_tie=False))  # as a bulk insert might
            await db.commit()

            done = await asyncio.to_thread(atoll, "analytics", "rebuild")
            assert done.returncode == 0, done.stderr
            assert "90-day look-back: 2 interaction(s) changed" in done.stdout
            flags = select(Interaction.new_tie).order_by(Interaction.at)
            assert list(await db.scalars(flags)) == [True, False, True]

            done = await asyncio.to_thread(atoll, "analytics", "rebuild", "--lookback-days", "5")
            assert "5-day look-back: 1 interaction(s) changed" in done.stdout
            await db.rollback()
            assert list(await db.scalars(flags)) == [True, True, True]
    finally:
        await engine.dispose()
