"""Browser harness: a real ``atoll serve`` on a fresh, migrated demo database, driven by a
real Chromium through Playwright.

The suite runs every test in one session-wide asyncio loop (pytest-asyncio), so the async
Playwright API is used: it lives in that loop beside the rest of the suite. The server and
the browser are package-scoped — started for the first browser test, stopped after the last
one — and each test gets a fresh browser context (no cookies carried between journeys).

Every page a test opens is watched for console errors, uncaught exceptions and
Content-Security-Policy violations; a test fails if any show up (see ``page``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

from tests.browser.helpers import Problems
from tests.mailbox import Inbox

CHROMIUM = Path(os.environ.get("ATOLL_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BIN = Path(sys.executable).parent  # the venv's bin: atoll sits beside python
STARTUP_TIMEOUT = 30.0
ACTION_TIMEOUT_MS = 10_000


@dataclass
class Server:
    base_url: str
    env: dict[str, str]
    log: Path
    # What the server e-mailed, through a real SMTP server (an empty one when it mails nowhere).
    inbox: Inbox = field(default_factory=Inbox)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "(no log)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _atoll(env: dict[str, str], *args: str) -> None:
    """Run one ``atoll`` command to completion; fail the run with its output if it fails."""
    process = await asyncio.create_subprocess_exec(
        str(BIN / "atoll"),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    if process.returncode != 0:
        pytest.fail(f"`atoll {' '.join(args)}` failed ({process.returncode}):\n{output.decode()}")


async def _wait_healthy(base_url: str, process: asyncio.subprocess.Process, server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer yet"
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                pytest.fail(
                    f"atoll serve exited with {process.returncode} before answering /healthz.\n"
                    f"Server log:\n{server.log_text()}"
                )
            try:
                answer = await client.get("/healthz")
                if answer.status_code == 200:
                    return
                last = f"HTTP {answer.status_code}: {answer.text[:300]}"
            except httpx.TransportError as error:
                last = repr(error)
            await asyncio.sleep(0.2)
    pytest.fail(
        f"atoll serve did not answer GET /healthz with 200 within {STARTUP_TIMEOUT:.0f} s "
        f"(last: {last}).\nServer log:\n{server.log_text()}"
    )


def env_for(database_url: str, var_dir: Path, base_url: str, label: str) -> dict[str, str]:
    """The environment of an ``atoll`` process of the tests: this database and folder, cheap
    password hashes, no Redis, write rate limits out of the way, ``base_url`` as its public
    address."""
    return {
        **os.environ,
        "ATOLL_DATABASE_URL": database_url,
        "ATOLL_VAR_DIR": str(var_dir),
        "ATOLL_SECRET_KEY": f"{label}-test-secret-" + "x" * 32,
        "ATOLL_ARGON2_TIME_COST": "1",
        "ATOLL_ARGON2_MEMORY_KIB": "1024",
        "ATOLL_BASE_URL": base_url,
        "ATOLL_REDIS_URL": "",
        # The tests post quickly as one person; the write limits have their own tests.
        "ATOLL_RATE_POSTS_PER_MINUTE": "1000",
        "ATOLL_RATE_COMMENTS_PER_MINUTE": "1000",
        "ATOLL_RATE_REACTIONS_PER_MINUTE": "1000",
        "ATOLL_RATE_REPORTS_PER_MINUTE": "1000",
    }


@contextlib.asynccontextmanager
async def serving(env: dict[str, str], port: int, log: Path, **more: Any) -> AsyncIterator[Server]:
    """``atoll serve`` on ``port`` with ``env``, its output in ``log``: yields once it answers
    ``/healthz``, and stops it (terminate, then kill after 10 s) when done."""
    server = Server(base_url=f"http://127.0.0.1:{port}", env=env, log=log, **more)
    with server.log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            str(BIN / "atoll"),
            *("serve", "--host", "127.0.0.1", "--port", str(port)),
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        await _wait_healthy(server.base_url, process, server)
        yield server
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()


@pytest.fixture(scope="package")
async def server(
    fresh_database: Callable[[str], Awaitable[Any]], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    """``atoll migrate``, ``atoll demo`` and ``atoll serve`` on a brand-new database, mailing a
    real SMTP server."""
    database = await fresh_database("browser")
    var_dir = tmp_path_factory.mktemp("browser-var")
    inbox = Inbox()
    inbox.port = _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    smtp.start()
    port = _free_port()
    env = env_for(database.url, var_dir, f"http://127.0.0.1:{port}", "browser")
    env.update(
        ATOLL_SMTP_HOST="127.0.0.1",
        ATOLL_SMTP_PORT=str(inbox.port),
        ATOLL_SMTP_FROM="atoll@northwind.example",
    )
    try:
        await _atoll(env, "migrate")
        await _atoll(env, "demo")
        async with serving(env, port, var_dir / "serve.log", inbox=inbox) as running:
            yield running
    finally:
        smtp.stop()


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.is_file():  # fail, never skip: a missing browser is a broken setup
        pytest.fail(f"Chromium not found at {CHROMIUM} (set ATOLL_TEST_CHROMIUM to its path).")
    return CHROMIUM


@pytest.fixture(scope="package")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__atollReportCsp(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} `
    + `at ${e.sourceFile || document.location.href}:${e.lineNumber}`);
});
"""


@pytest.fixture
def problems() -> Problems:
    return Problems()


async def _watched_context(browser: Browser, server: Server, problems: Problems) -> BrowserContext:
    """A browser context whose CSP violations, console errors (other than error statuses the
    test expects) and page exceptions land in ``problems``."""
    ctx = await browser.new_context(
        base_url=server.base_url, viewport={"width": 1280, "height": 900}
    )
    ctx.set_default_timeout(ACTION_TIMEOUT_MS)

    def report_csp(violation: str) -> None:
        problems.csp.append(violation)

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # A page answered with an error status the test asked for (e.g. 401 on a wrong
        # password) is logged by Chromium as a failed load: that is not a page problem.
        if any(f"status of {s} " in message.text for s in problems.expected_statuses):
            return
        problems.console.append(f"{message.text} ({message.location.get('url', '')})")

    await ctx.expose_function("__atollReportCsp", report_csp)
    await ctx.add_init_script(REPORT_CSP)
    ctx.on("console", on_console)
    ctx.on("weberror", lambda error: problems.exceptions.append(str(error.error)))
    return ctx


@pytest.fixture
async def context(
    browser: Browser, server: Server, problems: Problems
) -> AsyncIterator[BrowserContext]:
    ctx = await _watched_context(browser, server, problems)
    try:
        yield ctx
    finally:
        await ctx.close()


@pytest.fixture
async def page(context: BrowserContext, problems: Problems) -> AsyncIterator[Page]:
    """A page that records problems; after the test, there must be none."""
    page = await context.new_page()
    yield page
    await page.close()
    assert not problems.all(), "Problems in the pages visited:\n" + "\n".join(problems.all())


@pytest.fixture
async def other_page(
    page: Page, browser: Browser, server: Server, problems: Problems
) -> AsyncIterator[Callable[[], Awaitable[Page]]]:
    """Pages in further browser contexts (another person beside ``page``), watched for
    problems like ``page`` is — which checks them all after the test."""
    contexts: list[BrowserContext] = []

    async def make() -> Page:
        ctx = await _watched_context(browser, server, problems)
        contexts.append(ctx)
        return await ctx.new_page()

    try:
        yield make
    finally:
        for ctx in contexts:
            await ctx.close()
