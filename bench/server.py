"""A real server under test: ``atoll serve`` (or the bare ceiling app, ``bench.ceiling``) in its
own process group on a free loopback port, with one or several worker processes, stopped at
the end. Readings of its processes come from /proc: resident memory and CPU seconds."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
SECRET = "bench-" + "x" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """Resident memory of one process (0 when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    """The process and everything it started, depth first."""
    found = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in children:
        found += descendants(int(child))
    return found


@dataclass
class Server:
    base: str  # http://127.0.0.1:<port>
    pid: int  # the process group leader (uvicorn's supervisor when workers > 1)
    workers: int
    log: Path

    def pids(self) -> list[int]:
        return descendants(self.pid)

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the leader alone, or its worker children."""
        pids = self.pids()
        return pids if self.workers == 1 else pids[1:]

    def rss_kib(self) -> int:
        return sum(rss_kib(p) for p in self.worker_pids())

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(p) for p in self.pids())


def environment(database_url: str, var_dir: Path, *, redis_url: str = "") -> dict[str, str]:
    return {
        **os.environ,
        "ATOLL_DATABASE_URL": database_url,
        "ATOLL_VAR_DIR": str(var_dir),
        "ATOLL_SECRET_KEY": SECRET,
        "ATOLL_REDIS_URL": redis_url,
        "ATOLL_HOUSEKEEPING_SECONDS": "0",
        "ATOLL_BASE_URL": "http://127.0.0.1",
    }


@contextlib.asynccontextmanager
async def serve(
    database_url: str,
    *,
    workers: int = 1,
    redis_url: str = "",
    app: str = "atoll",
    extra_env: dict[str, str] | None = None,
    health: str = "/healthz",
) -> AsyncIterator[Server]:
    """Start ``atoll serve`` (``app="atoll"``) or the ceiling app (``app="ceiling"``, served by
    uvicorn with the same options) on ``database_url`` and yield it once it answers."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="atoll-bench-serve-") as tmp:
        env = {**environment(database_url, Path(tmp), redis_url=redis_url), **(extra_env or {})}
        common = ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        if app == "atoll":
            command = [str(BIN / "atoll"), "serve", *common]
        elif app == "ceiling":
            command = [
                str(BIN / "uvicorn"),
                "bench.ceiling:app",
                *common,
                "--no-proxy-headers",  # as atoll serve without ATOLL_TRUSTED_PROXIES
                "--log-level",
                "warning",
                "--timeout-graceful-shutdown",
                "5",
            ]
        else:
            raise ValueError(f"unknown app {app!r}")
        log = Path(tmp) / "serve.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                *command,
                env=env,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                cwd=Path(__file__).parent.parent,
            )
        server = Server(f"http://127.0.0.1:{port}", process.pid, workers, log)
        try:
            async with httpx.AsyncClient(base_url=server.base, timeout=5) as client:
                for _ in range(600):
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get(health)).status_code == 200:
                            break
                    if process.returncode is not None:
                        break
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError(f"{app} did not start:\n{log.read_text()}")
                if process.returncode is not None:
                    raise RuntimeError(f"{app} exited:\n{log.read_text()}")
            # With several workers each must be up before the load starts.
            while workers > 1 and len(server.worker_pids()) < workers:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            yield server
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
