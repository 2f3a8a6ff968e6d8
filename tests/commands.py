"""Running the `atoll` command in this process, as the console would run it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from atoll.cli import app as cli
from atoll.db.engine import make_engine, make_sessionmaker
from atoll.kit.settings import Settings
from atoll.people.models import Person


async def atoll(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    """``atoll *args`` with ``env`` set: its output and exit code. It runs in a thread, so
    that the command's own event loop does not meet the test's."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), input=stdin, env=env)


async def people(env: dict[str, str]) -> list[tuple[str, str]]:
    engine = make_engine(
        Settings(database_url=env["ATOLL_DATABASE_URL"], var_dir=Path(env["ATOLL_VAR_DIR"]))
    )
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await session.execute(select(Person.email, Person.role).order_by(Person.email))
            return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        await engine.dispose()
