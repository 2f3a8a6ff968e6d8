"""The identity pages, followed as a browser does (forms with their CSRF tokens, redirects,
cookies), with the e-mail coming through a real SMTP server: forgot password, choose a new
one, invite from the admin page and from a hybrid space's members tab, accept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conversations.helpers import make_space
from tests.factories import auth_headers, make_person
from tests.mailbox import Inbox, link_in
from tests.web.helpers import csrf_of, sign_in

NEW = "my fresh new passphrase"


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        yield client


def _local(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def test_forgot_password_from_the_sign_in_page_to_a_new_password(
    inbox: Inbox, browser: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    email = ana.email
    assert 'href="/password-reset"' in (await browser.get("/sign-in")).text
    page = await browser.get("/password-reset")
    asked = await browser.post(
        "/password-reset", data={"csrf_token": csrf_of(page.text), "email": email}
    )
    assert asked.status_code == 200 and "is on its way" in asked.text
    await inbox.messages()
    link = _local(link_in(inbox.to(email)[0], "/password-reset/confirm"))

    form = await browser.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.text
    token = link.split("token=")[1]
    weak = await browser.post(
        "/password-reset/confirm",
        data={"csrf_token": csrf_of(form.text), "token": token, "new_password": "short"},
    )
    assert weak.status_code == 422 and 'aria-invalid="true"' in weak.text
    done = await browser.post(
        "/password-reset/confirm",
        data={"csrf_token": csrf_of(form.text), "token": token, "new_password": NEW},
    )
    assert done.status_code == 303 and done.headers["location"] == "/sign-in?reset=1"
    assert "Your new password is set" in (await browser.get("/sign-in?reset=1")).text
    assert (await sign_in(browser, email, NEW)).status_code == 303

    dead = await browser.get(link)
    assert dead.status_code == 410 and "This link no longer works" in dead.text


async def test_a_bad_address_or_too_many_requests_are_said_on_the_form(
    inbox: Inbox, browser: httpx.AsyncClient
) -> None:
    page = await browser.get("/password-reset")
    bad = await browser.post(
        "/password-reset", data={"csrf_token": csrf_of(page.text), "email": "not-an-address"}
    )
    assert bad.status_code == 422 and "must be an e-mail address" in bad.text
    for _ in range(3):
        await browser.post(
            "/password-reset", data={"csrf_token": csrf_of(page.text), "email": "x@example.com"}
        )
    limited = await browser.post(
        "/password-reset", data={"csrf_token": csrf_of(page.text), "email": "x@example.com"}
    )
    assert limited.status_code == 429 and "several times already" in limited.text
    assert int(limited.headers["Retry-After"]) > 0


async def test_an_admin_invites_from_the_page_and_the_link_signs_the_new_member_in(
    inbox: Inbox, browser: httpx.AsyncClient, app: FastAPI, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada", role="admin")
    assert (await sign_in(browser, admin.email)).status_code == 303
    page = await browser.get("/invitations")
    assert page.status_code == 200 and "Invite someone" in page.text
    sent = await browser.post(
        "/invitations",
        data={"csrf_token": csrf_of(page.text), "email": "nora@example.com", "name": "Nora"},
    )
    assert sent.status_code == 303
    listed = await browser.get(sent.headers["location"])
    assert "Invitation sent to nora@example.com" in listed.text and "pending" in listed.text
    await inbox.messages()
    link = _local(link_in(inbox.to("nora@example.com")[0], "/invitations/accept"))

    transport = httpx.ASGITransport(app=app, client=("198.51.100.21", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as nora:
        form = await nora.get(link)
        assert form.status_code == 200 and "nora@example.com" in form.text
        assert 'value="Nora"' in form.text
        token = link.split("token=")[1]
        joined = await nora.post(
            "/invitations/accept",
            data={
                "csrf_token": csrf_of(form.text),
                "token": token,
                "name": "Nora N",
                "password": NEW,
            },
        )
        assert joined.status_code == 303 and joined.headers["location"] == "/"
        home = await nora.get("/")
        assert home.status_code == 200 and "Nora N" in home.text
        again = await nora.get(link)
        assert again.status_code == 410


async def test_a_hybrid_space_owner_invites_from_the_members_tab(
    inbox: Inbox, browser: httpx.AsyncClient, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga")
    space = await make_space(
        client, await auth_headers(client, owner), name="Acme deal", kind="hybrid"
    )
    assert (await sign_in(browser, owner.email)).status_code == 303
    tab = await browser.get(f"/spaces/{space['slug']}?tab=members")
    assert "Invite someone from outside" in tab.text
    fields = {
        "csrf_token": csrf_of(tab.text),
        "kind": "external",
        "space_ids": space["id"],
        "back": f"/spaces/{space['slug']}",
        "email": "carl@acme.example",
        "organization": "Acme Corp",
        "relation": "partner",
    }
    sent = await browser.post("/invitations", data=fields)
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"/spaces/{space['slug']}?tab=members&invited=")
    shown = await browser.get(sent.headers["location"])
    assert "Invitation sent to carl@acme.example" in shown.text
    await inbox.messages()
    assert inbox.to("carl@acme.example")[0]["Subject"] == "Olga invited you to Acme deal"
    # a mistake comes back on a page that still holds the form, filled in
    twice = await browser.post("/invitations", data={**fields, "organization": ""})
    assert twice.status_code == 422 and "organization" in twice.text
    assert 'value="carl@acme.example"' in twice.text
