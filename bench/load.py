"""The load driver the ceiling, mixed, capacity and scale-out benchmarks share.

Simulated people (``Person``: a bearer token and the spaces they belong to, or nobody for the
ceiling's bare routes) each run one loop: pick an operation from a mix, send it, record its
latency, think (an exponential pause of a configurable mean; 0 is a closed loop), again. People
are started in steps (``Plan.steps``) and measured in named windows (``Plan.windows``), so one
run can warm up and measure, or add people step by step and measure each step.

The people of one plan can be split over several client processes (``drive(..., procs=N)``):
asyncio + aiohttp (+ uvloop) in one process handles a few thousand requests a second, and the
load shares the machine's cores with the server under test, so each window also records the
client processes' CPU seconds.

Any answer that is not 2xx, any exception and any time-out is an error: counted per operation
and window, the first few kept as examples."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import resource
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any
from urllib.parse import quote

from atoll.demo import words

# The mix of what a person does.
MIX: tuple[tuple[str, float], ...] = (
    ("feed", 0.55),
    ("open_post", 0.15),
    ("post", 0.05),
    ("comment", 0.10),
    ("react", 0.10),
    ("search", 0.05),
)
OPS = tuple(name for name, _ in MIX)
REACTIONS = ("👍", "❤️", "🎉", "😄", "😮", "🙏", "👀", "🚀", "✅", "💡")
# Search words: the demo's topics, the words people would look for.
VOCABULARY = sorted(
    {
        w.strip(".,:!?").lower()
        for topic in words.TOPICS
        for w in topic.split()
        if len(w) >= 4 and w.isalpha() and w != "the"
    }
)
EXAMPLES = 5  # error examples kept per window and process
SEEN = 60  # post ids a person remembers from their feeds


@dataclass(frozen=True)
class Person:
    token: str | None = None
    space_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What one client process runs. Times are seconds after ``start_at`` (wall clock)."""

    base: str  # http://127.0.0.1:port
    people: tuple[Person, ...]
    mix: tuple[tuple[str, float], ...] = MIX
    think: float = 0.0  # mean pause between two actions of one person; 0: closed loop
    # (at, count): from ``at`` on, the first ``count`` people of the plan are active; each
    # step's newcomers start spread over ``ramp`` seconds.
    steps: tuple[tuple[float, int], ...] = ()
    ramp: float = 1.0
    windows: tuple[tuple[str, float, float], ...] = ()  # (name, from, to)
    end: float = 10.0
    start_at: float = 0.0
    sse: bool = False  # each person holds an event stream open and reads it
    timeout: float = 10.0
    max_post_id: int = 1  # the ceiling's /query?id= range
    seed: int = 0
    # (mean ms, p99 ms of any operation, share of errors): when a window that just ended
    # breaks one of them, the run stops (the capacity benchmark's thresholds).
    stop_if: tuple[float, float, float] | None = None


