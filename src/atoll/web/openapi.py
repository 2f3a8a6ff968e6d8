"""The problem+json error answers, declared once for every API route."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


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
