"""Capacity, after Mattermost's load-test-ng: how many concurrent active users one ``atoll serve``
process supports on the dataset of ``--scale``.

Each simulated user holds an event stream open (``GET /api/v1/events``, read continuously)
and acts at a person's pace — one action every ``THINK`` seconds on average (5 s, an
exponential pause) — with the mixed workload's mix (feed 55 %, open a post 15 %, post 5 %,
comment 10 %, react 10 %, search 5 %). Users are added in steps (``LADDER``: 25, 50, 100, 200,
300, 500, 750, 1,000, 1,500, 2,000, 2,500, 3,000, 4,000 users; ``--rows N`` makes it N, 2N, 3N …
up to ``MAX_USERS``): each step's newcomers start over ``RAMP`` seconds, then the step is
held and measured for ``HOLD`` seconds (``--seconds`` overrides). A step breaks when, over
its measured window,

- the mean request latency is above 100 ms, or
- the 99th percentile of any operation (opening the event stream included) is above 1 s, or
- errors + time-outs are more than 0.025 % of the requests;

the run stops there, and the last step that held is the number of users supported. Printed:
the per-step curve (mean, p99, errors, requests per second, the server's CPU and memory, the
client's CPU); drawn: latency against users with the thresholds, as
``bench/results/capacity-<timestamp>.png``. ``MAX_SECONDS`` caps the run's length."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench import Figure, Options, benchmark
from bench.dataset import sign_in, working_copy
from bench.load import Person, Plan, Run, run_windows, window_figure
from bench.server import serve

THINK = 5.0
LADDER = (25, 50, 100, 200, 300, 500, 750, 1_000, 1_500, 2_000, 2_500, 3_000, 4_000)
MAX_USERS = 4_000
RAMP = 5.0
HOLD = 20.0
MAX_SECONDS = 240.0  # the ladder stops here even if every step held
MEAN_MS, P99_MS, ERROR_SHARE = 100.0, 1_000.0, 0.00025
CLIENT_PROCS = 1
TARGET_USERS = 3_000
RESULTS = Path(__file__).parent / "results"


def ladder(step: int | None) -> list[int]:
    if step:
        return list(range(step, MAX_USERS + 1, step))
    return list(LADDER)


def plan_for(base: str, people: list[Person], counts: list[int], hold: float) -> Plan:
    steps, windows, at = [], [], 0.0
    for count in counts:
        if at + RAMP + hold > MAX_SECONDS:
            break
        steps.append((at, count))
        windows.append((f"{count}", at + RAMP, at + RAMP + hold))
        at += RAMP + hold
    return Plan(
        base=base,
        people=tuple(people[: steps[-1][1]]),
        think=THINK,
        steps=tuple(steps),
        ramp=RAMP,
        windows=tuple(windows),
        end=at,
        sse=True,
        stop_if=(MEAN_MS, P99_MS, ERROR_SHARE),
    )


def chart(db: str, rows: list[tuple[int, Run]], supported: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    users = [u for u, _ in rows]
    mean = [r.window.mean() or 0 for _, r in rows]
    p99 = [r.window.percentile(99) or 0 for _, r in rows]
    worst = [max((r.window.percentile(99, op) or 0) for op in r.window.latencies) for _, r in rows]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    ax.plot(users, mean, "o-", label="mean latency")
    ax.plot(users, p99, "s-", label="p99, all requests")
    ax.plot(users, worst, "^--", label="p99 of the slowest operation")
    ax.axhline(MEAN_MS, color="tab:blue", linestyle=":", label=f"mean threshold {MEAN_MS:.0f} ms")
    ax.axhline(P99_MS, color="tab:red", linestyle=":", label=f"p99 threshold {P99_MS:.0f} ms")
    if supported:
        ax.axvline(supported, color="grey", linestyle="--", label=f"supported: {supported:,}")
    ax.set_yscale("log")
    ax.set_xlabel("concurrent active users (each with an event stream, one action / 5 s)")
    ax.set_ylabel("latency (ms)")
    ax.set_title(f"Atoll capacity, one process, {db}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _line(users: int, run: Run, broken: list[str]) -> str:
    w = run.window
    attempts = w.count() + w.failed()
    worst = (
        max(((w.percentile(99, op) or 0.0), op) for op in w.latencies) if w.latencies else (0, "")
    )
    return (
        f"  {users:>6,} users: {w.rps():6.1f} req/s, mean {w.mean() or 0:7.1f} ms, "
        f"p99 {w.percentile(99) or 0:7.1f} ms (worst op {worst[1]} {worst[0]:.0f} ms), "
        f"errors {w.failed()}/{attempts}, server {run.server_cores:.2f} cores "
        f"{run.rss_kib / 1024:,.0f} MiB, client {run.client_cores:.2f} cores"
        + (f"  BROKE: {'; '.join(broken)}" if broken else "  held")
    )


@benchmark("capacity")
async def capacity(options: Options) -> list[Figure]:
    figures: list[Figure] = []
    hold = options.seconds or HOLD
    counts = ladder(options.rows)
    for db in options.dbs:
        async with working_copy(db, options.scale) as url:
            members = await sign_in(url, max(counts))
            people = [Person(m.token, tuple(m.space_ids)) for m in members]
            counts = [c for c in counts if c <= len(people)]
            async with serve(url) as server:
                plan = plan_for(server.base, people, counts, hold)
                runs = await run_windows(server, plan, procs=CLIENT_PROCS)
        rows = [
            (int(name), runs[name]) for name, _, _ in plan.windows if runs[name].window.complete
        ]
        supported, examples = 0, []
        print(f"  {db}: one action every {THINK:.0f} s per user, each with an event stream")
        for users, run in rows:
            broken = run.window.breaks(MEAN_MS, P99_MS, ERROR_SHARE)
            print(_line(users, run, broken))
            examples += run.window.examples
            if broken:
                break
            supported = users
        for example in examples[:5]:
            print("  error example:", example)
        RESULTS.mkdir(exist_ok=True)
        png = RESULTS / f"capacity-{db}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.png"
        chart(db, rows, supported, png)
        print(f"  chart: {png}")
        for users, run in rows:
            w = run.window
            figures.append(
                window_figure(
                    db,
                    f"{users:,} users",
                    w,
                    note=f"mean {w.mean() or 0:.1f} ms; {run.cpu_note()}; server RSS "
                    f"{run.rss_kib / 1024:,.0f} MiB",
                )
            )
        last_step = plan.steps[-1][1]
        figures.append(
            Figure(
                db=db,
                case="concurrent active users supported",
                items=supported,
                seconds=1.0,
                target=f">= {TARGET_USERS:,} users",
                met=supported >= TARGET_USERS,
                note=f"steps {', '.join(str(u) for u, _ in rows)}; the ladder went up to "
                f"{last_step:,}; thresholds: mean {MEAN_MS:.0f} ms, any op p99 {P99_MS:.0f} ms, "
                f"errors {ERROR_SHARE:.3%}; chart {png.name}",
            )
        )
    return figures
