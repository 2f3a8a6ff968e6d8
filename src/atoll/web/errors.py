"""One place that turns failures into problem+json (API) or a friendly page (browser)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from atoll.http.respond import is_api, respond
from atoll.kit.errors import AtollError, Conflict, Forbidden, Invalid
from atoll.people.tokens import missing_scope_note

log = logging.getLogger("atoll")


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        out.append({"field": ".".join(loc) or "body", "message": err.get("msg", "is invalid")})
    return out


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path. Starlette's 405 names only the methods of
    the first route that matched the path, so GET /people answered "Allow: GET" without POST."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if not isinstance(route, Route) or not route.methods:
            continue
        if route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


class _HttpError(AtollError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = {404: "Not found", 405: "Method not allowed", 413: "Too large"}.get(
            status, "Error"
        )
        self.slug = self.title.lower().replace(" ", "-")


def install(app: FastAPI) -> None:
    @app.exception_handler(AtollError)
    async def _atoll(request: Request, exc: AtollError) -> Response:
        if isinstance(exc, Forbidden):  # a token's missing scope may be why: say so
            exc.detail += missing_scope_note(getattr(request.state, "credential", None))
        return respond(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = _field_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return respond(request, Invalid(detail, errors=errors))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        log.info("integrity error answered as 409: %s", exc.orig)
        return respond(request, Conflict("This conflicts with something that already exists."))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and is_api(request):
            # FastAPI's answer to a body it cannot decode (not UTF-8, say): bad input is a 422
            problem = Invalid.field("body", "could not be read; send UTF-8 encoded JSON")
            return respond(request, problem)
        detail = exc.detail if isinstance(exc.detail, str) else "Error"
        error = _HttpError(exc.status_code, detail)
        error.headers.update(exc.headers or {})
        if exc.status_code == 405:
            error.headers["Allow"] = _allowed_methods(request)
        return respond(request, error)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        error = _HttpError(500, "Something went wrong on our side. It has been logged.")
        error.title, error.slug = "Internal error", "internal-error"
        return respond(request, error)
