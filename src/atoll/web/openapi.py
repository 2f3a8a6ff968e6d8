"""The API's documentation: the problem+json error answers, declared once for every API route,
and the reference page (Swagger UI, served from this site)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from atoll.http.templating import templates


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


_DESCRIPTIONS = {
    401: "Not signed in",
    403: "Signed in but not allowed",
    404: "Does not exist, or the caller may not know it exists",
    409: "Conflict",
    410: "A single-use link that was used, has expired or was withdrawn",
    413: "Too large",
    422: "Invalid input",
    429: "Rate limited (see Retry-After)",
}


def problem_responses() -> dict[int | str, dict[str, Any]]:
    schema = Problem.model_json_schema()
    return {
        code: {"description": text, "content": {"application/problem+json": {"schema": schema}}}
        for code, text in _DESCRIPTIONS.items()
    }


def docs_page(openapi_url: str) -> Callable[[Request], Awaitable[HTMLResponse]]:
    """The handler of the API reference page. FastAPI's own page starts Swagger UI with an
    inline script and loads it from a CDN, both of which the Content-Security-Policy refuses;
    this one loads it from /static/vendor/swagger-ui/ (npm swagger-ui-dist, copied by
    ``make install``) and starts it from /static/api-docs.js."""

    async def api_docs(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "api_docs.html", {"openapi_url": openapi_url})

    return api_docs
