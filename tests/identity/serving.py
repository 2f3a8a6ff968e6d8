"""A real ``atoll serve`` for the single sign-on browser journeys, on a fresh migrated
database with an administrator, a root unit, an Engineering unit and the "SSO Guild" space
(whose slug names the group that joins it); ``env`` adds the SSO settings."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.browser.conftest import BIN, Server, _atoll, _wait_healthy

ADMIN, PASSWORD = "admin@example.com", "an admin password 123"


async def _arrange(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        token = (
            await http.post("/api/v1/auth/token", json={"email": ADMIN, "password": PASSWORD})
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        root = await http.post("/api/v1/units", json={"name": "Northwind"})
        assert root.status_code == 201, root.text
        unit = await http.post(
            "/api/v1/units", json={"name": "Engineering", "parent_id": root.json()["id"]}
        )
        assert unit.status_code == 201, unit.text
        space = await http.post(
            "/api/v1/spaces",
            json={"name": "SSO Guild", "kind": "community", "visibility": "private"},
        )
        assert space.status_code == 201 and space.json()["slug"] == "sso-guild", space.text


@asynccontextmanager
async def atoll_serving(
    fresh_database: Any, var_dir: Path, port: int, env: dict[str, str]
) -> AsyncIterator[Server]:
    database = await fresh_database("sso-browser")
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ATOLL_DATABASE_URL": database.url,
        "ATOLL_VAR_DIR": str(var_dir),
        "ATOLL_SECRET_KEY": "sso-browser-secret-" + "x" * 32,
        "ATOLL_ARGON2_TIME_COST": "1",
        "ATOLL_ARGON2_MEMORY_KIB": "1024",
        "ATOLL_BASE_URL": base_url,
        "ATOLL_REDIS_URL": "",
        **env,
    }
    await _atoll(env, "migrate")
    await _atoll(env, "create-admin", "--email", ADMIN, "--name", "Admin", "--password", PASSWORD)
    server = Server(base_url=base_url, env=env, log=var_dir / "serve.log")
    with server.log.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(BIN / "atoll"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        await _wait_healthy(base_url, process, server)
        await _arrange(base_url)
        yield server
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
