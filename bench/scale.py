"""Read latency at scale: the feed, the home page, a space's page and posts, a post's page and
its API, search and the analytics of 12 months, against a real ``atoll serve`` on a copy of the
demo organisation (``--scale large``: 10,000 people, 1,000,000 posts, 12 months).

One request at a time over loopback (keep-alive, one connection), as signed-in people: each
case is warmed up, then timed ``SAMPLES`` times, spread over different people, spaces, posts
and search words, so that the figures are the server's latency for one reader, not a queue.
Latency is from sending the request to having read the whole body. Every answer must be a
200; anything else counts as an error.

The search words come from the demo's own sentences (:mod:`atoll.demo.words`): single topic
words, quoted phrases, prefixes of topic words (``onbo*``) and people's first names.

``vs ceiling``: the p50 of the bare indexed SQL query behind a JSON route (the ceiling app of
:mod:`bench.ceiling`, served the same way on the same data), timed in the same run in the same
way, one request at a time, over this case's p50: how close the case is to the cheapest read
the stack can serve."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from typing import Any

from sqlalchemy import func, select

from atoll.conversations.models import Post
from atoll.db.engine import make_engine
from atoll.demo import words
from atoll.kit.settings import Settings
from atoll.spaces.models import Space
from atoll.wiring import make_sessions
from bench import Figure, Options, benchmark
from bench.dataset import Member, history_end, sign_in, sign_in_admin, working_copy
from bench.server import serve

SAMPLES = 200  # timed requests per case
WARM_UP = 10  # untimed requests per case first
ANALYTICS_SAMPLES = 20  # each takes up to a second
PEOPLE = 100  # signed-in people the requests rotate over

# (case, target p99 in ms); None: measured, no target in the issue
TARGETS: dict[str, float | None] = {
    "feed (API, 25 posts)": 50,
    "home page (HTML)": None,
    "space page (HTML)": None,
    "space posts (API, 25)": None,
    "post page (HTML)": 50,
    "post (API)": 50,
    "search (API)": 100,
    "analytics matrix+journey 12 months (API)": 1000,
}


@dataclass
class Request:
    path: str
    token: str


@dataclass
class Sample:
    """The requests of one case, in order; ``warm`` more are sent first, untimed."""

    case: str
    requests: list[Request]
    warm: list[Request]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def search_queries(rng: random.Random, count: int) -> list[str]:
    """Realistic queries from the demo's vocabulary: words, phrases, prefixes and names."""
    topic_words = sorted(
        {w for t in words.TOPICS for w in re.findall(r"[a-z]+", t) if len(w) >= 4} - {"with"}
    )
    phrases = [f'"{t.removeprefix("the ")}"' for t in words.TOPICS]
    prefixes = [w[:4] + "*" for w in topic_words]
    names = list(words.FIRST)
    pools = (topic_words, phrases, prefixes, names)
    queries = []
    for i in range(count):
        pool = pools[i % len(pools)]
        queries.append(rng.choice(pool))
    return queries


async def _sample_posts(
    url: str, members: list[Member], rng: random.Random, count: int
) -> tuple[list[tuple[Member, int]], dict[int, str]]:
    """``count`` (person, post id) pairs — a live post in one of the person's spaces, anywhere
    in its history — and the slugs of the people's spaces."""
    settings = Settings(database_url=url, secret_key="bench-" + "x" * 40, redis_url="")
    engine = make_engine(settings)
    try:
        async with make_sessions(engine, Settings())() as db:
            space_ids = sorted({s for m in members for s in m.space_ids})
            slugs = dict(
                (await db.execute(select(Space.id, Space.slug).where(Space.id.in_(space_ids))))
                .tuples()
                .all()
            )
            sizes: dict[int, int] = {}
            picks: list[tuple[Member, int]] = []
            while len(picks) < count:
                member = rng.choice(members)
                space_id = rng.choice(member.space_ids)
                if space_id not in sizes:
                    sizes[space_id] = (
                        await db.scalar(
                            select(func.count())
                            .select_from(Post)
                            .where(Post.space_id == space_id, Post.deleted_at.is_(None))
                        )
                        or 0
                    )
                if not sizes[space_id]:
                    continue
                post_id = await db.scalar(
                    select(Post.id)
                    .where(Post.space_id == space_id, Post.deleted_at.is_(None))
                    .order_by(Post.created_at.desc(), Post.id.desc())
                    .offset(rng.randrange(sizes[space_id]))
                    .limit(1)
                )
                if post_id is not None:
                    picks.append((member, post_id))
            return picks, slugs
    finally:
        await engine.dispose()


