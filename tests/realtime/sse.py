"""A small Server-Sent Events client for tests: it reads a stream as EventSource does
(fields ``id``, ``event``, ``data``; comment lines; a blank line ends a message) and keeps
what came in a queue."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Message:
    id: str | None
    type: str
    data: dict[str, Any]
    comments: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        return int(self.id or 0)


class Stream:
    """One open ``GET /api/v1/events``. ``messages`` holds the events (type ``message`` when
    a frame has no ``event:`` line, ``heartbeat`` for a frame of comments only)."""

    def __init__(self, client: httpx.AsyncClient, response: httpx.Response) -> None:
        self.client = client
        self.response = response
        self.queue: asyncio.Queue[Message] = asyncio.Queue()
        self.last_id: str | None = None
        self.retry: int | None = None
        self.ready = asyncio.Event()  # the first frame came: the server's stream is in place
        self.closed = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        fields: dict[str, str] = {}
        comments: list[str] = []
        try:
            async for line in self.response.aiter_lines():
                if line == "":
                    self._dispatch(fields, comments)
                    fields, comments = {}, []
                elif line.startswith(":"):
                    comments.append(line[1:].strip())
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    fields[name] = (
                        fields[name] + "\n" + value if name == "data" and name in fields else value
                    )
        except (httpx.ReadError, httpx.RemoteProtocolError):
            pass
        finally:
            self.closed.set()

    def _dispatch(self, fields: dict[str, str], comments: list[str]) -> None:
        if "retry" in fields:
            self.retry = int(fields["retry"])
            self.ready.set()
        if "id" in fields:
            self.last_id = fields["id"]
        if "data" in fields:
            self.queue.put_nowait(
                Message(
                    fields.get("id"),
                    fields.get("event", "message"),
                    json.loads(fields["data"]),
                    comments,
                )
            )
        elif comments:
            self.queue.put_nowait(Message(fields.get("id"), "heartbeat", {}, comments))

    async def next(self, *, within: float = 5.0, skip_heartbeats: bool = True) -> Message:
        """The next message (heartbeats skipped unless asked for; notifications always: the
        notifications tests follow those)."""
        async with asyncio.timeout(within):
            while True:
                message = await self.queue.get()
                if message.type == "notification":
                    continue
                if message.type != "heartbeat" or not skip_heartbeats:
                    return message

    async def next_of(self, type: str, *, within: float = 5.0) -> Message:
        """The next message of a type, after checking that nothing else came first."""
        message = await self.next(within=within)
        assert message.type == type, message
        return message

    async def nothing(self, *, within: float = 0.5) -> None:
        """Check that no event (other than heartbeats) arrives for a while."""
        with contextlib.suppress(TimeoutError):
            message = await self.next(within=within)
            raise AssertionError(f"expected nothing, got {message}")

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.response.aclose()


class Streams:
    """Opens streams against a live server and closes them all at the end."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.client = httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(10, read=None))
        self.open_streams: list[Stream] = []

    async def __aenter__(self) -> Streams:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for stream in self.open_streams:
            await stream.close()
        await self.client.aclose()

    async def open(
        self,
        headers: dict[str, str],
        *,
        last_event_id: int | str | None = None,
        query: str = "",
        base_url: str | None = None,
    ) -> Stream:
        """Open a stream and wait for its first frame (the ``retry:`` hint), so that the
        server has subscribed before the test goes on."""
        headers = dict(headers)
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        url = (base_url or self.base_url) + "/api/v1/events" + query
        request = self.client.build_request("GET", url, headers=headers)
        response = await self.client.send(request, stream=True)
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = Stream(self.client, response)
        self.open_streams.append(stream)
        await asyncio.wait_for(stream.ready.wait(), 5)
        return stream
