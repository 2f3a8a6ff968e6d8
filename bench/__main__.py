"""``python -m bench [--only NAME | --all] [--scale small|default|large] [--db sqlite|postgres|both]
[--rows N] [--seconds S]``; see __init__.py."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import platform
import subprocess
import sys
import traceback
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import uvloop

from bench import DEFAULT, MODULES, Figure, Options, benchmark

RESULTS = Path(__file__).parent / "results"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark")
    parser.add_argument("--all", action="store_true", help="run every benchmark")
    parser.add_argument("--rows", type=int, help="size of the data set (default: per benchmark)")
    parser.add_argument(
        "--scale",
        choices=["small", "default", "large"],
        default="default",
        help="the demo organisation the load runs against (large: 10,000 people, 1,000,000 posts)",
    )
    parser.add_argument(
        "--seconds", type=float, help="measuring time per step (default: per benchmark)"
    )
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres", "both"],
        default="sqlite",
        help="the database (the scale-out benchmark always uses PostgreSQL and Redis)",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    return parser.parse_args(argv)


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def table(name: str, figures: list[Figure]) -> str:
    if any(f.p50_ms is not None for f in figures):
        head: tuple[str, ...] = (
            "db", "case", "count", "per s", "p50 ms", "p95 ms", "p99 ms", "errors",
            "vs ceiling", "target", "met",
        )  # fmt: skip
        lines = [
            (
                f.db,
                f.case,
                f"{f.items:,}",
                _num(f.per_second, 0),
                _num(f.p50_ms),
                _num(f.p95_ms),
                _num(f.p99_ms),
                "" if f.errors is None else str(f.errors),
                "" if f.vs_ceiling is None else f"{f.vs_ceiling:.0%}",
                f.target,
                "" if f.met is None else ("yes" if f.met else "NO"),
            )
            for f in figures
        ]
        notes = [f"  {f.db} {f.case}: {f.note}" for f in figures if f.note]
        return _grid(name, head, lines) + ("\n" + "\n".join(notes) if notes else "")
    head = ("db", "case", "items", "seconds", "items/s", "vs baseline", "note")
    lines = [
        (
            f.db,
            f.case,
            f"{f.items:,}",
            f"{f.seconds:.2f}",
            f"{f.per_second:,.0f}",
            "" if f.ratio is None else f"{f.ratio:.1f}x",
            f.note,
        )
        for f in figures
    ]
    return _grid(name, head, lines)


def _grid(name: str, head: tuple[str, ...], lines: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(head, *lines, strict=True)]
    out = [f"== {name}"]
    for row in (head, *lines):
        cells = (str(cell).ljust(w) for cell, w in zip(row, widths, strict=True))
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def machine() -> dict[str, object]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "memory_mib": memory,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "commit": commit,
    }


def load() -> str:
    """The 1-minute load average over the CPU count: figures taken on a busy machine are slower."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def save(
    name: str, options: Options, figures: list[Figure], started: datetime, loads: list[str]
) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{started:%Y%m%dT%H%M%SZ}.json"
    payload = {
        "benchmark": name,
        "started_at": started.isoformat(),
        "options": asdict(options),
        "machine": machine(),
        "load_before_after": loads,
        "figures": [{**asdict(f), "per_second": f.per_second, "ratio": f.ratio} for f in figures],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    for module in MODULES:
        importlib.import_module(module)
    registered = benchmark.benchmarks
    if args.list:
        print("\n".join(registered))
        return 0
    unknown = [n for n in args.only or [] if n not in registered]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(registered)}")
        return 2
    names = args.only or (list(registered) if args.all else list(DEFAULT))
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    options = Options(rows=args.rows, dbs=dbs, scale=args.scale, seconds=args.seconds)
    run_started = datetime.now(UTC)
    done: dict[str, list[Figure]] = {}
    failed: list[str] = []
    for name in names:
        started, before = datetime.now(UTC), load()
        print(f"running {name} on {', '.join(dbs)} (load {before}) ...", flush=True)
        try:
            # uvloop, as the server and the load driver's processes run: the clients that
            # share the machine with the server spend less of it.
            figures = uvloop.run(registered[name](options))
        except Exception:  # noqa: BLE001 - report it, run the others, fail at the end
            traceback.print_exc()
            failed.append(name)
            continue
        after = load()
        print(table(name, figures))
        path = save(name, options, figures, started, [before, after])
        print(f"(load afterwards {after}; written to {path})\n", flush=True)
        done[name] = figures
    seconds = (datetime.now(UTC) - run_started).total_seconds()
    if len(done) > 1 or any(f.target for figures in done.values() for f in figures):
        print(summary(done, options, seconds, run_started))
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


def summary(
    done: dict[str, list[Figure]], options: Options, seconds: float, started: datetime
) -> str:
    """The figures that have a target, as a Markdown table (also written beside the JSON)."""
    rows = [
        "| benchmark | db | case | p50 ms | p99 ms | per s | vs ceiling | target | met |",
        "|---|---|---|---:|---:|---:|---:|---|---|",
    ]
    for name, figures in done.items():
        for f in figures:
            if not f.target:
                continue
            met = "" if f.met is None else ("yes" if f.met else "**no**")
            ceiling = "" if f.vs_ceiling is None else f"{f.vs_ceiling:.0%}"
            rows.append(
                f"| {name} | {f.db} | {f.case} | {_num(f.p50_ms)} | {_num(f.p99_ms)} | "
                f"{_num(f.per_second, 0)} | {ceiling} | {f.target} | {met} |"
            )
    info = machine()
    head = (
        f"Run of {started:%Y-%m-%d %H:%M} UTC at scale {options.scale}, commit {info['commit']}, "
        f"{info['cpus']} CPUs ({info['cpu']}), {info['memory_mib']:,} MiB; "
        f"{seconds / 60:.1f} minutes in all."
    )
    text = head + "\n\n" + "\n".join(rows) + "\n"
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"summary-{started:%Y%m%dT%H%M%SZ}.md"
    path.write_text(text)
    return f"== summary (targets)\n{text}(written to {path})"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
