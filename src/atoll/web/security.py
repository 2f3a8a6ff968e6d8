"""Security headers on every answer: a strict Content-Security-Policy and friends; no-store on
what a signed-in request is answered; HSTS behind https."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atoll.http.signin import presented_secret

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
STATIC = "/static/"


def _signed_in(scope: Scope) -> bool:
    """Whether the request presents a bearer token or a session cookie."""
    return presented_secret(Headers(scope=scope)) is not None


def _no_store(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers with ``Cache-Control: no-store`` (keeping ``no-transform``, which tells
    proxies to leave an event stream alone): nothing answered to a signed-in request is kept
    by a browser's cache or a shared one."""
    keep = [b"no-store"]
    out = []
    for name, value in headers:
        if name.lower() == b"cache-control":
            if b"no-transform" in value.lower():
                keep.append(b"no-transform")
            continue
        out.append((name, value))
    out.append((b"cache-control", b", ".join(keep)))
    return out


class SecurityHeaders:
    """``https``: the site's base URL is https, so every answer sends HSTS (a request that
    arrived over https gets it anyway)."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = _signed_in(scope) and not scope["path"].startswith(STATIC)
        hsts = self.https or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in names]
                if hsts and HSTS[0] not in names:
                    headers.append(HSTS)
                message["headers"] = _no_store(headers) if private else headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
