"""How a request says who it is: a bearer token, else the session cookie. The request's own
check (``deps.optional_credential``), the request gate, the idempotency layer and the
security headers all read it here, so they agree on which secret a request presents."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import cookie_parser

SESSION_COOKIE = "atoll_session"


def presented_secret(headers: Headers) -> tuple[str, bool] | None:
    """The secret the request signs in with and whether it is the session cookie: its bearer
    token first, else its session cookie; None when it presents neither."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    cookie = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
    return (cookie, True) if cookie else None
