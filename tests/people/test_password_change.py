"""Changing your own password, through the API and the page: the current password is required
(and a wrong one counts as a failed sign-in), the new one must meet the rules, and every other
session and token of yours is signed out while the one in use goes on."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import PASSWORD, make_person
from tests.web.helpers import csrf_of, sign_in

API = "/api/v1"
NEW = "a new and longer passphrase"


async def _token(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post(f"{API}/auth/token", json={"email": email, "password": password})


async def _bearer(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    answer = await _token(client, email)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _browser(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_the_api_changes_it_and_signs_out_everything_else(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI
) -> None:
    ana = await make_person(db, name="Ana")
    email = ana.email
    mine, other = await _bearer(client, email), await _bearer(client, email)
    async with _browser(app) as browser:
        assert (await sign_in(browser, email)).status_code == 303
        changed = await client.post(
            f"{API}/me/password",
            json={"current_password": PASSWORD, "new_password": NEW},
            headers=mine,
        )
        assert changed.status_code == 204, changed.text
        assert (await client.get(f"{API}/me", headers=mine)).status_code == 200
        assert (await client.get(f"{API}/me", headers=other)).status_code == 401
        assert (await browser.get("/account/sessions")).status_code in (303, 401)
    assert (await _token(client, email)).status_code == 401
    assert (await _token(client, email, NEW)).status_code == 200


async def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_sign_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ben = await make_person(db, name="Ben")
    email = ben.email
    mine, other = await _bearer(client, email), await _bearer(client, email)
    wrong = {"current_password": "not my password", "new_password": NEW}
    answers = [await client.post(f"{API}/me/password", json=wrong, headers=mine) for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [422] * 5
    problem = answers[0].json()
    assert answers[0].headers["content-type"].startswith("application/problem+json")
    assert problem["errors"] == [
        {"field": "current_password", "message": "is not your current password"}
    ]
    assert answers[5].status_code == 429 and "retry-after" in answers[5].headers
    assert (await client.get(f"{API}/me", headers=other)).status_code == 200
    assert (await _token(client, email, NEW)).status_code in (401, 429)


async def test_the_new_password_must_meet_the_rules_and_differ(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    cleo = await make_person(db, name="Cleo")
    mine = await _bearer(client, cleo.email)
    short = await client.post(
        f"{API}/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=mine,
    )
    assert short.status_code == 422
    same = await client.post(
        f"{API}/me/password",
        json={"current_password": PASSWORD, "new_password": PASSWORD},
        headers=mine,
    )
    assert same.status_code == 422
    assert same.json()["errors"][0]["field"] == "new_password"
    assert (await _token(client, cleo.email)).status_code == 200
    anonymous = await client.post(
        f"{API}/me/password", json={"current_password": PASSWORD, "new_password": NEW}
    )
    assert anonymous.status_code == 401


async def test_the_page_changes_it_and_says_so(
    db: AsyncSession, app: FastAPI, client: httpx.AsyncClient
) -> None:
    dan = await make_person(db, name="Dan")
    email = dan.email
    other = await _bearer(client, email)
    async with _browser(app) as browser:
        assert (await sign_in(browser, email)).status_code == 303
        form = await browser.get("/account/password")
        assert form.status_code == 200 and 'autocomplete="current-password"' in form.text
        csrf = csrf_of(form.text)
        refused = await browser.post(
            "/account/password",
            data={"csrf_token": csrf, "current_password": "wrong guess", "new_password": NEW},
        )
        assert refused.status_code == 422
        assert "That is not your current password." in refused.text
        assert 'aria-invalid="true"' in refused.text
        forged = await browser.post(
            "/account/password", data={"current_password": PASSWORD, "new_password": NEW}
        )
        assert forged.status_code == 403
        done = await browser.post(
            "/account/password",
            data={"csrf_token": csrf, "current_password": PASSWORD, "new_password": NEW},
        )
        assert done.status_code == 303
        shown = await browser.get(done.headers["location"])
        assert "Your password is changed, and you are signed out everywhere else." in shown.text
        assert (await client.get(f"{API}/me", headers=other)).status_code == 401
    assert (await _token(client, email, NEW)).status_code == 200
