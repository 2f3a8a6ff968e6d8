"""The TOTP second factor: set up through the API and the page (confirmed with a code before it
is on, recovery codes shown once), signing in with it (page and POST /auth/token), wrong,
replayed and used-up codes, the throttle, turning it off, and ATOLL_REQUIRE_TOTP.

Codes are computed here from the secret, as an authenticator app does: the one that turns TOTP
on for the 30-second step of the moment (``base``), and one more for the step of the moment
again, or the next step while the clock is still at ``base`` (no code works twice). The server
accepts a code of its own step and of the steps either side, so a step boundary passing
during a test changes nothing; no test needs more than those two codes (recovery codes do the
rest)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.time import utcnow
from atoll.people import otp, totp
from atoll.people.models import Person, TotpSecret
from tests.factories import PASSWORD, auth_headers, make_person
from tests.web.helpers import csrf_of, sign_in

API = "/api/v1"


def _code(secret: str, step: int) -> str:
    return otp.code_at(secret, step)


def _next_code(secret: str, base: int) -> str:
    """A code newer than the one of step ``base`` that the server takes now: the current
    step's, or the next step's while the clock is still at ``base``."""
    return otp.code_at(secret, max(otp.step_of(utcnow()), base + 1))


async def _enable(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """Turn TOTP on through the API with the code of the current step; the secret, that step
    (``base``) and the recovery codes."""
    setup = await client.post(f"{API}/me/totp/setup", headers=headers)
    assert setup.status_code == 201, setup.text
    secret = setup.json()["secret"]
    base = otp.step_of(utcnow())
    confirmed = await client.post(
        f"{API}/me/totp/confirm", json={"code": _code(secret, base)}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    return {"secret": secret, "base": base, "codes": confirmed.json()["recovery_codes"]}


async def _token(client: httpx.AsyncClient, email: str, **more: Any) -> httpx.Response:
    body = {"email": email, "password": PASSWORD, **more}
    return await client.post(f"{API}/auth/token", json=body)


def _browser(app: FastAPI, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_setting_it_up_through_the_api(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana", email="ana@example.com")
    headers = await auth_headers(client, ana)
    status = (await client.get(f"{API}/me/totp", headers=headers)).json()
    assert status == {"enabled": False, "required": False, "recovery_codes_left": 0}
    setup = (await client.post(f"{API}/me/totp/setup", headers=headers)).json()
    secret = setup["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert setup["uri"].startswith("otpauth://totp/Atoll%3Aana%40example.com?secret=" + secret)
    # Not on before it is confirmed: a token needs no code yet.
    assert (await _token(client, ana.email)).status_code == 200
    base = otp.step_of(utcnow())
    wrong = await client.post(
        f"{API}/me/totp/confirm", json={"code": _code(secret, base + 5)}, headers=headers
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "code"
    for bad in ({"code": ""}, {}, {"code": "1" * 65}, {"code": "123456", "x": 1}):
        answer = await client.post(f"{API}/me/totp/confirm", json=bad, headers=headers)
        assert answer.status_code == 422, bad
    right = await client.post(
        f"{API}/me/totp/confirm", json={"code": _code(secret, base)}, headers=headers
    )
    assert right.status_code == 200
    codes = right.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    status = (await client.get(f"{API}/me/totp", headers=headers)).json()
    assert status == {"enabled": True, "required": False, "recovery_codes_left": 10}
    assert secret not in str(status)
    again = await client.post(f"{API}/me/totp/setup", headers=headers)
    assert again.status_code == 409
    stored = await db.scalar(select(TotpSecret.secret).where(TotpSecret.person_id == ana.id))
    assert stored is not None and secret not in stored  # encrypted at rest
    confirm_twice = await client.post(
        f"{API}/me/totp/confirm", json={"code": _code(secret, base + 1)}, headers=headers
    )
    assert confirm_twice.status_code == 409


async def test_a_token_needs_a_code_once_it_is_on_and_no_code_works_twice(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ben = await make_person(db, name="Ben")
    on = await _enable(client, await auth_headers(client, ben))
    secret, base = on["secret"], on["base"]
    missing = await _token(client, ben.email)
    assert missing.status_code == 401
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["errors"] == [{"field": "totp", "message": "a code is needed"}]
    assert "totp" in missing.json()["detail"]
    wrong = await _token(client, ben.email, totp=_code(secret, base + 5))
    assert wrong.status_code == 401 and wrong.json()["errors"][0]["field"] == "totp"
    used_by_setup = await _token(client, ben.email, totp=_code(secret, base))
    assert used_by_setup.status_code == 401
    fresh = _next_code(secret, base)
    right = await _token(client, ben.email, totp=fresh)
    assert right.status_code == 200, right.text
    replayed = await _token(client, ben.email, totp=fresh)
    assert replayed.status_code == 401
    wrong_password = await client.post(
        f"{API}/auth/token",
        json={"email": ben.email, "password": "not it", "totp": fresh},
    )
    assert wrong_password.status_code == 401


async def test_a_recovery_code_works_once(client: httpx.AsyncClient, db: AsyncSession) -> None:
    cy = await make_person(db, name="Cy")
    headers = await auth_headers(client, cy)
    codes = (await _enable(client, headers))["codes"]
    assert (await _token(client, cy.email, totp=codes[0])).status_code == 200
    assert (await _token(client, cy.email, totp=codes[0])).status_code == 401
    typed = codes[1].replace("-", "").upper()  # as people type them
    assert (await _token(client, cy.email, totp=typed)).status_code == 200
    left = (await client.get(f"{API}/me/totp", headers=headers)).json()["recovery_codes_left"]
    assert left == 8


async def test_wrong_codes_count_on_the_sign_in_throttle(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI
) -> None:
    dora = await make_person(db, name="Dora")
    on = await _enable(client, await auth_headers(client, dora))
    wrong = _code(on["secret"], on["base"] + 5)
    limit = app.state.settings.login_max_failures_address
    answers = [(await _token(client, dora.email, totp=wrong)).status_code for _ in range(limit + 1)]
    assert answers[:limit] == [401] * limit
    assert answers[limit] == 429
    # The right code does not get through either while the address is held back.
    right = await _token(client, dora.email, totp=_next_code(on["secret"], on["base"]))
    assert right.status_code == 429 and "retry-after" in right.headers


async def test_turning_it_off_needs_the_password_and_a_code(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    eve = await make_person(db, name="Eve")
    headers = await auth_headers(client, eve)
    on = await _enable(client, headers)
    code = _next_code(on["secret"], on["base"])
    url = f"{API}/me/totp/disable"
    bad_password = await client.post(url, json={"password": "nope", "code": code}, headers=headers)
    assert bad_password.status_code == 422
    assert bad_password.json()["errors"][0]["field"] == "password"
    bad_code = await client.post(
        url, json={"password": PASSWORD, "code": _code(on["secret"], on["base"])}, headers=headers
    )
    assert bad_code.status_code == 422 and bad_code.json()["errors"][0]["field"] == "code"
    assert (await client.post(url, json={"password": PASSWORD}, headers=headers)).status_code == 422
    off = await client.post(url, json={"password": PASSWORD, "code": code}, headers=headers)
    assert off.status_code == 204
    assert (await client.get(f"{API}/me/totp", headers=headers)).json()["enabled"] is False
    assert (await _token(client, eve.email)).status_code == 200
    twice = await client.post(url, json={"password": PASSWORD, "code": code}, headers=headers)
    assert twice.status_code == 409


async def test_signing_in_on_the_page_asks_for_the_code(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI
) -> None:
    fay = await make_person(db, name="Fay")
    on = await _enable(client, await auth_headers(client, fay))
    async with _browser(app) as browser:
        first = await sign_in(browser, fay.email)
        assert first.status_code == 200 and "Two-step sign-in" in first.text
        assert "atoll_session" not in browser.cookies
        pending = re.search(r'name="pending" value="([^"]+)"', first.text)
        assert pending
        form = {"csrf_token": csrf_of(first.text), "pending": pending[1], "next": "/people"}
        wrong = await browser.post(
            "/sign-in/code", data={**form, "code": _code(on["secret"], on["base"] + 5)}
        )
        assert wrong.status_code == 401 and "wrong or was used" in wrong.text
        assert "atoll_session" not in browser.cookies
        fresh = _next_code(on["secret"], on["base"])
        right = await browser.post("/sign-in/code", data={**form, "code": fresh})
        assert right.status_code == 303 and right.headers["location"] == "/people"
        assert (await browser.get(f"{API}/me")).json()["name"] == "Fay"
    async with _browser(app) as other:  # the same code, replayed elsewhere
        first = await sign_in(other, fay.email)
        pending = re.search(r'name="pending" value="([^"]+)"', first.text)
        assert pending
        replay = {"csrf_token": csrf_of(first.text), "pending": pending[1], "next": "/"}
        replay["code"] = fresh
        assert (await other.post("/sign-in/code", data=replay)).status_code == 401
        replay["code"] = on["codes"][0]  # a recovery code does it
        assert (await other.post("/sign-in/code", data=replay)).status_code == 303


async def test_a_forged_or_stale_pending_sign_in_is_refused(db: AsyncSession, app: FastAPI) -> None:
    gus = await make_person(db, name="Gus")
    key = app.state.settings.signing_key
    stale = otp.pending_state(key, person_id=gus.id, now=utcnow() - timedelta(minutes=6))
    fresh = otp.pending_state(key, person_id=gus.id, now=utcnow())
    forged = f"{gus.id + 1}.{fresh.split('.')[1]}.{fresh.split('.')[2]}"
    async with _browser(app) as browser:
        page = await browser.get("/sign-in")
        for state in (stale, forged, "", "1.2", "x.y.z"):
            form = {"csrf_token": csrf_of(page.text), "pending": state, "code": "123456"}
            answer = await browser.post("/sign-in/code", data=form)
            assert answer.status_code == 401 and "took too long" in answer.text, state
            assert "atoll_session" not in browser.cookies


async def test_setting_it_up_and_turning_it_off_on_the_page(db: AsyncSession, app: FastAPI) -> None:
    hal = await make_person(db, name="Hal")
    async with _browser(app) as browser:
        assert (await sign_in(browser, hal.email)).status_code == 303
        page = await browser.get("/account/security")
        assert page.status_code == 200 and "is <strong>off</strong>" in page.text
        setup = await browser.post(
            "/account/security/setup", data={"csrf_token": csrf_of(page.text)}
        )
        assert setup.status_code == 200 and "<svg" in setup.text and "otpauth://totp/" in setup.text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', setup.text)
        assert secret
        base = otp.step_of(utcnow())
        csrf = csrf_of(setup.text)
        wrong = await browser.post(
            "/account/security/confirm", data={"csrf_token": csrf, "code": "12"}
        )
        assert wrong.status_code == 422 and secret[1] in wrong.text  # the same setup, again
        done = await browser.post(
            "/account/security/confirm",
            data={"csrf_token": csrf, "code": _code(secret[1], base)},
        )
        assert done.status_code == 200 and "shown only this once" in done.text
        codes = re.findall(r"<li><code>([a-z0-9]{4}-[a-z0-9]{4})</code></li>", done.text)
        assert len(codes) == 10
        now_on = await browser.get("/account/security")
        assert "is <strong>on</strong>" in now_on.text and "10 unused recovery codes" in now_on.text
        assert secret[1] not in now_on.text
        refused = await browser.post(
            "/account/security/disable",
            data={"csrf_token": csrf, "password": "wrong", "code": codes[0]},
        )
        assert refused.status_code == 422 and "is not your password" in refused.text
        off = await browser.post(
            "/account/security/disable",
            data={"csrf_token": csrf, "password": PASSWORD, "code": codes[0]},
        )
        assert off.status_code == 303
        assert "is <strong>off</strong>" in (await browser.get("/account/security")).text


@pytest.fixture
def totp_required(app: FastAPI) -> Iterator[None]:
    before = app.state.settings
    app.state.settings = before.model_copy(update={"require_totp": True})
    try:
        yield
    finally:
        app.state.settings = before


@pytest.mark.usefixtures("totp_required")
async def test_when_required_nothing_else_works_until_it_is_set_up(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI
) -> None:
    ivy = await make_person(db, name="Ivy")
    async with _browser(app) as browser:
        signed_in = await sign_in(browser, ivy.email)
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/account/security?required=1"
        home = await browser.get("/")
        assert home.status_code == 303
        assert home.headers["location"] == "/account/security?required=1"
        page = await browser.get("/account/security?required=1")
        assert page.status_code == 200 and "requires two-step sign-in" in page.text
    headers = await auth_headers(client, ivy)
    held = await client.get(f"{API}/me", headers=headers)
    assert held.status_code == 403 and "requires two-step sign-in" in held.json()["detail"]
    status = (await client.get(f"{API}/me/totp", headers=headers)).json()
    assert status["required"] is True and status["enabled"] is False
    on = await _enable(client, headers)
    assert (await client.get(f"{API}/me", headers=headers)).status_code == 200
    off = await client.post(
        f"{API}/me/totp/disable",
        json={"password": PASSWORD, "code": on["codes"][0]},
        headers=headers,
    )
    assert off.status_code == 409  # it cannot be turned off while required


@pytest.mark.usefixtures("totp_required")
async def test_the_requirement_spares_people_without_a_password(
    db: AsyncSession, app: FastAPI
) -> None:
    sso = await make_person(db, name="Jo", password=None)
    person = await db.get(Person, sso.id)
    assert person is not None
    assert await totp.must_set_up(db, app.state.settings, person=person) is False
    with_password = await make_person(db, name="Kim")
    assert await totp.must_set_up(db, app.state.settings, person=with_password) is True


async def test_wrong_codes_on_the_page_count_on_the_throttle(
    db: AsyncSession, app: FastAPI, client: httpx.AsyncClient
) -> None:
    kim = await make_person(db, name="Kim")
    on = await _enable(client, await auth_headers(client, kim))
    limit = app.state.settings.login_max_failures
    async with _browser(app, "198.51.100.20") as browser:
        first = await sign_in(browser, kim.email)
        pending = re.search(r'name="pending" value="([^"]+)"', first.text)
        assert pending
        form = {"csrf_token": csrf_of(first.text), "pending": pending[1], "next": "/"}
        form["code"] = _code(on["secret"], on["base"] + 5)
        answers = [(await browser.post("/sign-in/code", data=form)).status_code for _ in range(5)]
        assert answers == [401] * limit
        form["code"] = _next_code(on["secret"], on["base"])  # right, but too late
        refused = await browser.post("/sign-in/code", data=form)
        assert refused.status_code == 429 and "try again" in refused.text
        assert "retry-after" in refused.headers and "atoll_session" not in browser.cookies


async def test_an_administrator_resets_someones_two_step_sign_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    lea = await make_person(db, name="Lea")
    ada = await make_person(db, name="Ada", role="admin")
    mo = await make_person(db, name="Mo")
    await _enable(client, await auth_headers(client, lea))
    assert (await _token(client, lea.email)).status_code == 401
    url = f"{API}/people/{lea.id}/totp"
    assert (await client.delete(url, headers=await auth_headers(client, mo))).status_code == 403
    assert (await _token(client, lea.email)).status_code == 401  # still on
    assert (await client.delete(url, headers=await auth_headers(client, ada))).status_code == 204
    assert (await _token(client, lea.email)).status_code == 200
    unknown = await client.delete(
        f"{API}/people/999999/totp", headers=await auth_headers(client, ada)
    )
    assert unknown.status_code == 404


async def test_new_recovery_codes_replace_the_old_ones(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI
) -> None:
    nia = await make_person(db, name="Nia")
    headers = await auth_headers(client, nia)
    on = await _enable(client, headers)
    url = f"{API}/me/totp/recovery-codes"
    wrong = await client.post(url, json={"code": _code(on["secret"], on["base"])}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "code"
    renewed = await client.post(url, json={"code": on["codes"][0]}, headers=headers)
    assert renewed.status_code == 200
    new = renewed.json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(on["codes"])
    assert (await _token(client, nia.email, totp=on["codes"][1])).status_code == 401
    assert (await _token(client, nia.email, totp=new[0])).status_code == 200
    async with _browser(app) as browser:  # and on the page, with a code of the app
        first = await sign_in(browser, nia.email)
        pending = re.search(r'name="pending" value="([^"]+)"', first.text)
        assert pending
        form = {"csrf_token": csrf_of(first.text), "pending": pending[1], "code": new[1]}
        assert (await browser.post("/sign-in/code", data=form)).status_code == 303
        page = await browser.get("/account/security")
        made = await browser.post(
            "/account/security/recovery-codes",
            data={"csrf_token": csrf_of(page.text), "code": _next_code(on["secret"], on["base"])},
        )
        assert made.status_code == 200 and "shown only this once" in made.text
        shown = re.findall(r"<li><code>([a-z0-9]{4}-[a-z0-9]{4})</code></li>", made.text)
        assert len(shown) == 10 and not set(shown) & set(new)
