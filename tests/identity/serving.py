"""A real ``atoll serve`` for the single sign-on browser journeys, on a fresh migrated
database with an administrator, a root unit, an Engineering unit and the "SSO Guild" space
(whose slug names the group that joins it); ``env`` adds the SSO settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.browser.conftest import Server, _atoll, env_for, serving

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
    env = {**env_for(database.url, var_dir, f"http://127.0.0.1:{port}", "sso-browser"), **env}
    await _atoll(env, "migrate")
    await _atoll(env, "create-admin", "--email", ADMIN, "--name", "Admin", "--password", PASSWORD)
    async with serving(env, port, var_dir / "serve.log") as server:
        await _arrange(server.base_url)
        yield server
