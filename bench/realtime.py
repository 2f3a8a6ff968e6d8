"""Live delivery: N event streams (default 1,000; ``--rows`` sets N) open on one real ``atoll
serve`` process, while posts are made through its API at a steady rate (5 a second for 20
seconds). Every stream belongs to a member of the space, so every post must reach every
stream once.

Figures per database: deliveries (posts × streams) over the time from the first post until
the last event arrived; in the note, the delay from "the POST was answered" (the transaction
has committed) to "a stream received the event", p50 and p99 over all deliveries, the events
lost and repeated (must be 0), and the server's memory per idle stream (its RSS with the
streams open and idle, minus before, over N). Baseline: the same posts with no stream open.

The clients run in this process, the server in its own, on the same machine: their CPU time
is shared, so the delays are those of a loaded machine."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from atoll.config import Settings
from atoll.db.engine import make_sessionmaker
from atoll.people import auth
from atoll.people.service import do_create_person
from atoll.spaces.service import do_add_member, do_create_space
from bench import Figure, Options, benchmark
from bench.databases import fresh_engine

DEFAULT_STREAMS = 1_000
PEOPLE = 50  # the streams belong to this many people, round robin
POSTS_PER_SECOND = 5
SECONDS = 20
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _arrange(engine: AsyncEngine) -> tuple[str, list[str], str]:
    """An author, PEOPLE readers who belong to one space; their bearer tokens."""
    settings = Settings(database_url=str(engine.url), secret_key="bench-" + "x" * 40)
    async with make_sessionmaker(engine)() as db:
        author = await do_create_person(
            db, actor=None, name="Author", email="author@bench.example", role="admin"
        )
        space = await do_create_space(
            db, actor=author, name="Live", kind="community", visibility="private"
        )
        tokens = []
        for i in range(PEOPLE):
            person = await do_create_person(
                db, actor=None, name=f"Reader {i}", email=f"reader{i}@bench.example"
            )
            await do_add_member(db, actor=author, space=space, person_id=person.id)
            tokens.append(await auth.do_start_session(db, settings, person=person, kind="token"))
        author_token = await auth.do_start_session(db, settings, person=author, kind="token")
        await db.commit()
        return author_token, tokens, str(space.id)


class Receiver:
    """One open stream; records when each post's event came in."""

    def __init__(self) -> None:
        self.got: dict[str, list[float]] = {}
        self.ready = asyncio.Event()

    async def run(self, client: httpx.AsyncClient, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with client.stream("GET", "/api/v1/events", headers=headers) as response:
            kind = ""
            async for line in response.aiter_lines():
                if line.startswith("retry:"):
                    self.ready.set()
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "post.created":
                    post_id = line.split('"post_id":"', 1)[1].split('"', 1)[0]
                    self.got.setdefault(post_id, []).append(time.perf_counter())


async def _post_steadily(client: httpx.AsyncClient, token: str, space_id: str) -> dict[str, float]:
    """POSTS_PER_SECOND posts for SECONDS; when each was answered (committed)."""
    answered: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    for n in range(POSTS_PER_SECOND * SECONDS):
        await asyncio.sleep(max(0.0, start + n / POSTS_PER_SECOND - time.perf_counter()))
        reply = await client.post(
            f"/api/v1/spaces/{space_id}/posts", headers=headers, json={"body": f"Post {n}"}
        )
        reply.raise_for_status()
        answered[reply.json()["id"]] = time.perf_counter()
    return answered


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run(kind: str, streams: int) -> list[Figure]:
    async with fresh_engine(kind, "sse") as engine:
        author_token, tokens, space_id = await _arrange(engine)
        url = engine.url.render_as_string(hide_password=False)
        await engine.dispose()  # the server has the database to itself
        return await _serve_and_measure(kind, url, streams, author_token, tokens, space_id)


async def _serve_and_measure(
    kind: str, url: str, streams: int, author_token: str, tokens: list[str], space_id: str
) -> list[Figure]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="atoll-bench-sse-") as tmp:
        env = {
            **os.environ,
            "ATOLL_DATABASE_URL": url,
            "ATOLL_VAR_DIR": tmp,
            "ATOLL_SECRET_KEY": "bench-" + "x" * 40,
            "ATOLL_REDIS_URL": "",
            "ATOLL_HOUSEKEEPING_SECONDS": "0",
        }
        log = Path(tmp) / "serve.log"
        with log.open("wb") as out:
            server = await asyncio.create_subprocess_exec(
                str(BIN / "atoll"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                env=env,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        timeout = httpx.Timeout(30, read=None)
        try:
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
                for _ in range(300):
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/healthz")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError("atoll serve did not start:\n" + log.read_text())
                return await _measure(
                    kind, client, server.pid, streams, author_token, tokens, space_id
                )
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(server.wait(), 15)
            except TimeoutError:
                os.killpg(server.pid, signal.SIGKILL)
                await server.wait()


async def _measure(
    kind: str,
    client: httpx.AsyncClient,
    pid: int,
    streams: int,
    author_token: str,
    tokens: list[str],
    space_id: str,
) -> list[Figure]:
    # Baseline: the same posting with no stream open.
    started = time.perf_counter()
    baseline_posts = await _post_steadily(client, author_token, space_id)
    baseline = time.perf_counter() - started

    await asyncio.sleep(1)
    rss_before = _rss_kib(pid)
    receivers = [Receiver() for _ in range(streams)]
    tasks = [
        asyncio.create_task(r.run(client, tokens[i % len(tokens)])) for i, r in enumerate(receivers)
    ]
    opened = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(r.ready.wait() for r in receivers)), 300)
    open_seconds = time.perf_counter() - opened
    await asyncio.sleep(3)
    per_stream_kib = (_rss_kib(pid) - rss_before) / streams

    started = time.perf_counter()
    server_cpu, own_cpu = _cpu_seconds(pid), _cpu_seconds(os.getpid())
    answered = await _post_steadily(client, author_token, space_id)
    deadline = time.perf_counter() + 60
    expected = set(answered)
    while time.perf_counter() < deadline and any(  # noqa: ASYNC110 - polls 1,000 receivers
        len(expected & r.got.keys()) < len(expected) for r in receivers
    ):
        await asyncio.sleep(0.2)
    finished = max((t for r in receivers for ts in r.got.values() for t in ts), default=started)
    server_cpu = _cpu_seconds(pid) - server_cpu
    own_cpu = _cpu_seconds(os.getpid()) - own_cpu
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    delays = [
        max(0.0, times[0] - answered[post_id])
        for r in receivers
        for post_id, times in r.got.items()
        if post_id in answered
    ]
    lost = sum(len(expected - r.got.keys()) for r in receivers)
    repeated = sum(len(times) - 1 for r in receivers for times in r.got.values())
    foreign = sum(1 for r in receivers for post_id in r.got if post_id not in answered)
    deliveries = len(answered) * streams
    note = (
        f"commit→receipt p50 {_ms(delays, 0.5):.0f} ms, p99 {_ms(delays, 0.99):.0f} ms, "
        f"max {_ms(delays, 1.0):.0f} ms; lost {lost}, repeated {repeated}, "
        f"{per_stream_kib:.0f} KiB per idle stream; {streams:,} streams opened in "
        f"{open_seconds:.1f} s; CPU while posting: server {server_cpu:.0f} s, clients "
        f"{own_cpu:.0f} s"
    )
    if foreign:
        note += f"; {foreign} events of earlier posts (the baseline's) seen"
    return [
        Figure(
            kind,
            f"{len(answered)} posts to {streams:,} streams",
            deliveries,
            finished - started,
            baseline,
            note,
        ),
        Figure(
            kind,
            f"{len(baseline_posts)} posts, no stream (baseline)",
            len(baseline_posts),
            baseline,
        ),
    ]


@benchmark("realtime")
async def realtime(options: Options) -> list[Figure]:
    streams = options.rows or DEFAULT_STREAMS
    figures: list[Figure] = []
    for kind in options.dbs:
        figures += await _run(kind, streams)
    print("\n".join(f"  {f.db} {f.case}: {f.note}" for f in figures if f.note), file=sys.stderr)
    return figures
