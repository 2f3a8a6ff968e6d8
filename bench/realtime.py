"""Real time: live delivery to many streams, and how many idle streams one process holds.

Against one real ``atoll serve`` process (``bench.server.serve``) on a copy of the demo
dataset (``bench.dataset``, ``--scale``, default 3,000 people), per database:

1. Fan-out. K event streams (default 1,000; ``--rows`` sets K), each signed in as a different
   internal person, while one of them posts in an open space (every member reads it) at a
   steady rate — ``POSTS_PER_SECOND`` for ``SECONDS`` (``--seconds``). Every post must reach
   every stream once. Figures: the delay from "the POST was answered" (its transaction has
   committed before that) to "a stream received the event", p50/p95/p99 over all deliveries
   (target p99 ≤ 100 ms); events lost (not received within ``DRAIN_SECONDS`` of the last
   post) and repeated — both must be 0; the server's memory per idle stream (its RSS with the
   K streams open and idle, minus before, over K). Baseline: the same posting with no
   stream open.
2. Idle capacity. ``IDLE`` streams (default 10,000; 10 × K when ``--rows`` is given) opened
   against the same process, which then holds them through ``IDLE_HOLD_SECONDS`` (longer than
   a heartbeat): how many opened, how many are still open and received a heartbeat while
   held, and the server's RSS with them all open (target: 10,000 in ≤ 1 GiB).

The clients are aiohttp connections in this process (one connection per stream, as browsers
have); the server runs in its own process on the same machine, so the two share its CPUs and
the delays are those of a loaded machine."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass, field

import aiohttp
from sqlalchemy import select

from atoll.db.engine import make_engine
from atoll.kit.settings import Settings
from atoll.spaces.models import Space
from bench import Figure, Options, benchmark
from bench.dataset import Member, sign_in, working_copy
from bench.server import Server, cpu_seconds, serve

DEFAULT_STREAMS = 1_000
POSTS_PER_SECOND = 5
SECONDS = 20.0
BASELINE_SECONDS = 10.0
DRAIN_SECONDS = 30.0  # after the last post, how long events may still come in
IDLE = 10_000
IDLE_HOLD_SECONDS = 20.0  # longer than one heartbeat (15 s by default)
OPENING = 100  # streams being opened at once
LATENCY_TARGET_MS = 100.0
MEMORY_TARGET_KIB = 1024 * 1024  # 10,000 idle streams in at most 1 GiB
HEADERS = {"Accept": "text/event-stream"}


@dataclass
class Receiver:
    """One open stream: when each post's event came in, and the heartbeats."""

    token: str
    got: dict[str, list[float]] = field(default_factory=dict)
    heartbeats: int = 0
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    error: str = ""
    ended: bool = False

    def _take(self, frame: bytes, arrived: float) -> None:
        """One frame (its lines without the blank line that ended it)."""
        kind = b""
        for line in frame.split(b"\n"):
            if line.startswith(b"retry:"):
                self.opened.set()
            elif line.startswith(b":"):
                self.heartbeats += 1
            elif line.startswith(b"event: "):
                kind = line[7:].strip()
            elif line.startswith(b"data: ") and kind == b"post.created":
                post_id = line.split(b'"post_id":"', 1)[1].split(b'"', 1)[0]
                self.got.setdefault(post_id.decode(), []).append(arrived)

    async def run(self, session: aiohttp.ClientSession, base: str) -> None:
        headers = {**HEADERS, "Authorization": f"Bearer {self.token}"}
        try:
            async with session.get(f"{base}/api/v1/events", headers=headers) as response:
                if response.status != 200:
                    self.error = f"HTTP {response.status}"
                    return
                # Whatever arrived, split into frames: one await per read rather than per line
                # (the client shares the machine with the server; its own delay is measured too).
                pending = b""
                async for chunk in response.content.iter_any():
                    arrived = time.perf_counter()
                    *frames, pending = (pending + chunk).split(b"\n\n")
                    for frame in frames:
                        self._take(frame, arrived)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - counted and reported, not raised
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self.ended = True
            self.opened.set()


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, force_close=False),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=30),
    )


