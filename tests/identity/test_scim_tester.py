"""scim2-tester (the python-scim project's SCIM compliance checker, which nobody here wrote)
against a real ``atoll serve``: a fresh migrated database with an administrator and the top of
the organisation, a token from ``atoll scim-token``, and every check the tester offers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.browser.conftest import BIN, _free_port, env_for, serving

PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


async def _atoll(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        str(BIN / "atoll"),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    if process.returncode != 0:
        pytest.fail(f"`atoll {' '.join(args)}` failed:\n{out.decode()}\n{err.decode()}")
    return out.decode()


@pytest.fixture(scope="module")
async def scim_server(
    fresh_database: Callable[[str], Awaitable[Any]], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, str]]:
    """``atoll serve`` on a new database; its SCIM base URL and a token for it."""
    database = await fresh_database("scim")
    var_dir = tmp_path_factory.mktemp("scim-var")
    port = _free_port()
    env = env_for(database.url, var_dir, f"http://127.0.0.1:{port}", "scim")
    await _atoll(env, "migrate")
    await _atoll(
        env,
        "create-admin",
        "--email",
        "ada@example.com",
        "--name",
        "Ada",
        "--password",
        "correct horse battery",
    )
    token = (await _atoll(env, "scim-token", "--name", "scim2-tester")).strip()
    async with serving(env, port, var_dir / "serve.log") as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            answer = await client.post(
                "/api/v1/auth/token",
                json={"email": "ada@example.com", "password": "correct horse battery"},
            )
            admin = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            made = await client.post("/api/v1/units", json={"name": "Northwind"}, headers=admin)
            assert made.status_code == 201, made.text
        yield f"{server.base_url}/scim/v2", token


def _run_checks(base: str, token: str) -> list[Any]:
    with httpx2.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        return check_server(SyncSCIMClient(http))


async def test_every_scim2_tester_check_passes(scim_server: tuple[str, str]) -> None:
    base, token = scim_server
    results = await asyncio.to_thread(_run_checks, base, token)
    titles = {r.title for r in results}
    # Every check passes: none is left out, not even as SKIPPED.
    failing = [
        f"{r.resource_type or ''} {r.title}: {r.status.name} {r.reason}"
        for r in results
        if r.status not in PASSING
    ]
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status.name] = counts.get(r.status.name, 0) + 1
    print(f"scim2-tester: {len(results)} results, {counts}")  # shown with pytest -s
    assert not failing, "\n".join(failing)
    # the whole run happened: discovery, both resource types, every PATCH kind
    for expected in (
        "object_creation",
        "object_replacement",
        "object_deletion",
        "check_add_attribute",
        "check_remove_attribute",
        "check_replace_attribute",
        "query_all_schemas",
        "random_url",
        "search_with_attributes",  # POST /.search: Users and Groups at once
    ):
        assert expected in titles
    assert {r.resource_type for r in results} >= {"User", "Group"}
    searched = [r for r in results if r.title == "search_with_attributes"]
    assert {r.resource_type for r in searched} == {"User", "Group"}
