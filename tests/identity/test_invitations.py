"""Invitations by e-mail through a real SMTP server: administrators invite members and
externals, a hybrid space's owners invite externals into it, links are single-use, expire,
can be resent and revoked (410 after), and the accepted external lands in their space with
their organisation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.identity.models import Invitation
from atoll.kit.time import utcnow
from tests.conversations.helpers import add_member, make_space
from tests.factories import auth_headers, make_person
from tests.mailbox import Inbox, body_of, link_in

API = "/api/v1"
SECRET = "a long enough passphrase"


async def _token_from(inbox: Inbox, email: str) -> str:
    await inbox.messages()
    link = link_in(inbox.to(email)[-1], "/invitations/accept")
    return parse_qs(urlsplit(link).query)["token"][0]


async def _accept(client: httpx.AsyncClient, token: str, **body: Any) -> httpx.Response:
    return await client.post(
        f"{API}/invitations/accept", json={"token": token, "password": SECRET, **body}
    )


async def test_an_admin_invites_a_member_who_accepts_and_signs_in(
    inbox: Inbox, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    as_admin = await auth_headers(client, admin)
    sent = await client.post(
        f"{API}/invitations", json={"email": "Nina@Example.com", "name": "Nina"}, headers=as_admin
    )
    assert sent.status_code == 201, sent.text
    invitation = sent.json()
    assert invitation["email"] == "nina@example.com" and invitation["status"] == "pending"
    await inbox.messages()
    [message] = inbox.to("nina@example.com")
    assert message["Subject"] == "Ada Admin invited you to Atoll"
    assert "Hello Nina," in body_of(message)

    token = await _token_from(inbox, "nina@example.com")
    accepted = await _accept(client, token, name="Nina Novak")
    assert accepted.status_code == 201, accepted.text
    me = await client.get(
        f"{API}/me", headers={"Authorization": f"Bearer {accepted.json()['access_token']}"}
    )
    assert me.json()["name"] == "Nina Novak" and me.json()["kind"] == "member"
    signed = await client.post(
        f"{API}/auth/token", json={"email": "nina@example.com", "password": SECRET}
    )
    assert signed.status_code == 200

    used = await _accept(client, token)
    assert used.status_code == 410
    assert "Ask whoever invited you" in used.json()["detail"]
    listed = (await client.get(f"{API}/invitations", headers=as_admin)).json()["items"]
    assert [(i["status"], i["person_id"]) for i in listed] == [("accepted", me.json()["id"])]


async def test_a_hybrid_space_owner_invites_an_external_straight_into_the_space(
    inbox: Inbox, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga Owner")
    as_owner = await auth_headers(client, owner)
    hybrid = await make_space(
        client, as_owner, name="Acme launch", kind="hybrid", visibility="private"
    )
    community = await make_space(client, as_owner, name="Guild")
    body = {
        "email": "carla@acme.example",
        "name": "Carla",
        "kind": "external",
        "organization": "Acme Corp",
        "relation": "customer",
        "space_ids": [hybrid["id"]],
    }
    sent = await client.post(f"{API}/invitations", json=body, headers=as_owner)
    assert sent.status_code == 201, sent.text
    assert sent.json()["space_ids"] == [hybrid["id"]]
    await inbox.messages()
    assert inbox.to("carla@acme.example")[0]["Subject"] == "Olga Owner invited you to Acme launch"

    token = await _token_from(inbox, "carla@acme.example")
    accepted = await _accept(client, token)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["space_ids"] == [hybrid["id"]]
    as_carla = {"Authorization": f"Bearer {accepted.json()['access_token']}"}
    me = (await client.get(f"{API}/me", headers=as_carla)).json()
    assert (me["kind"], me["organization"], me["relation"]) == ("external", "Acme Corp", "customer")
    mine = (await client.get(f"{API}/spaces", headers=as_carla)).json()["items"]
    assert [(s["name"], s["my_role"]) for s in mine] == [("Acme launch", "member")]
    # the owner may not invite members, nor externals into a community
    member = await client.post(
        f"{API}/invitations", json={"email": "m@example.com", "kind": "member"}, headers=as_owner
    )
    assert member.status_code == 403
    into_community = await client.post(
        f"{API}/invitations",
        json={**body, "email": "d@acme.example", "space_ids": [community["id"]]},
        headers=as_owner,
    )
    assert into_community.status_code == 422
    assert into_community.json()["errors"][0]["field"] == "space_ids"


async def test_only_managers_invite_and_secret_spaces_stay_secret(
    inbox: Inbox, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga")
    ben = await make_person(db, name="Ben")
    as_owner, as_ben = await auth_headers(client, owner), await auth_headers(client, ben)
    hybrid = await make_space(client, as_owner, name="Deal", kind="hybrid", visibility="secret")
    external = {
        "email": "x@acme.example",
        "kind": "external",
        "organization": "Acme",
        "relation": "partner",
        "space_ids": [hybrid["id"]],
    }
    hidden = await client.post(f"{API}/invitations", json=external, headers=as_ben)
    assert hidden.status_code == 404
    await add_member(client, as_owner, hybrid["id"], ben.id)
    plain_member = await client.post(f"{API}/invitations", json=external, headers=as_ben)
    assert plain_member.status_code == 403
    await add_member(client, as_owner, hybrid["id"], ben.id, role="moderator")
    moderator = await client.post(f"{API}/invitations", json=external, headers=as_ben)
    assert moderator.status_code == 201
    # nobody sees another's invitations but administrators
    assert (await client.get(f"{API}/invitations", headers=as_owner)).json()["items"] == []
    foreign = await client.delete(f"{API}/invitations/{moderator.json()['id']}", headers=as_owner)
    assert foreign.status_code == 404


async def test_resend_revoke_and_expiry_each_kill_the_old_link(
    inbox: Inbox, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada", role="admin")
    as_admin = await auth_headers(client, admin)
    sent = await client.post(
        f"{API}/invitations", json={"email": "a@example.com"}, headers=as_admin
    )
    iid = sent.json()["id"]
    first = await _token_from(inbox, "a@example.com")
    resent = await client.post(f"{API}/invitations/{iid}/resend", headers=as_admin)
    assert resent.status_code == 200 and resent.json()["status"] == "pending"
    second = await _token_from(inbox, "a@example.com")
    assert first != second
    assert (await _accept(client, first, name="A")).status_code == 410

    assert (await client.delete(f"{API}/invitations/{iid}", headers=as_admin)).status_code == 204
    assert (await _accept(client, second, name="A")).status_code == 410
    listed = (await client.get(f"{API}/invitations?status=revoked", headers=as_admin)).json()
    assert [i["id"] for i in listed["items"]] == [iid]
    assert (
        await client.post(f"{API}/invitations/{iid}/resend", headers=as_admin)
    ).status_code == 409

    later = await client.post(
        f"{API}/invitations", json={"email": "b@example.com"}, headers=as_admin
    )
    token = await _token_from(inbox, "b@example.com")
    await db.execute(
        update(Invitation)
        .where(Invitation.id == int(later.json()["id"]))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await db.commit()
    expired = await _accept(client, token, name="B")
    assert expired.status_code == 410
    people = (await client.get(f"{API}/people", headers=as_admin)).json()["items"]
    assert [p["name"] for p in people] == ["Ada"]
    again = await client.post(f"{API}/invitations/{later.json()['id']}/resend", headers=as_admin)
    assert again.status_code == 200 and again.json()["status"] == "pending"


async def test_bad_invitations_are_refused_and_change_nothing(
    inbox: Inbox, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada", role="admin")
    taken = await make_person(db, name="Taken")
    as_admin = await auth_headers(client, admin)
    invite = f"{API}/invitations"
    assert (
        await client.post(invite, json={"email": taken.email}, headers=as_admin)
    ).status_code == 409
    assert (await client.post(invite, json={"email": "nope"}, headers=as_admin)).status_code == 422
    # what a mail header would read otherwise: two recipients, a domain literal, an empty label
    for unsendable in ("a,b@example.com", "a@[x|y.example", "a@example..com", '"a b"@x.example'):
        r = await client.post(invite, json={"email": unsendable}, headers=as_admin)
        assert r.status_code == 422, (unsendable, r.text)
        assert r.json()["errors"][0]["field"] == "email"
    no_org = await client.post(
        invite,
        json={"email": "e@x.example", "kind": "external", "relation": "customer"},
        headers=as_admin,
    )
    assert no_org.status_code == 422 and no_org.json()["errors"][0]["field"] == "organization"
    extra = await client.post(
        invite, json={"email": "e@x.example", "role": "admin"}, headers=as_admin
    )
    assert extra.status_code == 422
    twice = [
        (await client.post(invite, json={"email": "t@example.com"}, headers=as_admin)).status_code
        for _ in range(2)
    ]
    assert twice == [201, 409]
    token = await _token_from(inbox, "t@example.com")
    assert (await _accept(client, token, name="T", password="short")).status_code == 422
    assert (await _accept(client, token)).status_code == 422  # no name on the invitation either
    assert (await _accept(client, token, name="T")).status_code == 201
    assert (await client.post(invite, json={"email": "u@example.com"})).status_code == 401
