"""Helpers for conversation tests: spaces and posts made through the API, as a client would."""

from __future__ import annotations

from typing import Any

import httpx

Headers = dict[str, str]


async def make_space(client: httpx.AsyncClient, headers: Headers, **body: Any) -> dict[str, Any]:
    body = {"name": "Guild", "kind": "community", "visibility": "open", **body}
    r = await client.post("/api/v1/spaces", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def join(client: httpx.AsyncClient, headers: Headers, space_id: str) -> None:
    r = await client.post(f"/api/v1/spaces/{space_id}/join", headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "joined", r.text


async def add_member(
    client: httpx.AsyncClient, headers: Headers, space_id: str, person_id: int, role: str = "member"
) -> None:
    r = await client.post(
        f"/api/v1/spaces/{space_id}/members",
        json={"person_id": str(person_id), "role": role},
        headers=headers,
    )
    assert r.status_code == 201, r.text


async def post(
    client: httpx.AsyncClient, headers: Headers, space_id: str, body: str = "Hello", **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/spaces/{space_id}/posts", json={"body": body, **extra}, headers=headers
    )


async def make_post(
    client: httpx.AsyncClient, headers: Headers, space_id: str, body: str = "Hello", **extra: Any
) -> dict[str, Any]:
    r = await post(client, headers, space_id, body, **extra)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def comment(
    client: httpx.AsyncClient, headers: Headers, post_id: str, body: str = "Nice", **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/posts/{post_id}/comments", json={"body": body, **extra}, headers=headers
    )