async def _open(
    session: aiohttp.ClientSession, base: str, tokens: list[str]
) -> tuple[list[Receiver], list[asyncio.Task[None]], float]:
    """Open one stream per token, ``OPENING`` at a time; wait until each has its first frame."""
    receivers = [Receiver(token) for token in tokens]
    tasks: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    for i in range(0, len(receivers), OPENING):
        chunk = receivers[i : i + OPENING]
        tasks += [asyncio.create_task(r.run(session, base)) for r in chunk]
        await asyncio.wait_for(asyncio.gather(*(r.opened.wait() for r in chunk)), 120)
    return receivers, tasks, time.perf_counter() - started


async def _close(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _post_steadily(
    session: aiohttp.ClientSession, base: str, token: str, space_id: int, seconds: float
) -> dict[str, float]:
    """POSTS_PER_SECOND posts for ``seconds``; when each was answered (committed)."""
    answered: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    for n in range(int(POSTS_PER_SECOND * seconds)):
        await asyncio.sleep(max(0.0, start + n / POSTS_PER_SECOND - time.perf_counter()))
        async with session.post(
            f"{base}/api/v1/spaces/{space_id}/posts", headers=headers, json={"body": f"Live {n}"}
        ) as reply:
            reply.raise_for_status()
            answered[(await reply.json())["id"]] = time.perf_counter()
    return answered


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _open_space_of(url: str, member: Member) -> int:
    """One of the member's spaces that every internal person reads (open, not archived)."""
    engine = make_engine(Settings(database_url=url, secret_key="bench-" + "x" * 40))
    try:
        async with engine.connect() as db:
            space_id = await db.scalar(
                select(Space.id)
                .where(
                    Space.id.in_(member.space_ids),
                    Space.visibility == "open",
                    Space.archived_at.is_(None),
                )
                .order_by(Space.id)
                .limit(1)
            )
    finally:
        await engine.dispose()
    if space_id is None:
        raise RuntimeError(f"{member.name} belongs to no open space")
    return int(space_id)


async def _fan_out(
    kind: str, server: Server, members: list[Member], space_id: int, seconds: float
) -> list[Figure]:
    author = members[0]
    base = server.base
    pid = server.worker_pids()[0]
    async with _session() as session:
        started = time.perf_counter()
        baseline_posts = await _post_steadily(
            session, base, author.token, space_id, min(BASELINE_SECONDS, seconds)
        )
        baseline = time.perf_counter() - started
        await asyncio.sleep(1)
        rss_before = server.rss_kib()
        receivers, tasks, open_seconds = await _open(session, base, [m.token for m in members])
        await asyncio.sleep(3)
        per_stream_kib = (server.rss_kib() - rss_before) / len(members)

        started = time.perf_counter()
        server_cpu, own_cpu = cpu_seconds(pid), cpu_seconds(os.getpid())
        answered = await _post_steadily(session, base, author.token, space_id, seconds)
        expected = set(answered)
        deadline = time.perf_counter() + DRAIN_SECONDS
        while time.perf_counter() < deadline and any(  # noqa: ASYNC110 - polls the receivers
            len(expected & r.got.keys()) < len(expected) for r in receivers
        ):
            await asyncio.sleep(0.2)
        server_cpu = cpu_seconds(pid) - server_cpu
        own_cpu = cpu_seconds(os.getpid()) - own_cpu
        finished = max((t for r in receivers for ts in r.got.values() for t in ts), default=0.0)
        await _close(tasks)

    delays = [
        max(0.0, times[0] - answered[post_id])
        for r in receivers
        for post_id, times in r.got.items()
        if post_id in answered
    ]
    lost = sum(len(expected - r.got.keys()) for r in receivers)
    repeated = sum(len(times) - 1 for r in receivers for times in r.got.values())
    failed = sum(1 for r in receivers if r.error)
    p50, p95, p99 = (_percentile(delays, q) for q in (0.5, 0.95, 0.99))
    k = len(members)
    note = (
        f"max {_percentile(delays, 1.0) or 0:.0f} ms; lost {lost}, repeated {repeated}, "
        f"streams failed {failed}; {per_stream_kib:.1f} KiB per idle stream (RSS delta / "
        f"{k:,}); {k:,} streams opened in {open_seconds:.1f} s; CPU while posting: server "
        f"{server_cpu:.1f} s, clients {own_cpu:.1f} s"
    )
    return [
        Figure(
            kind,
            f"{len(answered)} posts to {k:,} streams: commit→receipt",
            len(answered) * k,
            max(finished - started, 1e-9),
            baseline,
            note,
            p50_ms=p50,
            p95_ms=p95,
            p99_ms=p99,
            errors=lost + repeated + failed,
            target=f"p99 ≤ {LATENCY_TARGET_MS:.0f} ms, 0 lost/repeated",
            met=p99 is not None and p99 <= LATENCY_TARGET_MS and lost + repeated + failed == 0,
        ),
        Figure(
            kind,
            f"{len(baseline_posts)} posts, no stream (baseline)",
            len(baseline_posts),
            baseline,
        ),
        Figure(
            kind,
            f"memory per idle stream, {k:,} streams (KiB in items)",
            round(per_stream_kib),
            1.0,
            note=f"{per_stream_kib:.1f} KiB: server RSS {rss_before / 1024:.0f} MiB before",
        ),
    ]


async def _idle(kind: str, server: Server, members: list[Member], count: int) -> Figure:
    tokens = [members[i % len(members)].token for i in range(count)]
    rss_before = server.rss_kib()
    cpu_before = server.cpu_seconds()
    async with _session() as session:
        receivers, tasks, open_seconds = await _open(session, server.base, tokens)
        opened = sum(1 for r in receivers if not r.error and not r.ended)
        rss_open = server.rss_kib()
        beats_before = [r.heartbeats for r in receivers]
        held_from = time.perf_counter()
        await asyncio.sleep(IDLE_HOLD_SECONDS)
        held = time.perf_counter() - held_from
        rss_held = server.rss_kib()
        still_open = sum(1 for r in receivers if not r.ended)
        beating = sum(
            1
            for r, before in zip(receivers, beats_before, strict=True)
            if not r.ended and r.heartbeats > before
        )
        errors = [r.error for r in receivers if r.error]
        cpu = server.cpu_seconds() - cpu_before
        await _close(tasks)
    rss = max(rss_open, rss_held)
    note = (
        f"opened {opened:,} of {count:,} in {open_seconds:.1f} s; after {held:.0f} s idle "
        f"{still_open:,} still open, {beating:,} got a heartbeat; server RSS {rss / 1024:.0f} "
        f"MiB ({rss_before / 1024:.0f} MiB before, {(rss - rss_before) / count:.1f} KiB per "
        f"stream); server CPU {cpu:.1f} s while opening and holding"
    )
    if errors:
        note += f"; first error: {errors[0]}"
    failures = count - min(opened, still_open, beating)
    return Figure(
        kind,
        f"{count:,} idle streams held by one process",
        still_open,
        held,
        note=note,
        errors=failures,
        target=f"{IDLE:,} in ≤ 1 GiB, all open with heartbeats",
        met=count >= IDLE and failures == 0 and rss <= MEMORY_TARGET_KIB,
    )


async def _run(kind: str, options: Options) -> list[Figure]:
    streams = options.rows or DEFAULT_STREAMS
    idle = IDLE if options.rows is None else 10 * options.rows
    seconds = options.seconds or SECONDS
    async with working_copy(kind, options.scale) as url:
        members = await sign_in(url, max(streams, idle))  # as many different people as there are
        if len(members) < streams:
            print(f"  {kind}: only {len(members)} people to stream as", file=sys.stderr)
        space_id = await _open_space_of(url, members[0])
        async with serve(url) as server:
            figures = await _fan_out(kind, server, members[:streams], space_id, seconds)
            await asyncio.sleep(2)
            figures.append(await _idle(kind, server, members, idle))
    return figures


@benchmark("realtime")
async def realtime(options: Options) -> list[Figure]:
    figures: list[Figure] = []
    for kind in options.dbs:
        figures += await _run(kind, options)
    print("\n".join(f"  {f.db} {f.case}: {f.note}" for f in figures if f.note), file=sys.stderr)
    return figures
