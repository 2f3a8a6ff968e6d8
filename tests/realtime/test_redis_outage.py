"""A Redis outage does not stop a server: it starts without Redis (one warning), its own
streams still hear of its events, and it subscribes again when Redis comes back — a real
``redis-server`` started by the test on the port that nothing listened on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from fastapi import FastAPI

from atoll.app import create_app
from atoll.events.broker import CHANNEL, RedisBroker
from atoll.kit.settings import Settings
from tests.browser.conftest import BIN, Server, _atoll, _wait_healthy
from tests.conversations.helpers import make_space
from tests.factories import auth_headers, make_person
from tests.realtime.helpers import announcements, until

WITHIN = 30.0  # generous bounds on waits; the checks are about what arrives, not when


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def redis_server(port: int) -> AsyncIterator[str]:
    """A real, throw-away redis-server on ``port``."""
    process = await asyncio.create_subprocess_exec(
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        await process.wait()


async def _heard(subscription: Any, within: float = WITHIN) -> list[str]:
    """What a raw Redis subscriber got on the channel until something came."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    got: list[str] = []
    while not got and loop.time() < deadline:
        item = await subscription.get_message(ignore_subscribe_messages=True, timeout=1.0)
        if item is not None:
            got.append(item["data"].decode())
    return got


async def test_the_app_starts_without_redis_and_subscribes_again_when_it_returns(
    app: FastAPI, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    application = create_app(settings.model_copy(update={"redis_url": url}))
    caplog.set_level(logging.WARNING, logger="atoll")
    async with application.router.lifespan_context(application):
        broker = application.state.broker
        assert isinstance(broker, RedisBroker) and not broker.connected
        outage = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
        assert len(outage) == 1 and outage[0].levelno == logging.WARNING

        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            async with application.state.sessionmaker() as db:
                headers = await auth_headers(client, await make_person(db))
            space_id = (await make_space(client, headers))["id"]
            path = f"/api/v1/spaces/{space_id}/posts"

            # without Redis, this server's own streams still hear of its events at once
            async with announcements(broker) as heard:
                assert (
                    await client.post(path, json={"body": "No Redis"}, headers=headers)
                ).is_success
                await until(lambda: bool(heard), within=WITHIN)
            assert len([r for r in caplog.records if "cannot be reached" in r.getMessage()]) == 1

            async with redis_server(port):
                await until(lambda: broker.connected, within=WITHIN)
                assert any("answers again" in r.getMessage() for r in caplog.records)
                raw = redis.from_url(url)
                subscription = raw.pubsub()
                await subscription.subscribe(CHANNEL)
                try:
                    # announcements go out through Redis again...
                    made = await client.post(path, json={"body": "Redis is back"}, headers=headers)
                    assert made.status_code == 201
                    assert (await _heard(subscription))[0].isdigit()
                    # ...and what other servers announce comes in
                    async with announcements(broker) as heard:
                        await raw.publish(CHANNEL, "424242")
                        await until(lambda: "424242" in heard, within=WITHIN)
                finally:
                    await subscription.aclose()
                    await raw.aclose()


async def test_atoll_serve_starts_while_redis_is_unreachable(
    fresh_database: Callable[[str], Awaitable[Any]], tmp_path: Path
) -> None:
    database = await fresh_database("no_redis")
    port = _free_port()
    env = {
        **os.environ,
        "ATOLL_DATABASE_URL": database.url,
        "ATOLL_VAR_DIR": str(tmp_path),
        "ATOLL_SECRET_KEY": "no-redis-secret-" + "x" * 32,
        "ATOLL_REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0",  # nothing listens there
        "ATOLL_HOUSEKEEPING_SECONDS": "0",
    }
    await _atoll(env, "migrate")
    server = Server(f"http://127.0.0.1:{port}", env, tmp_path / "serve.log")
    with server.log.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(BIN / "atoll"),
            "serve",
            "--port",
            str(port),
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        await _wait_healthy(server.base_url, process, server)
        assert server.log_text().count("cannot be reached") == 1
    finally:
        process.terminate()
        await process.wait()
