"""Every administrative action on spaces, memberships, invitations, single sign-on, SCIM
provisioning and data exports, done as a user (or a provisioning client) does it, then read
back from the audit log. People and the organisation are in ``test_audit_log.py``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.identity.accounts import Identity, do_sso_sign_in
from atoll.identity.scim_tokens import do_create_token, do_revoke_token
from atoll.kit.time import utcnow
from atoll.spaces.models import Space
from atoll.spaces.service import do_close_due_situation_rooms
from tests.factories import auth_headers, make_person, make_unit
from tests.governance.audit_helpers import AuditLog
from tests.identity.scim_helpers import GROUP, user_body
from tests.mailbox import Inbox, link_in
from tests.web.helpers import sign_in

API = "/api/v1"
SCIM = "/scim/v2"


async def _log(client: httpx.AsyncClient, db: AsyncSession) -> tuple[Any, AuditLog]:
    admin = await make_person(db, name="Ada Admin", role="admin")
    log = AuditLog(client, await auth_headers(client, admin))
    await log.new()
    return admin, log


async def test_spaces_their_settings_and_archiving_are_logged(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    admin, log = await _log(client, db)
    owner = await make_person(db, name="Olga Owner")
    await log.new()
    mine = await auth_headers(client, owner)
    made = await client.post(
        f"{API}/spaces",
        json={"name": "Guild", "kind": "community", "visibility": "open"},
        headers=mine,
    )
    assert made.status_code == 201, made.text
    space = int(made.json()["id"])
    entry = await log.expect(
        "space.created", actor=owner.id, target=("space", space), space_id=space
    )
    assert entry["detail"]["after"]["name"] == "Guild"
    changed = await client.patch(
        f"{API}/spaces/{space}",
        json={
            "name": "Python Guild",
            "visibility": "private",
            "description": "Snakes",
            "wiki_moderators_only": True,
        },
        headers=mine,
    )
    assert changed.status_code == 200, changed.text
    await log.expect(
        "space.updated",
        actor=owner.id,
        target=("space", space),
        before={
            "name": "Guild",
            "visibility": "open",
            "description": "",
            "wiki_moderators_only": False,
        },
        after={
            "name": "Python Guild",
            "visibility": "private",
            "description": "Snakes",
            "wiki_moderators_only": True,
        },
    )
    archived = await client.post(f"{API}/spaces/{space}/archive", headers=log.headers)
    assert archived.status_code == 200
    await log.expect("space.archived", actor=admin.id, target=("space", space), space_id=space)

    room = await client.post(
        f"{API}/spaces",
        json={
            "name": "Outage",
            "kind": "situation",
            "visibility": "private",
            "closes_at": (utcnow() + timedelta(days=1)).isoformat(),
        },
        headers=mine,
    )
    room_id = int(room.json()["id"])
    await db.execute(
        update(Space).where(Space.id == room_id).values(closes_at=utcnow() - timedelta(minutes=1))
    )
    await db.commit()
    await log.new()
    async with app.state.sessionmaker() as housekeeping:  # as tasks.py runs it
        assert await do_close_due_situation_rooms(housekeeping) == 1
        await housekeeping.commit()
    await log.expect("space.archived", actor=None, label="housekeeping", target=("space", room_id))


async def test_membership_changes_are_logged(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin, log = await _log(client, db)
    owner = await make_person(db, name="Olga Owner")
    joiner = await make_person(db, name="Jo Iner")
    asker = await make_person(db, name="Ash Ker")
    await log.new()
    h_owner = await auth_headers(client, owner)
    h_jo = await auth_headers(client, joiner)
    h_ash = await auth_headers(client, asker)
    space = int(
        (
            await client.post(
                f"{API}/spaces",
                json={"name": "Open", "kind": "community", "visibility": "open"},
                headers=h_owner,
            )
        ).json()["id"]
    )
    await log.new()

    assert (await client.post(f"{API}/spaces/{space}/join", headers=h_jo)).status_code == 200
    await log.expect(
        "member.joined",
        actor=joiner.id,
        target=("person", joiner.id),
        space_id=space,
        after={"role": "member"},
    )
    promoted = await client.post(
        f"{API}/spaces/{space}/members",
        json={"person_id": str(joiner.id), "role": "moderator"},
        headers=h_owner,
    )
    assert promoted.status_code in (200, 201), promoted.text
    await log.expect(
        "member.role_changed",
        actor=owner.id,
        target=("person", joiner.id),
        space_id=space,
        before={"role": "member"},
        after={"role": "moderator"},
    )
    assert (
        await client.delete(f"{API}/spaces/{space}/members/{joiner.id}", headers=h_jo)
    ).status_code == 204
    await log.expect(
        "member.left", actor=joiner.id, target=("person", joiner.id), before={"role": "moderator"}
    )
    added = await client.post(
        f"{API}/spaces/{space}/members",
        json={"person_id": str(asker.id), "role": "member"},
        headers=log.headers,
    )
    assert added.status_code in (200, 201), added.text
    await log.expect(
        "member.added",
        actor=admin.id,
        target=("person", asker.id),
        space_id=space,
        after={"role": "member"},
    )
    assert (
        await client.delete(f"{API}/spaces/{space}/members/{asker.id}", headers=h_owner)
    ).status_code == 204
    await log.expect(
        "member.removed",
        actor=owner.id,
        target=("person", asker.id),
        space_id=space,
        before={"role": "member"},
    )

    private = int(
        (
            await client.post(
                f"{API}/spaces",
                json={"name": "Closed", "kind": "community", "visibility": "private"},
                headers=h_owner,
            )
        ).json()["id"]
    )
    for headers in (h_ash, h_jo):
        asked = await client.post(f"{API}/spaces/{private}/join", headers=headers)
        assert asked.json()["status"] == "requested"
    await log.new()
    requests = {
        r["person"]["id"] if isinstance(r.get("person"), dict) else r["person_id"]: r["id"]
        for r in (await client.get(f"{API}/spaces/{private}/requests", headers=h_owner)).json()
    }
    ok = await client.post(
        f"{API}/spaces/{private}/requests/{requests[str(asker.id)]}/approve", headers=h_owner
    )
    assert ok.status_code == 204
    await log.expect(
        "join_request.approved", actor=owner.id, target=("person", asker.id), space_id=private
    )
    no = await client.post(
        f"{API}/spaces/{private}/requests/{requests[str(joiner.id)]}/decline", headers=h_owner
    )
    assert no.status_code == 204
    await log.expect(
        "join_request.declined", actor=owner.id, target=("person", joiner.id), space_id=private
    )


async def test_invitations_are_logged(
    client: httpx.AsyncClient, db: AsyncSession, inbox: Inbox
) -> None:
    admin, log = await _log(client, db)
    sent = await client.post(
        f"{API}/invitations",
        json={"email": "nina@example.com", "name": "Nina"},
        headers=log.headers,
    )
    assert sent.status_code == 201, sent.text
    invitation = sent.json()["id"]
    await log.expect(
        "invitation.sent",
        actor=admin.id,
        target=("invitation", invitation),
        email="nina@example.com",
    )
    again = await client.post(f"{API}/invitations/{invitation}/resend", headers=log.headers)
    assert again.status_code == 200
    await log.expect("invitation.resent", actor=admin.id, target=("invitation", invitation))
    await inbox.messages()
    link = link_in(inbox.to("nina@example.com")[-1], "/invitations/accept")
    token = parse_qs(urlsplit(link).query)["token"][0]
    accepted = await client.post(
        f"{API}/invitations/accept",
        json={"token": token, "name": "Nina N", "password": "a long enough passphrase"},
    )
    assert accepted.status_code == 201, accepted.text
    fresh = await log.new()
    assert [e["action"] for e in fresh] == ["person.created", "invitation.accepted"]
    nina = fresh[0]["target_id"]
    assert fresh[0]["actor"] is None and fresh[0]["actor_label"] == "invitation"
    assert (fresh[1]["actor"]["id"], fresh[1]["target_id"]) == (nina, invitation)

    other = (
        await client.post(
            f"{API}/invitations", json={"email": "otto@example.com"}, headers=log.headers
        )
    ).json()["id"]
    await log.new()
    assert (
        await client.delete(f"{API}/invitations/{other}", headers=log.headers)
    ).status_code == 204
    await log.expect("invitation.revoked", actor=admin.id, target=("invitation", other))


async def test_single_sign_on_and_scim_are_logged(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin, log = await _log(client, db)
    await make_unit(db, "Company")
    await log.new()
    # An identity provider vouches for someone new: the account is made just in time, linked.
    person = await do_sso_sign_in(
        db,
        app_settings(client),
        identity=Identity(
            issuer="https://idp.example.org",
            subject="s-1",
            email="sam@example.com",
            email_verified=True,
            name="Sam",
        ),
    )
    await db.commit()
    fresh = await log.new()
    assert [(e["action"], e["actor_label"], e["target_id"]) for e in fresh] == [
        ("person.created", "single sign-on", str(person.id)),
        ("person.sso_linked", "single sign-on", str(person.id)),
    ]

    token, raw = await do_create_token(db, name="okta")  # what `atoll scim-token` runs
    await db.commit()
    await log.expect(
        "scim_token.created",
        actor=None,
        label="command line",
        target=("scim_token", token.id),
        name="okta",
    )
    scim = {"Authorization": f"Bearer {raw}", "Content-Type": "application/scim+json"}
    label = "SCIM token okta"
    made = await client.post(
        f"{SCIM}/Users", json=user_body("lu@example.com", displayName="Lu"), headers=scim
    )
    assert made.status_code == 201, made.text
    lu = made.json()["id"]
    await log.expect("person.created", actor=None, label=label, target=("person", lu))
    renamed = await client.put(
        f"{SCIM}/Users/{lu}", json=user_body("lu@example.com", displayName="Lu Xu"), headers=scim
    )
    assert renamed.status_code == 200
    await log.expect(
        "person.updated",
        actor=None,
        label=label,
        target=("person", lu),
        before={"name": "Lu"},
        after={"name": "Lu Xu"},
    )
    off = await client.patch(
        f"{SCIM}/Users/{lu}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
        headers=scim,
    )
    assert off.status_code == 200, off.text
    await log.expect("person.deactivated", actor=None, label=label, target=("person", lu))
    group = await client.post(
        f"{SCIM}/Groups",
        json={"schemas": [GROUP], "displayName": "Sales", "members": [{"value": str(person.id)}]},
        headers=scim,
    )
    assert group.status_code == 201, group.text
    fresh = await log.new()
    assert [(e["action"], e["actor_label"]) for e in fresh] == [
        ("unit.created", label),
        ("person.moved", label),
    ]
    unit_id = fresh[0]["target_id"]
    assert fresh[1]["target_id"] == str(person.id) and fresh[1]["detail"]["after"] == {
        "unit_id": int(unit_id)
    }
    gid = group.json()["id"]
    put = await client.put(
        f"{SCIM}/Groups/{gid}",
        json={"schemas": [GROUP], "displayName": "Sales EU", "members": []},
        headers=scim,
    )
    assert put.status_code == 200, put.text
    fresh = await log.new()
    assert [(e["action"], e["target_id"]) for e in fresh] == [
        ("unit.renamed", unit_id),
        ("person.moved", str(person.id)),
    ]
    assert (await client.delete(f"{SCIM}/Groups/{gid}", headers=scim)).status_code == 204
    await log.expect("unit.merged", actor=None, label=label, target=("unit", unit_id))
    assert await do_revoke_token(db, token_id=token.id) == 1
    await db.commit()
    await log.expect(
        "scim_token.revoked", actor=None, label="command line", target=("scim_token", token.id)
    )


def app_settings(client: httpx.AsyncClient) -> Any:
    return client._transport.app.state.settings  # type: ignore[attr-defined]


async def test_data_exports_are_logged(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin, log = await _log(client, db)
    csv_headers = {**log.headers, "Accept": "text/csv"}
    answer = await client.get(
        f"{API}/analytics/adoption",
        params={"from": "2026-01-01", "to": "2026-03-01"},
        headers=csv_headers,
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    entry = await log.expect(
        "analytics.exported", actor=admin.id, target=("analytics", "adoption"), view="adoption"
    )
    assert entry["detail"]["filters"] == {
        "from": "2026-01-01T00:00:00+00:00",
        "to": "2026-03-02T00:00:00+00:00",
    }
    assert (await sign_in(client, admin.email)).status_code == 303
    page = await client.get(
        "/analytics/network.csv", params={"from": "2026-01-01", "to": "2026-03-31"}
    )
    assert page.status_code == 200
    entry = await log.expect(
        "analytics.exported", actor=admin.id, target=("analytics", "network"), view="network"
    )
    assert entry["detail"]["filters"]["from"] == "2026-01-01"
    audit = await client.get(
        f"{API}/admin/audit", params={"action": "analytics.exported"}, headers=csv_headers
    )
    assert audit.status_code == 200
    await log.expect(
        "audit.exported",
        actor=admin.id,
        target=("audit_log", ""),
        filters={"action": "analytics.exported"},
    )
