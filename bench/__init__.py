"""Benchmarks: not tests. Each one prints its figures next to a baseline measured in the same run.

A benchmark is an async function registered with ``@benchmark("name")``; it takes the run's
``Options`` and returns a list of ``Figure``. ``python -m bench`` runs them, prints one table
and writes the figures to ``bench/results/<name>-<timestamp>.json``. To add a scenario, write
``bench/<name>.py`` with a registered function and list the module in ``MODULES``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

# Modules that register benchmarks when imported, in the order they run.
MODULES = (
    "bench.ceiling",
    "bench.mixed",
    "bench.capacity",
    "bench.scaleout",
    "bench.realtime",
    "bench.signin",
    "bench.import_org",
    "bench.wiki_history",
    "bench.analytics",
    "bench.first_steps",
    "bench.search",
    "bench.scale",
    "bench.scim",
)
# What ``make bench`` runs when no ``--only`` is given (the others are focused benchmarks of
# one part, run with ``--only NAME`` or ``--all``).
DEFAULT = ("ceiling", "mixed", "realtime", "signin", "capacity", "scale", "scaleout")


@dataclass(frozen=True)
class Options:
    rows: int | None  # None: each benchmark's own default size
    dbs: tuple[str, ...]  # "sqlite", "postgres"
    scale: str = "default"  # bench.dataset.SCALES: "small", "default", "large"
    seconds: float | None = None  # None: each benchmark's own measuring time


@dataclass
class Figure:
    """One measured case: ``items`` handled in ``seconds`` on database ``db``.

    ``baseline`` is the seconds the same run took for the reference work the case is compared
    with (e.g. a bare bulk INSERT of the same rows); the table shows the ratio."""

    db: str
    case: str
    items: int
    seconds: float
    baseline: float | None = None
    note: str = ""
    # Latency scenarios also fill these: percentiles of one operation in milliseconds, the
    # errors seen, the ratio to the stack's ceiling measured in the same run (throughput over
    # the ceiling's throughput, or the ceiling's latency over this one), and the issue's
    # target with whether it was met.
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    vs_ceiling: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.baseline if self.baseline else None


Benchmark = Callable[[Options], Awaitable[list[Figure]]]


@dataclass
class Registry:
    benchmarks: dict[str, Benchmark] = field(default_factory=dict)

    def __call__(self, name: str) -> Callable[[Benchmark], Benchmark]:
        def register(function: Benchmark) -> Benchmark:
            if name in self.benchmarks:
                raise ValueError(f"benchmark {name!r} is registered twice")
            self.benchmarks[name] = function
            return function

        return register


benchmark = Registry()