def _plan(
    members: list[Member],
    admin: Member,
    posts: list[tuple[Member, int]],
    slugs: dict[int, str],
    rng: random.Random,
) -> list[Sample]:
    total = WARM_UP + SAMPLES

    def people() -> list[Member]:
        return [members[i % len(members)] for i in range(total)]

    def spaces() -> list[tuple[Member, int]]:
        return [(m, rng.choice(m.space_ids)) for m in people()]

    def split(case: str, requests: list[Request]) -> Sample:
        return Sample(case, requests[WARM_UP:], requests[:WARM_UP])

    end = datetime.combine(history_end() + timedelta(days=1), day_time(0), tzinfo=UTC)
    begin = end.replace(year=end.year - 1)
    matrix = (
        f"/api/v1/analytics/value-matrix?from={begin:%Y-%m-%d}"
        f"&to={end - timedelta(days=1):%Y-%m-%d}&period=month"
    )
    in_spaces = spaces()
    queries = search_queries(rng, total)
    return [
        split("feed (API, 25 posts)", [Request("/api/v1/feed", m.token) for m in people()]),
        split("home page (HTML)", [Request("/", m.token) for m in people()]),
        split("space page (HTML)", [Request(f"/spaces/{slugs[s]}", m.token) for m, s in in_spaces]),
        split(
            "space posts (API, 25)",
            [Request(f"/api/v1/spaces/{s}/posts", m.token) for m, s in spaces()],
        ),
        split("post page (HTML)", [Request(f"/posts/{p}", m.token) for m, p in posts]),
        split("post (API)", [Request(f"/api/v1/posts/{p}", m.token) for m, p in posts[::-1]]),
        split(
            "search (API)",
            [
                Request(f"/api/v1/search?q={_quote(q)}", m.token)
                for m, q in zip(people(), queries, strict=True)
            ],
        ),
        Sample(
            "analytics matrix+journey 12 months (API)",
            [Request(matrix, admin.token)] * ANALYTICS_SAMPLES,
            [Request(matrix, admin.token)] * 2,
        ),
    ]


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


async def _time(http: Any, base: str, request: Request) -> tuple[float, int]:
    started = time.perf_counter()
    async with http.get(
        base + request.path, headers={"Authorization": f"Bearer {request.token}"}
    ) as answer:
        await answer.read()
        status = answer.status
    return (time.perf_counter() - started) * 1000, status


async def ceiling_latency(url: str, rng: random.Random) -> Figure:
    """The bare indexed query (``bench.ceiling``'s ``/query?id=N``: one SELECT of a post by
    primary key behind a JSON route on the same server stack), timed exactly as the cases are:
    one request at a time. ``bench.ceiling.measure`` drives it with 64 connections, whose p50 is
    mostly queueing; a one-reader latency must be compared with a one-reader latency."""
    import aiohttp

    from bench.ceiling import _max_post_id

    top = await _max_post_id(url)
    ids = [rng.randint(1, top) for _ in range(WARM_UP + SAMPLES)]
    latencies = []
    async with serve(url, app="ceiling") as server:
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(connector=connector) as http:
            for i, post_id in enumerate(ids):
                ms, _ = await _time(http, server.base, Request(f"/query?id={post_id}", ""))
                if i >= WARM_UP:
                    latencies.append(ms)
    return Figure(
        db="",
        case="ceiling: bare indexed query (1 reader)",
        items=len(latencies),
        seconds=sum(latencies) / 1000,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        errors=0,
    )


async def run_cases(
    kind: str,
    base: str,
    samples: list[Sample],
    ceiling_p50: float | None,
    log: Callable[[str], None],
) -> list[Figure]:
    import aiohttp

    figures = []
    connector = aiohttp.TCPConnector(limit=1)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        for sample in samples:
            first = None
            for request in sample.warm:
                ms, _ = await _time(http, base, request)
                first = ms if first is None else first
            latencies, errors, statuses = [], 0, set()
            started = time.perf_counter()
            for request in sample.requests:
                ms, status = await _time(http, base, request)
                latencies.append(ms)
                if status != 200:
                    errors += 1
                    statuses.add(status)
            seconds = time.perf_counter() - started
            p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99))
            target = TARGETS.get(sample.case)
            note = f"max {max(latencies):.1f} ms; first (cold) request {first:.1f} ms"
            if statuses:
                note += f"; statuses {sorted(statuses)}"
            figures.append(
                Figure(
                    db=kind,
                    case=sample.case,
                    items=len(latencies),
                    seconds=seconds,
                    note=note,
                    p50_ms=p50,
                    p95_ms=p95,
                    p99_ms=p99,
                    errors=errors,
                    vs_ceiling=ceiling_p50 / p50 if ceiling_p50 else None,
                    target="" if target is None else f"p99 <= {target:g} ms",
                    met=None if target is None else (p99 <= target and errors == 0),
                )
            )
            log(f"    {sample.case}: p50 {p50:.1f} p99 {p99:.1f} ms, {errors} errors")
    return figures


@benchmark("scale")
async def scale(options: Options) -> list[Figure]:
    figures: list[Figure] = []
    for kind in options.dbs:
        async with working_copy(kind, options.scale) as url:
            rng = random.Random(8)
            members = await sign_in(url, PEOPLE)
            admin = await sign_in_admin(url)
            posts, slugs = await _sample_posts(url, members, rng, WARM_UP + SAMPLES)
            samples = _plan(members, admin, posts, slugs, rng)
            ceiling = await ceiling_latency(url, rng)
            ceiling.db = kind
            figures.append(ceiling)
            ceiling_p50 = ceiling.p50_ms
            async with serve(url) as server:
                print(f"  {kind} {options.scale}: {len(members)} people, serving {server.base}")
                figures += await run_cases(
                    kind, server.base, samples, ceiling_p50, lambda line: print(line, flush=True)
                )
    return figures