@dataclass
class Window:
    """What was measured in one window: latencies (ms) and errors per operation."""

    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    timeouts: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    client_cpu: float = 0.0  # CPU seconds of the client processes during the window
    events: int = 0  # SSE messages received
    complete: bool = False  # the run went on until the window's end

    def breaks(self, mean_ms: float, p99_ms: float, error_share: float) -> list[str]:
        """Which of the thresholds this window breaks (none: it held)."""
        broken = []
        mean = self.mean()
        if mean is not None and mean > mean_ms:
            broken.append(f"mean {mean:.0f} ms > {mean_ms:.0f} ms")
        for op in sorted(set(self.latencies) | set(self.errors) | set(self.timeouts)):
            p99 = self.percentile(99, op)
            if p99 is not None and p99 > p99_ms:
                broken.append(f"{op} p99 {p99:.0f} ms > {p99_ms:.0f} ms")
        attempts = self.count() + self.failed()
        if attempts and self.failed() / attempts > error_share:
            broken.append(f"errors {self.failed()}/{attempts} > {error_share:.3%}")
        return broken

    def merge(self, other: Window) -> None:
        self.seconds = max(self.seconds, other.seconds)
        for op, values in other.latencies.items():
            self.latencies.setdefault(op, []).extend(values)
        for op, n in other.errors.items():
            self.errors[op] = self.errors.get(op, 0) + n
        for op, n in other.timeouts.items():
            self.timeouts[op] = self.timeouts.get(op, 0) + n
        self.examples += other.examples[: max(0, EXAMPLES * 2 - len(self.examples))]
        self.client_cpu += other.client_cpu
        self.events += other.events
        self.complete = self.complete or other.complete

    # --- readings ---

    def count(self, op: str | None = None) -> int:
        if op is not None:
            return len(self.latencies.get(op, ()))
        return sum(len(v) for v in self.latencies.values())

    def failed(self, op: str | None = None) -> int:
        if op is not None:
            return self.errors.get(op, 0) + self.timeouts.get(op, 0)
        return sum(self.errors.values()) + sum(self.timeouts.values())

    def rps(self, op: str | None = None) -> float:
        return self.count(op) / self.seconds if self.seconds else 0.0

    def all_latencies(self, ops: Sequence[str] | None = None) -> list[float]:
        found: list[float] = []
        for op, values in self.latencies.items():
            if ops is None or op in ops:
                found += values
        return found

    def percentile(self, q: float, op: str | None = None) -> float | None:
        values = self.latencies.get(op, []) if op is not None else self.all_latencies()
        return percentile(values, q)

    def mean(self, ops: Sequence[str] | None = None) -> float | None:
        values = self.all_latencies(ops)
        return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


class Recorder:
    """Puts each finished request into the windows its completion time falls in."""

    def __init__(self, plan: Plan, origin: float) -> None:
        self.origin = origin  # loop time of start_at
        self.bounds = [(name, origin + a, origin + b) for name, a, b in plan.windows]
        self.windows = {name: Window(seconds=b - a) for name, a, b in plan.windows}
        self.stopped = asyncio.Event()

    def _open(self, now: float) -> list[Window]:
        return [self.windows[name] for name, a, b in self.bounds if a <= now < b]

    def ok(self, op: str, now: float, seconds: float) -> None:
        for w in self._open(now):
            w.latencies.setdefault(op, []).append(seconds * 1000)

    def error(self, op: str, now: float, detail: str, *, timeout: bool = False) -> None:
        for w in self._open(now):
            counts = w.timeouts if timeout else w.errors
            counts[op] = counts.get(op, 0) + 1
            if len(w.examples) < EXAMPLES:
                w.examples.append(f"{op}: {detail}"[:300])

    def event(self, now: float) -> None:
        for w in self._open(now):
            w.events += 1


