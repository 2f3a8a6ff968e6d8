"""The JSON API's query strings: each parameter takes one value.

A parameter given twice (``?limit=2&limit=50``) is a client's mistake — which value would
count? — and FastAPI would silently keep the last one; the API answers 422 naming it."""

from __future__ import annotations

from fastapi import Request

from atoll.kit.errors import Invalid


def query_values_once(request: Request) -> None:
    """Refuse a query string that repeats a parameter (every query parameter of the JSON API
    takes a single value)."""
    seen: set[str] = set()
    for key, _ in request.query_params.multi_items():
        if key in seen:
            raise Invalid.field(key, "may be given only once")
        seen.add(key)
