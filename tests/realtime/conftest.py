"""Real-time fixtures: the suite's app served over real HTTP (uvicorn in this loop), so that
streams are read as a client reads them, chunk by chunk, and disconnects are real."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn

from tests.realtime.helpers import until
from tests.realtime.sse import Streams


@pytest.fixture(scope="package")
async def live_url(app) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await until(lambda: server.started)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def streams(app, live_url: str) -> AsyncIterator[Streams]:  # type: ignore[no-untyped-def]
    """Open event streams; all are closed after the test, and the server's side of them has
    ended before the next test empties the tables (the hub keeps its window only while a
    stream listens, so the next one starts afresh from the log as that test leaves it)."""
    async with Streams(live_url) as opened:
        yield opened
    await until(lambda: app.state.hub.streams == 0)