class Simulated:
    """One person's loop."""

    def __init__(
        self, plan: Plan, person: Person, http: Any, recorder: Recorder, rng: random.Random
    ) -> None:
        self.plan, self.person, self.http, self.rec, self.rng = plan, person, http, recorder, rng
        self.headers = {"Authorization": f"Bearer {person.token}"} if person.token else {}
        self.seen: deque[str] = deque(maxlen=SEEN)  # any post read in a feed
        self.mine: deque[str] = deque(maxlen=SEEN)  # posts in spaces they belong to
        self.names = [name for name, _ in plan.mix]
        self.weights = [w for _, w in plan.mix]
        self.posted = 0

    async def run(self, start: float, end: float) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.rec.stopped.wait(), max(0.0, start - loop.time()))
        if self.rec.stopped.is_set():
            return
        stream = None
        if self.plan.sse and self.person.token:
            stream = asyncio.create_task(self.stream(end))
        try:
            while True:
                if self.plan.think:
                    await self.pause(self.rng.expovariate(1 / self.plan.think))
                if loop.time() >= end or self.rec.stopped.is_set():
                    break
                op = self.rng.choices(self.names, self.weights)[0]
                await self.act(op, loop)
        finally:
            if stream is not None:
                stream.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await stream

    async def pause(self, seconds: float) -> None:
        if seconds > 1:  # long pauses end early when the run stops
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.rec.stopped.wait(), seconds)
        else:
            await asyncio.sleep(seconds)

    def target(self, op: str) -> tuple[str, str, str, Any, Callable[[Any], None] | None]:
        """The request an operation sends: the operation it counts as (opening a post before
        any feed was read reads the feed; commenting or reacting before a post of one's own
        spaces was seen posts one), method, path, JSON body, what to do with the answer."""
        if op == "open_post" and not self.seen:
            op = "feed"
        if op in ("comment", "react") and not self.mine:
            op = "post"
        return (op, *self._request(op))

    def _request(self, op: str) -> tuple[str, str, Any, Callable[[Any], None] | None]:
        rng = self.rng
        if op == "ping":
            return "GET", "/ping", None, None
        if op == "query":
            return "GET", f"/query?id={rng.randint(1, self.plan.max_post_id)}", None, None
        if op == "feed":
            return "GET", "/api/v1/feed", None, self.remember
        if op == "open_post":
            return "GET", f"/api/v1/posts/{rng.choice(self.seen)}", None, None
        if op == "post":
            self.posted += 1
            space = rng.choice(self.person.space_ids)
            body = {"body": f"Load test post {self.posted}: {rng.choice(words.TOPICS)}."}
            return "POST", f"/api/v1/spaces/{space}/posts", body, self.remember_own
        if op == "comment":
            body = {"body": rng.choice(words.COMMENTS)}
            return "POST", f"/api/v1/posts/{rng.choice(self.mine)}/comments", body, None
        if op == "react":
            emoji = quote(rng.choice(REACTIONS))
            return "PUT", f"/api/v1/posts/{rng.choice(self.mine)}/reactions/{emoji}", None, None
        if op == "search":
            return "GET", f"/api/v1/search?q={rng.choice(VOCABULARY)}", None, None
        raise ValueError(f"unknown operation {op!r}")

    def remember(self, page: Any) -> None:
        for item in page["items"]:
            self.seen.append(item["id"])
            if int(item["space_id"]) in self.person.space_ids:
                self.mine.append(item["id"])

    def remember_own(self, post: Any) -> None:
        self.seen.append(post["id"])
        self.mine.append(post["id"])

    async def act(self, op: str, loop: asyncio.AbstractEventLoop) -> None:
        op, method, path, body, then = self.target(op)
        started = loop.time()
        try:
            async with self.http.request(
                method, self.plan.base + path, json=body, headers=self.headers
            ) as response:
                data = await response.read()
                status = response.status
        except TimeoutError:
            self.rec.error(op, loop.time(), f"timed out after {self.plan.timeout} s", timeout=True)
            return
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none is fatal
            self.rec.error(op, loop.time(), f"{type(exc).__name__}: {exc}")
            return
        now = loop.time()
        if not 200 <= status < 300:
            self.rec.error(op, now, f"{method} {path} -> {status} {data[:200]!r}")
            return
        self.rec.ok(op, now, now - started)
        if then is not None:
            then(json.loads(data))

    async def stream(self, end: float) -> None:
        """Hold the person's event stream open and read it; a stream that fails or ends
        before the run does is an error (``events`` op), and is opened again."""
        import aiohttp

        loop = asyncio.get_running_loop()
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.plan.timeout)
        headers = {**self.headers, "Accept": "text/event-stream"}
        while loop.time() < end and not self.rec.stopped.is_set():
            started = loop.time()
            try:
                async with self.http.get(
                    self.plan.base + "/api/v1/events", headers=headers, timeout=timeout
                ) as response:
                    if response.status != 200:
                        body = await response.read()
                        self.rec.error("events", loop.time(), f"{response.status} {body[:200]!r}")
                        await asyncio.sleep(1)
                        continue
                    self.rec.ok("events", loop.time(), loop.time() - started)
                    async for chunk in response.content.iter_any():
                        self.rec.event(loop.time()) if b"data:" in chunk else None
                if loop.time() < end:
                    self.rec.error("events", loop.time(), "the stream ended")
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                self.rec.error("events", loop.time(), "timed out connecting", timeout=True)
            except Exception as exc:  # noqa: BLE001 - counted
                self.rec.error("events", loop.time(), f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(1)


async def _run_plan(plan: Plan) -> dict[str, Window]:
    import aiohttp

    loop = asyncio.get_running_loop()
    origin = loop.time() + (plan.start_at - time.time())
    recorder = Recorder(plan, origin)
    connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)
    timeout = aiohttp.ClientTimeout(total=plan.timeout)
    rng = random.Random(plan.seed)
    cpu: dict[str, float] = {}

    async def sample_cpu() -> None:
        marks = sorted(
            [(origin + a, name, "from") for name, a, _ in plan.windows]
            + [(origin + b, name, "to") for name, _, b in plan.windows]
        )
        for at, name, edge in marks:
            await asyncio.sleep(max(0.0, at - loop.time()))
            used = _cpu_now()
            window = recorder.windows[name]
            if edge == "from":
                cpu[name] = used
                continue
            window.client_cpu = used - cpu.get(name, used)
            window.complete = True
            if plan.stop_if is not None and window.breaks(*plan.stop_if):
                recorder.stopped.set()
                return

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        sampler = asyncio.create_task(sample_cpu())
        tasks = []
        started = 0
        for at, count in plan.steps:
            newcomers = plan.people[started:count]
            for i, person in enumerate(newcomers):
                offset = at + plan.ramp * i / max(1, len(newcomers))
                user = Simulated(plan, person, http, recorder, random.Random(rng.random()))
                tasks.append(asyncio.create_task(user.run(origin + offset, origin + plan.end)))
            started = max(started, count)
        await asyncio.gather(*tasks)
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
    return recorder.windows


