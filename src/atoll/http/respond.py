"""How a failure is answered: problem+json for the API, a friendly page for the browser
(a sign-in redirect for a page that needs one)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from atoll.http.templating import render
from atoll.kit.errors import AtollError

PROBLEM = "application/problem+json"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(error: AtollError) -> JSONResponse:
    return JSONResponse(
        error.problem(), status_code=error.status, media_type=PROBLEM, headers=error.headers
    )


def _page(request: Request, error: AtollError) -> Response:
    if error.status == 401 and request.method == "GET":
        return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)
    response = render(request, "error.html", {"error": error}, status_code=error.status)
    response.headers.update(error.headers)
    return response


def respond(request: Request, error: AtollError) -> Response:
    return _problem(error) if is_api(request) else _page(request, error)
