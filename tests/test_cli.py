"""The `atoll` command against a fresh database: in this process, and as a real process where
the process is the point (`atoll serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from sqlalchemy import func, select

from atoll.db.engine import make_engine, make_sessionmaker
from atoll.kit.settings import Settings
from atoll.people.models import Person
from tests.browser.conftest import Server, _free_port, _wait_healthy
from tests.commands import atoll, people

ATOLL = str(Path(sys.executable).parent / "atoll")


async def test_create_admin_with_and_without_password_option(cli_env: dict[str, str]) -> None:
    done = await atoll(
        cli_env,
        "create-admin",
        "--email",
        "Root@Example.com",
        "--name",
        "Root",
        "--password",
        "long enough pw",
    )
    assert done.exit_code == 0, done.output
    prompted = await atoll(
        cli_env,
        "create-admin",
        "--email",
        "second@example.com",
        "--name",
        "Second",
        stdin="another secret\nanother secret\n",
    )
    assert prompted.exit_code == 0, prompted.output
    again = await atoll(
        cli_env,
        "create-admin",
        "--email",
        "root@example.com",
        "--name",
        "Root",
        "--password",
        "long enough pw",
    )
    assert again.exit_code == 1 and "already" in again.output
    short = await atoll(
        cli_env, "create-admin", "--email", "x@example.com", "--name", "X", "--password", "short"
    )
    assert short.exit_code == 1 and "password" in short.output
    assert await people(cli_env) == [("root@example.com", "admin"), ("second@example.com", "admin")]


async def test_import_org_reports_and_refuses_bad_files(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    good = tmp_path / "org.csv"
    good.write_text(
        "email,name,title,unit_path,kind,organization,relation\n"
        "a@example.com,A,,Sales/EMEA,member,,\n"
        "b@acme.example,B,,,external,Acme,customer\n"
    )
    first = await atoll(cli_env, "import-org", str(good))
    assert first.exit_code == 0, first.output
    assert "Created 2 people" in first.output
    second = await atoll(cli_env, "import-org", str(good))
    assert "Created 0 people, updated 0, unchanged 2" in second.output
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text() + "c@example.com,C,,,member,,\n")
    refused = await atoll(cli_env, "import-org", str(bad))
    assert refused.exit_code == 1 and "line 4" in refused.output
    assert len(await people(cli_env)) == 2


async def test_demo_is_created_once_and_prints_how_to_sign_in(cli_env: dict[str, str]) -> None:
    first = await atoll(cli_env, "demo")
    assert first.exit_code == 0, first.output
    assert (
        "admin@northwind.example" in first.output and "ana.silva@northwind.example" in first.output
    )
    count = len(await people(cli_env))
    assert count == 300  # the default size of the demo organisation
    second = await atoll(cli_env, "demo")
    assert second.exit_code == 0 and "Created the demo" not in second.output
    assert len(await people(cli_env)) == count
    engine = make_engine(
        Settings(database_url=cli_env["ATOLL_DATABASE_URL"], var_dir=Path(cli_env["ATOLL_VAR_DIR"]))
    )
    async with make_sessionmaker(engine)() as session:
        externals = await session.scalar(select(func.count()).where(Person.kind == "external"))
    await engine.dispose()
    assert externals and externals >= 3


async def test_import_org_refuses_to_make_the_last_administrator_external(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    made = await atoll(
        cli_env,
        "create-admin",
        "--email",
        "root@example.com",
        "--name",
        "Root",
        "--password",
        "long enough pw",
    )
    assert made.exit_code == 0, made.output
    demote = tmp_path / "org.csv"
    demote.write_text(
        "email,name,title,unit_path,kind,organization,relation\n"
        "a@example.com,A,,Sales,member,,\n"
        "root@example.com,Root,,,external,Root Consulting,partner\n"
    )
    refused = await atoll(cli_env, "import-org", str(demote))
    assert refused.exit_code == 1
    said = " ".join(refused.output.split())  # the console wraps long lines
    assert "line 3: kind: making root@example.com external" in said
    assert "would leave no active administrator" in said
    assert await people(cli_env) == [("root@example.com", "admin")]


@contextlib.asynccontextmanager
async def serving(env: dict[str, str], log: Path) -> AsyncIterator[str]:
    """``atoll serve`` on a free port until the block ends; yields its base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            ATOLL, "serve", "--port", str(port), env=env, stdout=out,
            stderr=asyncio.subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        await _wait_healthy(base_url, process, Server(base_url, env, log))
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        await process.wait()


async def _address_seen(base_url: str, forwarded: dict[str, str]) -> str:
    """The client address a sign-in through this server was recorded with."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        answer = await client.post(
            "/api/v1/auth/token",
            json={"email": "root@example.com", "password": "long enough pw"},
            headers=forwarded,
        )
        assert answer.status_code == 200, answer.text
        token = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        mine = (await client.get("/api/v1/me/sessions", headers=token)).json()
    return str(next(s["address"] for s in mine if s["current"]))


async def test_serve_believes_x_forwarded_for_only_from_trusted_proxies(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """uvicorn on its own believes anyone on 127.0.0.1; `atoll serve` only the proxies of
    ATOLL_TRUSTED_PROXIES (none by default)."""
    made = await atoll(cli_env, "create-admin", "--email", "root@example.com", "--name", "Root",
                 "--password", "long enough pw")  # fmt: skip
    assert made.exit_code == 0, made.output
    forged = {"X-Forwarded-For": "192.0.2.55"}
    env = {k: v for k, v in os.environ.items() if k != "FORWARDED_ALLOW_IPS"} | cli_env
    async with serving(env, tmp_path / "untrusting.log") as base_url:
        assert await _address_seen(base_url, forged) == "127.0.0.1"
    trusting = {**env, "ATOLL_TRUSTED_PROXIES": "127.0.0.1"}
    async with serving(trusting, tmp_path / "trusting.log") as base_url:
        assert await _address_seen(base_url, forged) == "192.0.2.55"