def _cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_plan(plan: Plan) -> dict[str, Window]:
    """Run one plan in this process (the entry point of a client process)."""
    try:
        import uvloop

        return uvloop.run(_run_plan(plan))
    except ImportError:
        return asyncio.run(_run_plan(plan))


def split(plan: Plan, procs: int) -> list[Plan]:
    """The plan for each of ``procs`` client processes: people dealt round robin, each step's
    count divided accordingly."""
    parts = []
    for k in range(procs):
        people = plan.people[k::procs]
        steps = tuple((at, len(range(k, count, procs))) for at, count in plan.steps)
        parts.append(
            Plan(
                **{
                    **plan.__dict__,
                    "people": people,
                    "steps": steps,
                    "seed": plan.seed * 1000 + k,
                }
            )
        )
    return parts


async def drive(
    plan: Plan,
    *,
    procs: int = 1,
    lead: float = 3.0,
    watch: Callable[[float], Awaitable[Any]] | None = None,
) -> tuple[dict[str, Window], Any]:
    """Run ``plan`` in ``procs`` client processes starting ``lead`` seconds from now: the
    merged windows, and what ``watch(start_at)`` returned (it runs meanwhile, in this
    process: readings of the server at the windows' edges)."""
    plan = Plan(**{**plan.__dict__, "start_at": time.time() + lead})
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=procs, mp_context=get_context("spawn")) as pool:
        running = [loop.run_in_executor(pool, run_plan, part) for part in split(plan, procs)]
        watching = asyncio.create_task(watch(plan.start_at)) if watch is not None else None
        results = await asyncio.gather(*running)
        watched = None
        if watching is not None:
            if not watching.done():  # the run stopped early
                watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                watched = await watching
    merged = {name: Window(seconds=b - a) for name, a, b in plan.windows}
    for windows in results:
        for name, window in windows.items():
            merged[name].merge(window)
    return merged, watched


async def at_marks(
    start_at: float, marks: Sequence[float], read: Callable[[], Any], into: list[Any] | None = None
) -> list[Any]:
    """Call ``read`` at each of ``marks`` seconds after ``start_at`` (wall clock): readings of
    the server (CPU seconds, memory) taken at the windows' edges while the load runs. They are
    appended to ``into`` as they come (a cancelled watch leaves the ones it took)."""
    readings = [] if into is None else into
    for mark in marks:
        await asyncio.sleep(max(0.0, start_at + mark - time.time()))
        readings.append(read())
    return readings


