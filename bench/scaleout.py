"""Scale-out: does a second server process add throughput? PostgreSQL and Redis (the broker,
``redis://127.0.0.1:6379/0``), the dataset of ``--scale`` copied to PostgreSQL, the mixed
workload's mix (``bench.mixed``) for ``PEOPLE`` people (64: enough requests in flight to keep
two processes busy, few enough to stay under the 10 s time-out) in a closed loop with no think
time — the server saturated — against ``atoll serve --workers 1``, then ``--workers 2``, each
on a fresh server: ``WARMUP`` then ``SECONDS`` (``--seconds``) measured. The figure is the
ratio of the two throughputs (target: at least 1.6).

Read it with the machine in mind: it has 2 CPUs, and the load generator, PostgreSQL, Redis
and the server processes all share them. Each run says the CPU cores the server, the client
and the whole machine used; when the machine is already busy with one server process, the
second can only add what is left."""

from __future__ import annotations

from bench import Figure, Options, benchmark
from bench.dataset import working_copy
from bench.load import Run, closed_loop, run_windows, window_figure
from bench.mixed import people_of
from bench.server import serve

REDIS = "redis://127.0.0.1:6379/0"
PEOPLE = 64
WARMUP = 5.0
SECONDS = 15.0
CLIENT_PROCS = 1
TARGET = 1.6


@benchmark("scaleout")
async def scaleout(options: Options) -> list[Figure]:
    seconds = options.seconds or SECONDS
    runs: dict[int, Run] = {}
    async with working_copy("postgres", options.scale) as url:
        people = await people_of(url, PEOPLE)
        for workers in (1, 2):
            async with serve(url, workers=workers, redis_url=REDIS) as server:
                plan = closed_loop(server.base, people, warmup=WARMUP, seconds=seconds)
                runs[workers] = (await run_windows(server, plan, procs=CLIENT_PROCS))["measure"]
    figures = []
    for workers, run in runs.items():
        w = run.window
        for example in w.examples[:3]:
            print(f"  error example ({workers} workers):", example)
        figures.append(
            window_figure(
                "postgres",
                f"{workers} worker process{'es' if workers > 1 else ''}, saturated",
                w,
                note=f"{len(people)} people, closed loop; {run.cpu_note()}",
            )
        )
    one, two = runs[1].window.rps(), runs[2].window.rps()
    ratio = two / one if one else 0.0
    figures.append(
        Figure(
            db="postgres",
            case="2 processes / 1 process throughput",
            items=runs[2].window.count(),
            seconds=runs[2].window.seconds,
            errors=runs[1].window.failed() + runs[2].window.failed(),
            target=f">= {TARGET}x",
            met=ratio >= TARGET,
            note=f"{ratio:.2f}x ({one:,.0f}/s to {two:,.0f}/s) with Redis as the broker",
        )
    )
    return figures
