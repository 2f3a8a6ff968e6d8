"""Jinja2 pages: the shell's globals (CSRF token, viewer, navigation) and one render helper."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from atoll.http.client import ANON_COOKIE, secure_cookies, settings_of
from atoll.http.csrf import csrf_token_for
from atoll.kit.time import as_utc, relative

# The templates and static files of every domain live with the page shell (atoll/web).
WEB_DIR = Path(__file__).parent.parent / "web"
templates = Jinja2Templates(directory=WEB_DIR / "templates")


def _abbreviate(number: int) -> str:
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if number >= size:
            return f"{number / size:.1f}".rstrip("0").rstrip(".") + suffix
    return str(number)


def _exact(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


templates.env.filters["ago"] = relative
templates.env.filters["exact"] = _exact
templates.env.filters["abbrev"] = _abbreviate


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the viewer and a CSRF token bound to their session (or, before
    sign-in, to an anonymous cookie set here)."""
    settings = settings_of(request)
    credential = getattr(request.state, "credential", None)
    new_anon = None
    if credential is not None:
        secret = credential.raw_token
    else:
        secret = request.cookies.get(ANON_COOKIE) or ""
        if len(secret) < 20:
            secret = new_anon = secrets.token_urlsafe(24)
    ctx = {
        "request": request,
        "viewer": credential.person if credential else None,
        "csrf_token": csrf_token_for(settings, secret),
        "settings": settings,
        "nav_spaces": getattr(request.state, "nav_spaces", {}),
        "unread_notifications": getattr(request.state, "unread_notifications", None),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if new_anon:
        response.set_cookie(
            ANON_COOKIE, new_anon, httponly=True, samesite="lax", secure=secure_cookies(request)
        )
    return response