def closed_loop(
    base: str,
    people: Sequence[Person],
    *,
    mix: tuple[tuple[str, float], ...] = MIX,
    think: float = 0.0,
    warmup: float,
    seconds: float,
    max_post_id: int = 1,
    sse: bool = False,
) -> Plan:
    """All people from the start (spread over the first second), one window after the warm-up."""
    return Plan(
        base=base,
        people=tuple(people),
        mix=mix,
        think=think,
        steps=((0.0, len(people)),),
        ramp=min(1.0, warmup),
        windows=(("measure", warmup, warmup + seconds),),
        end=warmup + seconds,
        max_post_id=max_post_id,
        sse=sse,
    )


@dataclass
class Run:
    """One measured window of a plan against a server, with the CPU both sides used."""

    window: Window
    server_cpu: float  # CPU seconds of the server's processes during the window
    client_cpu: float
    rss_kib: int  # the server's resident memory at the window's end
    machine_cpu: float = 0.0  # CPU seconds the whole machine was busy (every process)

    @property
    def server_cores(self) -> float:
        return self.server_cpu / self.window.seconds if self.window.seconds else 0.0

    @property
    def client_cores(self) -> float:
        return self.client_cpu / self.window.seconds if self.window.seconds else 0.0

    @property
    def server_ms_per_request(self) -> float:
        n = self.window.count() + self.window.failed()
        return 1000 * self.server_cpu / n if n else 0.0

    @property
    def machine_cores(self) -> float:
        return self.machine_cpu / self.window.seconds if self.window.seconds else 0.0

    def cpu_note(self) -> str:
        return (
            f"CPU cores used: server {self.server_cores:.2f} "
            f"({self.server_ms_per_request:.2f} ms per request), client {self.client_cores:.2f}, "
            f"whole machine {self.machine_cores:.2f} of {os.cpu_count()}"
        )


def machine_busy_seconds() -> float:
    """CPU seconds the machine has spent on anything but idling and waiting, all CPUs."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def run_windows(server: Any, plan: Plan, *, procs: int = 1) -> dict[str, Run]:
    """Drive ``plan`` against ``server`` (a ``bench.server.Server``); each window with the
    server's CPU seconds and memory read at its edges."""
    marks = sorted({t for _, a, b in plan.windows for t in (a, b)})

    taken: list[tuple[float, int, float]] = []

    def read() -> tuple[float, int, float]:
        return server.cpu_seconds(), server.rss_kib(), machine_busy_seconds()

    async def watch(start_at: float) -> None:
        await at_marks(start_at, marks, read, taken)

    windows, _ = await drive(plan, procs=procs, watch=watch)
    readings = dict(zip(marks, taken, strict=False))
    runs = {}
    for name, a, b in plan.windows:
        w = windows[name]
        if a in readings and b in readings:
            (cpu_a, _, busy_a), (cpu_b, rss_b, busy_b) = readings[a], readings[b]
            runs[name] = Run(w, cpu_b - cpu_a, w.client_cpu, rss_b, busy_b - busy_a)
        else:  # not reached: the run stopped before
            runs[name] = Run(w, 0.0, w.client_cpu, 0)
    return runs


def window_figure(db: str, case: str, window: Window, op: str | None = None, **extra: Any) -> Any:
    """A figure of a window (or of one operation in it): count, rate, percentiles, errors +
    time-outs; ``extra`` sets the other fields (note, target, met, vs_ceiling)."""
    from bench import Figure

    return Figure(
        db=db,
        case=case,
        items=window.count(op),
        seconds=window.seconds,
        p50_ms=window.percentile(50, op),
        p95_ms=window.percentile(95, op),
        p99_ms=window.percentile(99, op),
        errors=window.failed(op),
        **extra,
    )


def latency_figures(db: str, window: Window, ops: Sequence[str], *, prefix: str = "") -> list[Any]:
    """One figure per operation: count, rate, percentiles, errors + time-outs."""
    return [
        window_figure(db, f"{prefix}{op}", window, op)
        for op in ops
        if window.count(op) or window.failed(op)
    ]
