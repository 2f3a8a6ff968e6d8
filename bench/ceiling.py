"""The ceiling: what the server stack does with no application on it, measured with the same
load driver as the scenarios (``bench.load``), in the same run, so their figures can be shown
as a share of it.

``app`` is a bare Starlette application served by ``bench.server.serve(url, app="ceiling")``
— uvicorn with the options ``atoll serve`` uses — with three routes: ``GET /healthz``,
``GET /ping`` (a small JSON document) and ``GET /query?id=N`` (one indexed SELECT of a post by
primary key through SQLAlchemy's async engine, made by ``atoll.db.engine.make_engine`` on
``ATOLL_DATABASE_URL``, as a small JSON document).

``measure(kind, url, workers=)`` serves it on ``url`` and drives each route in a closed loop
(``CONNECTIONS`` simulated clients with no think time, ``WARMUP`` then ``SECONDS`` measured);
it is memoised per (database kind, workers) for the process, so every benchmark of one
``python -m bench`` run compares with the same ceiling.

The load and the server share the machine's CPUs: the figures say how much CPU the client
used (a client that takes a whole core caps what one server process can be shown to do)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

CONNECTIONS = 64
WARMUP = 2.0
SECONDS = 8.0
CLIENT_PROCS = 1


# --- the app ----------------------------------------------------------------------------------


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    from atoll.db.engine import make_engine
    from atoll.kit.settings import Settings

    app.state.engine = make_engine(Settings())
    try:
        yield
    finally:
        await app.state.engine.dispose()


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def ping(request: Request) -> Response:
    return JSONResponse({"ok": True, "at": time.time()})


async def query(request: Request) -> Response:
    from sqlalchemy import select

    from atoll.conversations.models import Post

    try:
        post_id = int(request.query_params["id"])
    except (KeyError, ValueError):
        return JSONResponse({"detail": "id: an integer"}, status_code=422)
    statement = select(Post.id, Post.space_id, Post.author_id, Post.created_at).where(
        Post.id == post_id
    )
    async with request.app.state.engine.connect() as conn:
        row = (await conn.execute(statement)).first()
    if row is None:
        return JSONResponse({"detail": "not found"}, status_code=404)
    return JSONResponse(
        {
            "id": str(row.id),
            "space_id": str(row.space_id),
            "author_id": str(row.author_id),
            "created_at": row.created_at.isoformat(),
        }
    )


app = Starlette(
    routes=[Route("/healthz", healthz), Route("/ping", ping), Route("/query", query)],
    lifespan=_lifespan,
)


# --- the measurement --------------------------------------------------------------------------


@dataclass
class Ceiling:
    ping_rps: float
    ping_p50_ms: float
    ping_p99_ms: float
    query_rps: float
    query_p50_ms: float
    query_p99_ms: float
    # Also measured: the 95th percentiles, errors, and the CPU used (as cores: CPU seconds per
    # second of measuring) by the client processes and by the server.
    ping_p95_ms: float = 0.0
    query_p95_ms: float = 0.0
    ping_errors: int = 0
    query_errors: int = 0
    ping_client_cores: float = 0.0
    query_client_cores: float = 0.0
    ping_server_cores: float = 0.0
    query_server_cores: float = 0.0
    seconds: float = SECONDS
    workers: int = 1
    examples: tuple[str, ...] = ()


_measured: dict[tuple[str, int], Ceiling] = {}


async def _max_post_id(url: str) -> int:
    from sqlalchemy import func, select

    from atoll.conversations.models import Post
    from atoll.db.engine import make_engine
    from atoll.kit.settings import Settings

    engine = make_engine(Settings(database_url=url))
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.max(Post.id)))).scalar() or 1)
    finally:
        await engine.dispose()


async def _route(
    server: Any, op: str, max_post_id: int, seconds: float
) -> tuple[Any, float, float]:
    """Drive one route: the measured window, client cores, server cores."""
    from bench.load import Person, at_marks, closed_loop, drive

    plan = closed_loop(
        server.base,
        [Person()] * CONNECTIONS,
        mix=((op, 1.0),),
        warmup=WARMUP,
        seconds=seconds,
        max_post_id=max_post_id,
    )

    async def watch(start_at: float) -> list[float]:
        return await at_marks(start_at, [WARMUP, WARMUP + seconds], server.cpu_seconds)

    windows, cpu = await drive(plan, procs=CLIENT_PROCS, watch=watch)
    window = windows["measure"]
    return window, window.client_cpu / seconds, (cpu[1] - cpu[0]) / seconds


async def measure(kind: str, url: str, *, workers: int = 1, seconds: float = SECONDS) -> Ceiling:
    """The ceiling of ``workers`` server processes on database ``url`` (of kind ``kind``),
    measured once per (kind, workers) in this process."""
    key = (kind, workers)
    if key in _measured:
        return _measured[key]
    from bench.server import serve

    max_post_id = await _max_post_id(url)
    async with serve(url, workers=workers, app="ceiling") as server:
        ping, ping_client, ping_server = await _route(server, "ping", max_post_id, seconds)
        q, q_client, q_server = await _route(server, "query", max_post_id, seconds)

    def ms(window: Any, p: float) -> float:
        return float(window.percentile(p) or 0.0)

    ceiling = Ceiling(
        ping_rps=ping.rps(),
        ping_p50_ms=ms(ping, 50),
        ping_p99_ms=ms(ping, 99),
        query_rps=q.rps(),
        query_p50_ms=ms(q, 50),
        query_p99_ms=ms(q, 99),
        ping_p95_ms=ms(ping, 95),
        query_p95_ms=ms(q, 95),
        ping_errors=ping.failed(),
        query_errors=q.failed(),
        ping_client_cores=ping_client,
        query_client_cores=q_client,
        ping_server_cores=ping_server,
        query_server_cores=q_server,
        seconds=seconds,
        workers=workers,
        examples=tuple(ping.examples + q.examples),
    )
    _measured[key] = ceiling
    return ceiling


def figures(db: str, ceiling: Ceiling) -> list[Any]:
    from bench import Figure

    out = []
    for name, label in (("ping", "bare JSON route GET /ping"), ("query", "bare indexed query")):
        c = ceiling.__dict__
        out.append(
            Figure(
                db=db,
                case=f"{label} ({ceiling.workers} worker{'s' if ceiling.workers > 1 else ''})",
                items=round(c[f"{name}_rps"] * ceiling.seconds),
                seconds=ceiling.seconds,
                p50_ms=c[f"{name}_p50_ms"],
                p95_ms=c[f"{name}_p95_ms"],
                p99_ms=c[f"{name}_p99_ms"],
                errors=c[f"{name}_errors"],
                note=(
                    f"{CONNECTIONS} connections, closed loop, {ceiling.seconds:.0f} s; "
                    f"CPU cores used: server {c[f'{name}_server_cores']:.2f}, "
                    f"client {c[f'{name}_client_cores']:.2f} ({CLIENT_PROCS} process)"
                ),
            )
        )
    return out


def _register() -> None:
    from bench import Figure, Options, benchmark
    from bench.dataset import working_copy

    @benchmark("ceiling")
    async def ceiling_benchmark(options: Options) -> list[Figure]:
        """The bare stack's throughput and latency, on each database of the run."""
        found: list[Figure] = []
        for db in options.dbs:
            async with working_copy(db, options.scale) as url:
                found += figures(db, await measure(db, url, seconds=options.seconds or SECONDS))
        for example in [e for c in _measured.values() for e in c.examples][:5]:
            print("  error example:", example)
        return found


_register()
