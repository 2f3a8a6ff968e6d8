"""Two real ``atoll serve`` processes on one PostgreSQL database and one Redis: an event made
through one reaches a stream of the other; when the server a client streams from dies, the
client resumes on the other with Last-Event-ID and loses and duplicates nothing.

This needs a database that several processes share, so it runs on the PostgreSQL run of the
suite only (deselected on SQLite; see ``postgres_only`` in tests/conftest.py). It fails —
never skips — when Redis is not there."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis

from tests.browser.conftest import BIN, Server, _atoll, _free_port, _wait_healthy
from tests.realtime.sse import Streams

pytestmark = pytest.mark.postgres_only

REDIS_URL = os.environ.get("ATOLL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "two-servers-password"


class Cluster:
    def __init__(self, env: dict[str, str], var_dir: Path) -> None:
        self.env, self.var_dir = env, var_dir
        self.servers: list[tuple[Server, asyncio.subprocess.Process]] = []

    async def start(self, name: str) -> Server:
        port = _free_port()
        server = Server(f"http://127.0.0.1:{port}", self.env, self.var_dir / f"{name}.log")
        with server.log.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                str(BIN / "atoll"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                env=self.env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        self.servers.append((server, process))
        await _wait_healthy(server.base_url, process, server)
        return server

    def kill(self, server: Server) -> None:
        """SIGKILL: no graceful shutdown, connections just drop."""
        for known, process in self.servers:
            if known is server:
                os.killpg(process.pid, signal.SIGKILL)

    async def stop(self) -> None:
        for _, process in self.servers:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    os.killpg(process.pid, signal.SIGKILL)
                    await process.wait()


@pytest.fixture
async def cluster(
    fresh_database: Callable[[str], Awaitable[Any]], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    try:
        await redis.from_url(REDIS_URL).ping()
    except Exception as error:  # noqa: BLE001 - say what is missing, then fail
        pytest.fail(f"Redis is needed at {REDIS_URL} (ATOLL_TEST_REDIS_URL): {error!r}")
    database = await fresh_database("twoservers")
    var_dir = tmp_path_factory.mktemp("two-servers")
    env = {
        **os.environ,
        "ATOLL_DATABASE_URL": database.url,
        "ATOLL_REDIS_URL": REDIS_URL,
        "ATOLL_VAR_DIR": str(var_dir),
        "ATOLL_SECRET_KEY": "two-servers-secret-" + "x" * 32,
        "ATOLL_ARGON2_TIME_COST": "1",
        "ATOLL_ARGON2_MEMORY_KIB": "1024",
        "ATOLL_SSE_HEARTBEAT_SECONDS": "2",
        "ATOLL_RATE_POSTS_PER_MINUTE": "0",  # one person posts quickly here; no write limit
    }
    await _atoll(env, "migrate")
    await _atoll(
        env,
        "create-admin",
        "--email",
        "admin@two.example",
        "--name",
        "Admin",
        "--password",
        PASSWORD,
    )
    running = Cluster(env, var_dir)
    try:
        yield running
    finally:
        await running.stop()


async def _token(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    answer = await client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _figures(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"{name}: p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms"


async def test_events_cross_servers_and_a_client_resumes_on_the_other_one(
    cluster: Cluster,
) -> None:
    one, two = await cluster.start("one"), await cluster.start("two")
    async with (
        httpx.AsyncClient(base_url=one.base_url, timeout=10) as via_one,
        Streams(two.base_url) as streams,
    ):
        admin = await _token(via_one, "admin@two.example")
        person = await via_one.post(
            "/api/v1/people",
            headers=admin,
            json={"name": "Rita Reader", "email": "rita@two.example", "password": PASSWORD},
        )
        assert person.status_code == 201, person.text
        space = await via_one.post(
            "/api/v1/spaces",
            headers=admin,
            json={"name": "Ops", "kind": "community", "visibility": "private"},
        )
        assert space.status_code == 201, space.text
        space_id = space.json()["id"]
        added = await via_one.post(
            f"/api/v1/spaces/{space_id}/members",
            headers=admin,
            json={"person_id": person.json()["id"], "role": "member"},
        )
        assert added.status_code == 201, added.text
        async with httpx.AsyncClient(base_url=two.base_url, timeout=10) as via_two:
            reader = await _token(via_two, "rita@two.example")

        async def post(text: str) -> tuple[str, float, float]:
            sent = time.perf_counter()
            answer = await via_one.post(
                f"/api/v1/spaces/{space_id}/posts", headers=admin, json={"body": text}
            )
            assert answer.status_code == 201, answer.text
            return answer.json()["id"], sent, time.perf_counter()

        # 1. A post made through server one reaches a stream on server two.
        stream = await streams.open(reader, base_url=two.base_url)
        from_send, from_commit = [], []
        for i in range(20):
            post_id, sent, committed = await post(f"Hello {i}")
            message = await stream.next_of("post.created")
            received = time.perf_counter()
            assert message.data["post_id"] == post_id
            from_send.append(received - sent)
            from_commit.append(max(received - committed, 0.0))

        # 2. The server the client streams from dies while posts keep coming through the
        #    other; the client resumes there with the last id it saw.
        posted: list[str] = []

        async def keep_posting() -> None:
            for i in range(60):
                posted.append((await post(f"Busy {i}"))[0])
                await asyncio.sleep(0.02)

        posting = asyncio.create_task(keep_posting())
        before: list[str] = []
        while len(before) < 10:
            before.append((await stream.next_of("post.created")).data["post_id"])
        cluster.kill(two)
        await asyncio.wait_for(stream.closed.wait(), 10)
        while not stream.queue.empty():  # what arrived before the connection dropped
            message = stream.queue.get_nowait()
            if message.type == "post.created":
                before.append(message.data["post_id"])
        resumed = await streams.open(reader, base_url=one.base_url, last_event_id=stream.last_id)
        after: list[str] = []
        await posting
        while len(before) + len(after) < len(posted):
            after.append((await resumed.next_of("post.created", within=10)).data["post_id"])
        await resumed.nothing(within=1.0)

    received = before + after
    assert received == posted  # every post, once, in order
    print(
        "\ntwo servers, PostgreSQL + Redis, 20 sequential posts through one, received on two:\n  "
        + _figures("POST sent → event received", from_send)
        + "\n  "
        + _figures("POST answered (committed) → event received", from_commit)
        + f"\n  after the kill: {len(before)} events before, {len(after)} resumed on the other"
        " server, none lost or repeated"
    )
