"""Fuzz the JSON API from its own OpenAPI document with Schemathesis: no input, valid or not,
may get a 5xx, and every answer must be one the document declares (status code, content type,
body schema, headers). Every input is sent both anonymously and as an administrator."""

from __future__ import annotations

import asyncio
import copy
import io
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
import urllib3
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.app import create_app
from atoll.spaces import service as spaces_service
from tests.conftest import settings_for
from tests.factories import auth_headers, make_person, make_unit

BASE_URL = "http://testserver"
# Examples per operation: a few in every run, many in `make test-deep` (ATOLL_FUZZ_EXAMPLES).
EXAMPLES = int(os.environ.get("ATOLL_FUZZ_EXAMPLES", "8"))

# The schema is needed at collection time, before the session's app exists, so it is read from
# an app built only to describe itself (no lifespan, no database). The first test checks that
# the running app serves exactly this document.
DOCUMENT = create_app(settings_for("sqlite+aiosqlite://", Path("."))).openapi()
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            # Schema-valid input may still be refused with the documented 422 when it breaks a
            # rule the schema cannot express: an unknown unit or parent id, a cursor this server
            # never gave out, an external person without an organisation. Any other refusal of
            # valid input (400, 405, 413, ...) still fails. A made-up token of a password-reset
            # or invitation link is schema-valid and answered with the documented 410.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "410", "422", "429"]
            },
            # Input that breaks the schema may also be too large to read at all: a body over
            # ATOLL_MAX_REQUEST_KB is refused with the documented 413 before it is parsed.
            "negative_data_rejection": {
                "expected-statuses": [
                    "400",
                    "401",
                    "403",
                    "404",
                    "405",
                    "406",
                    "409",
                    "413",
                    "415",
                    "422",
                    "428",
                    "429",
                    "5xx",
                ]
            },
        },
    }
)
# The event stream never ends, so it cannot be called request by request here;
# tests/realtime drives it over real HTTP.
schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT), config=CONFIG).exclude(
    path="/api/v1/events"
)


class _AppAdapter(HTTPAdapter):
    """Hands each request Schemathesis makes (with ``requests``) to the app over httpx's ASGI
    transport, on the event loop where the session's app — its lifespan, its database pool —
    lives. The test itself is synchronous, so that loop is idle while it runs."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.client, self.loop = client, loop

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        reply = self.loop.run_until_complete(
            self.client.request(
                str(request.method), str(request.url), headers=headers, content=body or b""
            )
        )
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(reply.content),
            headers=list(reply.headers.multi_items()),
            status=reply.status_code,
            reason=reply.reason_phrase,
            version=11,
            preload_content=False,
        )
        return self.build_response(request, raw)


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[requests.Session]:
    # A crash must come back as the 500 a real client would get, for Schemathesis to report it.
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=False, client=("203.0.113.9", 5000)
    )
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        with requests.Session() as http:
            http.mount("http://", _AppAdapter(client, asyncio.get_running_loop()))
            yield http


@dataclass
class World:
    admin_headers: dict[str, str]
    existing: dict[str, list[str]]  # path parameter -> ids of rows that exist


@pytest.fixture
async def world(client: httpx.AsyncClient, db: AsyncSession) -> World:
    """A small organisation and its administrator's token, made once per operation rather
    than per example (the tables are emptied after each test). The token is taken before
    fuzzing starts, so failed sign-ins cannot rate-limit it away."""
    engineering = await make_unit(db, "Engineering")
    await make_unit(db, "Platform", parent=engineering)
    admin = await make_person(db, name="Fuzz Admin", role="admin")
    member = await make_person(db, name="Fuzz Member", unit_id=engineering.id, skills=["Python"])
    spaces = [
        await spaces_service.do_create_space(
            db,
            actor=admin,
            name=f"Fuzz {visibility}",
            kind="community",
            visibility=visibility,
            member_ids=[member.id],
        )
        for visibility in ("open", "private")
    ]
    await db.commit()
    return World(
        admin_headers=await auth_headers(client, admin),
        existing={
            "person_id": [str(admin.id), str(member.id)],
            "space_id": [str(space.id) for space in spaces],
        },
    )


async def test_the_app_serves_the_fuzzed_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == DOCUMENT


# Each input is sent twice: signed out (which changes nothing), then as the administrator. (The
# parameter also gives each test its operation in its id: without a pytest parameter,
# Schemathesis 4.32 under pytest 9 names every test alike.)
@pytest.mark.parametrize("callers", [("anonymous", "admin")], ids=["anonymous+admin"])
@schema.parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the world is made once per operation
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_openapi_document(
    case: schemathesis.Case,
    data: st.DataObject,
    session: requests.Session,
    world: World,
    callers: tuple[str, ...],
) -> None:
    # Random ids almost never name anything; half the time, aim at something that exists.
    for name, ids in world.existing.items():
        if name in (case.path_parameters or {}) and data.draw(st.booleans(), f"existing {name}"):
            case.path_parameters[name] = data.draw(st.sampled_from(ids), name)
    for caller in callers:
        headers = world.admin_headers if caller == "admin" else {}
        try:
            case.call_and_validate(base_url=BASE_URL, session=session, headers=headers)
        except Exception as exc:
            exc.add_note(f"Sent as: {caller}")
            raise
