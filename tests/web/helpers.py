"""Helpers for page tests: read CSRF tokens out of forms and sign in through the real form."""

from __future__ import annotations

import re

import httpx

from tests.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    page = await client.get("/sign-in")
    return await client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(page.text), "email": email, "password": password, "next": "/"},
    )
