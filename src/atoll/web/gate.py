"""The request gate: every request body is bounded, and an API write's credentials are checked
before any of its body is read.

Why
---
A body used to be read whole before anything looked at it: 100 MB sent to a posts endpoint
with a made-up token was parsed (and kept by the allocator) before the answer said 401.

What the gate does, outermost but for the security headers
----------------------------------------------------------
- **Size.** Each request has a limit: ``ATOLL_MAX_REQUEST_KB`` for JSON and forms, or a larger
  *allowance* for the few paths that take files (attachments, the org-chart import; see
  ``create_app``). A ``Content-Length`` above the limit is answered 413 at once, without
  reading the body; a body without one (chunked) is counted as it arrives and answered 413 as
  soon as it crosses the limit — the rest is never read. Whatever the app had begun to answer
  then is dropped.
- **Credentials first.** An API write (POST, PUT, PATCH, DELETE under ``/api/``) that presents
  a bearer token or a session cookie, and any request to a path with an allowance, is checked
  with ``credential_for`` in a short session of its own before the body is read: a secret
  that does not verify gets 401, and a personal access token without the ``write`` scope 403
  (``people.tokens.scoped``), and its body is never read. The request's own check
  (``deps.optional_credential``: CSRF, activity) runs later as before; only writes pay the
  extra query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atoll.http.respond import respond
from atoll.http.signin import SESSION_COOKIE, presented_secret
from atoll.kit.errors import AtollError, Forbidden, TooLarge, Unauthorized
from atoll.people import auth, tokens

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Allowance:
    """A larger body limit for one path: ``POST path`` whose media type starts with
    ``content_type`` ("" for any) may send up to ``limit`` bytes. A request given an allowance
    must present credentials that verify before its body is read."""

    path: str
    content_type: str
    limit: int


class BodyTooLarge(TooLarge):
    """Raised by the gate's ``receive`` once a body crosses its limit (the gate answers 413)."""


class RequestGate:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int, allowances: Sequence[Allowance] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.allowances = {a.path: a for a in allowances}

    def limit_for(self, method: str, path: str, content_type: str) -> tuple[int, bool]:
        """The body limit of a request, and whether it was given an allowance."""
        allowance = self.allowances.get(path)
        if (
            allowance is not None
            and method == "POST"
            and content_type.lower().startswith(allowance.content_type)
        ):
            return allowance.limit, True
        return self.max_bytes, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method, path = scope["method"], scope["path"]
        limit, allowed = self.limit_for(method, path, headers.get("content-type", ""))
        declared = headers.get("content-length")
        length = int(declared) if declared is not None and declared.isdigit() else None
        if length is not None and length > limit:
            await self._refuse(scope, send, _too_large(limit, allowed))
            return
        if allowed or (method in UNSAFE and path.startswith("/api/")):
            refusal = await self._check_credentials(scope, headers, required=allowed)
            if refusal is not None:
                await self._refuse(scope, send, refusal)
                return
        if length == 0 or (length is None and "transfer-encoding" not in headers):
            await self.app(scope, receive, send)  # no body to count
            return
        await _Bounded(self.app, limit, _too_large(limit, allowed))(scope, receive, send)

    async def _check_credentials(
        self, scope: Scope, headers: Headers, *, required: bool
    ) -> AtollError | None:
        found = presented_secret(headers)
        if found is None:
            return Unauthorized("Sign in first.") if required else None
        secret, is_cookie = found
        state = scope["app"].state
        async with state.sessionmaker() as session:
            credential = await auth.credential_for(session, state.settings, secret)
            if credential is not None:
                try:  # a read-only token's write is refused before its body is read, too
                    tokens.scoped(credential, scope["method"])
                except Forbidden as refusal:
                    return refusal
                return None
        if not is_cookie:
            return Unauthorized("The bearer token is unknown, expired or revoked.")
        return _EndedSession("Your session has ended. Sign in again.")

    @staticmethod
    async def _refuse(scope: Scope, send: Send, error: AtollError) -> None:
        """Answer without reading the body (the server closes the connection after it)."""

        async def no_body() -> Message:
            return {"type": "http.disconnect"}

        response = respond(Request(scope), error)
        if isinstance(error, _EndedSession):
            # A dead cookie would refuse every later write, even one that needs no sign-in
            # (asking for a token): forget it.
            response.delete_cookie(SESSION_COOKIE)
        await response(scope, no_body, send)


class _EndedSession(Unauthorized):
    """A session cookie that no longer verifies."""


def _too_large(limit: int, allowed: bool) -> TooLarge:
    """413, saying the limit as it was set: whole MB for uploads (their allowance adds a little
    room for the form around them), MB or KB for ATOLL_MAX_REQUEST_KB."""
    mb = 1024 * 1024
    if allowed:
        what, size = "upload", f"{limit // mb} MB"
    else:
        what = "JSON or form body"
        size = f"{limit // mb} MB" if limit % mb == 0 else f"{limit // 1024} KB"
    return BodyTooLarge(f"The request is too large: the largest {what} accepted is {size}.")


class _Bounded:
    """One request whose body is counted as it is received."""

    def __init__(self, app: ASGIApp, limit: int, error: TooLarge) -> None:
        self.app, self.limit, self.error = app, limit, error
        self.received = 0
        self.exceeded = False
        self.started = False  # the answer that went out (the app's, or ours)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            if self.exceeded:
                raise BodyTooLarge(self.error.detail)
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.exceeded = True
                    raise BodyTooLarge(self.error.detail)
            return message

        async def guarded(message: Message) -> None:
            if self.exceeded and not self.started:
                return  # the app's answer to a cut body: ours goes out instead
            if message["type"] == "http.response.start":
                self.started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not self.exceeded or self.started:
                raise
        if self.exceeded and not self.started:
            self.started = True
            await RequestGate._refuse(scope, send, self.error)
