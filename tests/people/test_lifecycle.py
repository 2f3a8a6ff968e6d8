"""Deactivating and reactivating a person (POST /people/{id}/deactivate, /reactivate): signed
out everywhere, no more sign-in, what they wrote stays and is shown as a former member's, no
notifications, not mentionable, not in the directory; the last administrator stays."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conversations.helpers import join, make_post, make_space, post
from tests.factories import PASSWORD, auth_headers, make_person
from tests.web.helpers import sign_in

API = "/api/v1"


async def test_a_deactivated_person_is_signed_out_and_kept_as_a_former_member(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI
) -> None:
    admin = await make_person(db, name="Ada", role="admin")
    cleo = await make_person(db, name="Cleo Leaver")
    dan = await make_person(db, name="Dan")
    cleo_id, cleo_email = str(cleo.id), cleo.email
    as_admin, as_cleo = await auth_headers(client, admin), await auth_headers(client, cleo)
    as_dan = await auth_headers(client, dan)
    space = await make_space(client, as_admin, name="Guild")
    await join(client, as_cleo, space["id"])
    await join(client, as_dan, space["id"])
    written = await make_post(client, as_cleo, space["id"], "What I leave behind")

    answer = await client.post(f"{API}/people/{cleo_id}/deactivate", headers=as_admin)
    assert answer.status_code == 200, answer.text
    assert answer.json()["is_active"] is False

    assert (await client.get(f"{API}/me", headers=as_cleo)).status_code == 401
    token = await client.post(f"{API}/auth/token", json={"email": cleo_email, "password": PASSWORD})
    assert token.status_code == 401
    # what they wrote stays, under their name, marked and no longer a link to a profile
    kept = await client.get(f"{API}/posts/{written['id']}", headers=as_dan)
    assert kept.status_code == 200 and kept.json()["body"] == "What I leave behind"
    transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        assert (await sign_in(browser, dan.email)).status_code == 303
        page = (await browser.get(f"/posts/{written['id']}")).text
    assert "Cleo Leaver" in page and "former member" in page
    assert f'href="/people/{cleo_id}"' not in page
    # not in the directory, not mentionable: a mention tells them nothing
    names = [p["name"] for p in (await client.get(f"{API}/people", headers=as_dan)).json()["items"]]
    assert "Cleo Leaver" not in names
    by_id = await post(client, as_dan, space["id"], f"Thanks @[{cleo_id}]")
    assert by_id.status_code == 422 and "nobody you can mention" in by_id.json()["detail"]
    by_name = await make_post(client, as_dan, space["id"], "Thanks @Cleo Leaver")
    assert "<a" not in by_name["html"].split("Thanks")[1]
    await client.post(f"{API}/people/{cleo_id}/reactivate", headers=as_admin)
    again = await client.post(f"{API}/auth/token", json={"email": cleo_email, "password": PASSWORD})
    assert again.status_code == 200
    as_cleo = {"Authorization": f"Bearer {again.json()['access_token']}"}
    told = (await client.get(f"{API}/notifications", headers=as_cleo)).json()["items"]
    assert told == []


async def test_only_an_administrator_deactivates_and_never_the_last_one(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada", role="admin")
    ben = await make_person(db, name="Ben")
    admin_id, ben_id = str(admin.id), str(ben.id)
    as_admin, as_ben = await auth_headers(client, admin), await auth_headers(client, ben)

    refused = await client.post(f"{API}/people/{admin_id}/deactivate", headers=as_ben)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    last = await client.post(f"{API}/people/{admin_id}/deactivate", headers=as_admin)
    assert last.status_code == 409
    assert "administrator" in last.json()["detail"]
    assert (await client.get(f"{API}/me", headers=as_admin)).status_code == 200
    missing = await client.post(f"{API}/people/999999/deactivate", headers=as_admin)
    assert missing.status_code == 404
    assert (
        await client.post(f"{API}/people/{ben_id}/reactivate", headers=as_ben)
    ).status_code == 403
    # a deactivated person is still known to administrators, who can bring them back
    assert (
        await client.post(f"{API}/people/{ben_id}/deactivate", headers=as_admin)
    ).status_code == 200
    shown = await client.get(f"{API}/people/{ben_id}", headers=as_admin)
    assert shown.status_code == 200 and shown.json()["is_active"] is False
    back = await client.post(f"{API}/people/{ben_id}/reactivate", headers=as_admin)
    assert back.status_code == 200 and back.json()["is_active"] is True
