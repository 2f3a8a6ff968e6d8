"""Single sign-on's harness: a real OpenID Provider (``oidc_provider.mjs``, panva's
oidc-provider under Node) started once for the run, the app switched to it for a test
(``oidc``), and the provider's side of a sign-in walked through over HTTP (``OpAgent``)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from atoll.kit.settings import Settings
from tests.identity.scim_helpers import scim  # noqa: F401 - a fixture of the SCIM tests

HERE = Path(__file__).parent
CLIENT_ID, CLIENT_SECRET = "atoll-tests", "a-client-secret-for-tests"
ISSUER_WAIT = 30.0

# The provider's accounts: the login names an account, any password does.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "ana": {
        "email": "ana.lima@example.com",
        "email_verified": True,
        "name": "Ana Lima",
        "title": "Platform engineer",
        "unit": "Engineering/Platform",
        "groups": ["sso-guild", "nobody-has-this-group"],
    },
    "ben": {
        "email": "ben@example.com",
        "email_verified": True,
        "given_name": "Ben",
        "family_name": "Okafor",
        "groups": ["Designers"],
    },
    "unverified": {"email": "eve@example.com", "email_verified": False, "name": "Eve"},
    "outsider": {"email": "olga@elsewhere.org", "email_verified": True, "name": "Olga"},
    # as Entra ID signs people in: an e-mail claim and no email_verified at all
    "silent": {"email": "enzo@example.com", "name": "Enzo"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class OpenIdProvider:
    issuer: str
    browser_port: int  # the port the browser test's ``atoll serve`` is registered with


@pytest.fixture(scope="session")
async def op() -> AsyncIterator[OpenIdProvider]:
    """The OpenID Provider, for the run. Its client knows two redirect URIs: the in-process
    app's (http://testserver) and the browser test's server (a port chosen now)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (make install needs it for oidc-provider)")
    port, browser_port = free_port(), free_port()
    config = {
        "port": port,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [
                    "http://testserver/auth/oidc/callback",
                    f"http://127.0.0.1:{browser_port}/auth/oidc/callback",
                ],
            }
        ],
        "accounts": ACCOUNTS,
    }
    process = await asyncio.create_subprocess_exec(
        node,
        str(HERE / "oidc_provider.mjs"),
        json.dumps(config),
        cwd=str(HERE.parents[1]),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    seen: list[str] = []
    drain: asyncio.Future[bytes] | None = None
    try:
        async with asyncio.timeout(ISSUER_WAIT):
            while True:
                line = (await process.stdout.readline()).decode()
                if not line:
                    pytest.fail("the OpenID provider stopped:\n" + "".join(seen))
                seen.append(line)
                if line.startswith("ready "):
                    break
        drain = asyncio.ensure_future(process.stdout.read())  # keep its pipe from filling
        yield OpenIdProvider(issuer=line.split()[1], browser_port=browser_port)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
        if drain is not None:
            drain.cancel()


def oidc_settings(base: Settings, issuer: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "base_url": "http://testserver",
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_provider_name": "Example SSO",
        "sso_unit_claim": "unit",
        **overrides,
    }
    return base.model_copy(update=values)


@dataclass
class Configure:
    """Switch the app to other settings for one test (restored after it)."""

    app: Any
    original: Settings
    issuer: str

    def __call__(self, issuer: str | None = None, **overrides: Any) -> Settings:
        settings = oidc_settings(self.original, issuer or self.issuer, **overrides)
        self.app.state.settings = settings
        return settings


@pytest.fixture
def oidc(app: Any, op: OpenIdProvider) -> Iterator[Configure]:
    """The app signs in with the test provider (call it to change a setting)."""
    configure = Configure(app, app.state.settings, op.issuer)
    configure()
    try:
        yield configure
    finally:
        app.state.settings = configure.original


@dataclass
class OpAgent:
    """A person's browser at the provider: cookies kept, redirects followed by hand."""

    http: httpx.AsyncClient
    history: list[str] = field(default_factory=list)

    async def sign_in(self, authorize_url: str, login: str) -> str:
        """Go to the authorization URL, log in as ``login``; the URL the provider sends the
        browser back to (Atoll's callback with code and state)."""
        url = authorize_url
        for _ in range(10):
            answer = await self.http.get(url)
            self.history.append(url)
            if answer.status_code in (302, 303):
                url = urljoin(url, answer.headers["location"])
                if "/auth/oidc/callback" in url:
                    return url
                continue
            assert answer.status_code == 200, answer.text
            action = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
            assert action, answer.text
            posted = await self.http.post(
                urljoin(url, unescape(action.group(1))),
                data={"prompt": "login", "login": login, "password": "anything"},
            )
            assert posted.status_code in (302, 303), posted.text
            url = urljoin(url, posted.headers["location"])
            if "/auth/oidc/callback" in url:
                return url
        raise AssertionError(f"the provider never sent the browser back: {self.history}")


@pytest.fixture
async def op_agent() -> AsyncIterator[OpAgent]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield OpAgent(http)


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
