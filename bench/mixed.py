"""The mixed workload: 200 simulated people (``PEOPLE``) on one real ``atoll serve`` process and
the dataset of ``--scale`` (default: 3,000 people, ~27,000 posts), each doing what the issue
lists — read the feed 55 %, open a post seen in it 15 %, post in one of their spaces 5 %,
comment 10 % and react 10 % on a post of one of their spaces, search a word of the demo's
topics 5 % — through the JSON API with a bearer token. Every answer that is not 2xx, every
exception and every time-out (10 s) is an error.

Two runs on the same server, one after the other:

1. **saturated**: ``SATURATED_PEOPLE`` (32) of them with no think time (a closed loop: each
   sends its next request when the last one is answered), ``SATURATED_WARMUP`` then
   ``SATURATED_SECONDS`` measured. 32 requests in flight keep one process busy all the time;
   200 would only lengthen the queue (at a few dozen requests a second, 200 people in a closed
   loop wait longer than the 10 s time-out). Its throughput is what the server does at most
   with this mix, and it is the figure compared with the ceiling (the target: at least 30 % of
   the bare JSON route's throughput, with no error).
2. **with think times**: each person pauses between two actions for an exponential time of
   mean ``think``, chosen so that the 200 people offer ``LOAD_SHARE`` (80 %) of the saturated
   throughput — the server is loaded, not overrun — ``WARMUP`` then ``SECONDS`` (or
   ``--seconds``) measured. Its latencies per operation are the ones that count for users.

The ceiling (``bench.ceiling.measure``) is measured on the same dataset in the same run. The
load and the server share the machine's 2 CPUs: each run says how much CPU each side used and
the server's CPU milliseconds per request, which does not depend on who else was running."""

from __future__ import annotations

from bench import Figure, Options, benchmark
from bench.ceiling import measure
from bench.dataset import sign_in, working_copy
from bench.load import OPS, Person, Run, closed_loop, latency_figures, run_windows, window_figure
from bench.server import serve

PEOPLE = 200
WARMUP = 10.0
SECONDS = 45.0
SATURATED_WARMUP = 5.0
SATURATED_SECONDS = 15.0
SATURATED_PEOPLE = 32
LOAD_SHARE = 0.8
CLIENT_PROCS = 1
TARGET_SHARE = 0.30


async def people_of(url: str, count: int) -> list[Person]:
    members = await sign_in(url, count)
    return [Person(m.token, tuple(m.space_ids)) for m in members]


def _examples(run: Run) -> None:
    for example in run.window.examples[:5]:
        print("  error example:", example)


@benchmark("mixed")
async def mixed(options: Options) -> list[Figure]:
    figures: list[Figure] = []
    for db in options.dbs:
        async with working_copy(db, options.scale) as url:
            people = await people_of(url, PEOPLE)
            ceiling = await measure(db, url)
            async with serve(url) as server:
                saturated = (
                    await run_windows(
                        server,
                        closed_loop(
                            server.base,
                            people[:SATURATED_PEOPLE],
                            warmup=SATURATED_WARMUP,
                            seconds=SATURATED_SECONDS,
                        ),
                        procs=CLIENT_PROCS,
                    )
                )["measure"]
                peak = saturated.window.rps()
                think = len(people) / (LOAD_SHARE * peak) if peak else 1.0
                seconds = options.seconds or SECONDS
                paced = (
                    await run_windows(
                        server,
                        closed_loop(
                            server.base, people, think=think, warmup=WARMUP, seconds=seconds
                        ),
                        procs=CLIENT_PROCS,
                    )
                )["measure"]
        _examples(saturated)
        _examples(paced)
        figures += latency_figures(db, paced.window, OPS)
        w = paced.window
        figures.append(
            window_figure(
                db,
                f"all, {len(people)} people, think {think * 1000:.0f} ms",
                w,
                vs_ceiling=w.rps() / ceiling.ping_rps,
                target="0 errors",
                met=w.failed() == 0,
                note=f"think time mean {think:.2f} s (offers {LOAD_SHARE:.0%} of the saturated "
                f"rate); {paced.cpu_note()}",
            )
        )
        s = saturated.window
        share = s.rps() / ceiling.ping_rps
        figures.append(
            window_figure(
                db,
                f"all, saturated (closed loop, {SATURATED_PEOPLE} people)",
                s,
                vs_ceiling=share,
                target=f">= {TARGET_SHARE:.0%} of ceiling, 0 errors",
                met=share >= TARGET_SHARE and s.failed() == 0,
                note=f"{saturated.cpu_note()}; ceiling GET /ping {ceiling.ping_rps:,.0f}/s "
                f"(server {1000 * ceiling.ping_server_cores / ceiling.ping_rps:.2f} ms CPU per "
                f"request, client {ceiling.ping_client_cores:.2f} cores), bare query "
                f"{ceiling.query_rps:,.0f}/s",
            )
        )
    return figures
