"""Every administrative action on people, accounts and the organisation, done as a user does
it (the API, the pages), then read back from the audit log: who acted, on what, the state
before and after. Spaces, invitations, single sign-on, SCIM and exports are in
``test_audit_log_spaces.py``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.time import utcnow
from atoll.people import otp
from tests.factories import PASSWORD, auth_headers, make_person, make_unit
from tests.governance.audit_helpers import AuditLog
from tests.mailbox import Inbox, link_in
from tests.web.helpers import csrf_of, sign_in

API = "/api/v1"


async def _log(client: httpx.AsyncClient, db: AsyncSession) -> tuple[Any, AuditLog]:
    admin = await make_person(db, name="Ada Admin", role="admin")
    log = AuditLog(client, await auth_headers(client, admin))
    await log.new()
    return admin, log


async def test_an_administrator_changing_people_is_logged(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin, log = await _log(client, db)
    h = log.headers
    sales = await make_unit(db, "Sales")
    await log.new()

    made = await client.post(
        f"{API}/people",
        json={"name": "Cleo Ray", "email": "cleo@example.com", "kind": "member", "role": "member"},
        headers=h,
    )
    assert made.status_code == 201, made.text
    cleo = int(made.json()["id"])
    entry = await log.expect("person.created", actor=admin.id, target=("person", cleo))
    assert entry["detail"]["after"]["email"] == "cleo@example.com"
    assert entry["actor"]["name"] == "Ada Admin"

    async def patch(**body: Any) -> None:
        answer = await client.patch(f"{API}/people/{cleo}", json=body, headers=h)
        assert answer.status_code == 200, answer.text

    await patch(role="moderator")
    await log.expect(
        "person.role_changed",
        actor=admin.id,
        target=("person", cleo),
        before={"role": "member"},
        after={"role": "moderator"},
    )
    await patch(is_analyst=True)
    await log.expect(
        "person.analyst_changed",
        actor=admin.id,
        target=("person", cleo),
        before={"is_analyst": False},
        after={"is_analyst": True},
    )
    root = (await client.get(f"{API}/people/{cleo}", headers=h)).json()["unit_id"]
    await patch(unit_id=str(sales.id))
    await log.expect(
        "person.moved",
        actor=admin.id,
        target=("person", cleo),
        before={"unit_id": int(root)},
        after={"unit_id": sales.id},
    )
    await patch(name="Cleo Ray-Smith", title="Buyer", email="cleo.rs@example.com")
    await log.expect(
        "person.updated",
        actor=admin.id,
        target=("person", cleo),
        before={"name": "Cleo Ray", "title": "", "email": "cleo@example.com"},
        after={"name": "Cleo Ray-Smith", "title": "Buyer", "email": "cleo.rs@example.com"},
    )
    await patch(password="a new secret passphrase")
    entry = await log.expect("person.password_set", actor=admin.id, target=("person", cleo))
    assert entry["detail"] == {"before": {}, "after": {}, "password_set": True}
    assert "passphrase" not in str(entry)
    await patch(kind="external", organization="Acme Corp", relation="customer")
    await log.expect(
        "person.kind_changed",
        actor=admin.id,
        target=("person", cleo),
        before={
            "kind": "member",
            "role": "moderator",
            "unit_id": sales.id,
            "organization": None,
            "relation": None,
            "is_analyst": True,
        },
        after={
            "kind": "external",
            "role": "guest",
            "unit_id": None,
            "organization": "Acme Corp",
            "relation": "customer",
            "is_analyst": False,
        },
    )
    off = await client.post(f"{API}/people/{cleo}/deactivate", headers=h)
    assert off.status_code == 200
    await log.expect(
        "person.deactivated",
        actor=admin.id,
        target=("person", cleo),
        before={"is_active": True},
        after={"is_active": False},
    )
    on = await client.post(f"{API}/people/{cleo}/reactivate", headers=h)
    assert on.status_code == 200
    await log.expect(
        "person.reactivated",
        actor=admin.id,
        target=("person", cleo),
        before={"is_active": False},
        after={"is_active": True},
    )


async def test_the_admin_page_changes_are_logged_and_a_refused_change_is_not(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin, log = await _log(client, db)
    bo = await make_person(db, name="Bo")
    await log.new()
    assert (await sign_in(client, admin.email)).status_code == 303
    page = await client.get("/admin/people")
    changed = await client.post(
        f"/admin/people/{bo.id}",
        data={"csrf_token": csrf_of(page.text), "action": "role", "role": "admin"},
    )
    assert changed.status_code == 303
    await log.expect(
        "person.role_changed",
        actor=admin.id,
        target=("person", bo.id),
        before={"role": "member"},
        after={"role": "admin"},
    )
    # Bo, deactivated: the entry names the page's action too.
    off = await client.post(
        f"/admin/people/{bo.id}",
        data={"csrf_token": csrf_of(page.text), "action": "deactivate"},
    )
    assert off.status_code == 303
    await log.expect("person.deactivated", actor=admin.id, target=("person", bo.id))
    # Ada is now the last active administrator: losing the role is refused (409), rolled
    # back, and leaves no entry.
    alone = await client.patch(
        f"{API}/people/{admin.id}", json={"role": "member"}, headers=log.headers
    )
    assert alone.status_code == 409
    await log.nothing_new()
    bad = await client.patch(
        f"{API}/people/{bo.id}", json={"name": "Bob", "unit_id": "999999"}, headers=log.headers
    )
    assert bad.status_code == 422
    await log.nothing_new()


async def test_a_persons_own_account_actions_are_logged(
    client: httpx.AsyncClient, db: AsyncSession, inbox: Inbox
) -> None:
    admin, log = await _log(client, db)
    eve = await make_person(db, name="Eve")
    await log.new()
    me = await auth_headers(client, eve)

    made = await client.post(
        f"{API}/me/tokens",
        json={"name": "ci", "scopes": ["read"], "expires_in_days": 30},
        headers=me,
    )
    assert made.status_code == 201, made.text
    token_id = made.json()["id"]
    entry = await log.expect("token.created", actor=eve.id, target=("person", eve.id), name="ci")
    assert entry["detail"]["scopes"] == ["read"] and "token" not in str(
        entry["detail"]
    ).lower().replace("token.created", "")
    gone = await client.delete(f"{API}/me/sessions/{token_id}", headers=me)
    assert gone.status_code == 204
    await log.expect("token.revoked", actor=eve.id, target=("person", eve.id), name="ci")

    setup = await client.post(f"{API}/me/totp/setup", headers=me)
    secret = setup.json()["secret"]
    confirmed = await client.post(
        f"{API}/me/totp/confirm",
        json={"code": otp.code_at(secret, otp.step_of(utcnow()))},
        headers=me,
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    await log.expect("person.totp_enabled", actor=eve.id, target=("person", eve.id))
    renewed = await client.post(
        f"{API}/me/totp/recovery-codes", json={"code": codes[0]}, headers=me
    )
    assert renewed.status_code == 200, renewed.text
    await log.expect("person.recovery_codes_renewed", actor=eve.id, target=("person", eve.id))
    new_codes = renewed.json()["recovery_codes"]
    off = await client.post(
        f"{API}/me/totp/disable", json={"password": PASSWORD, "code": new_codes[0]}, headers=me
    )
    assert off.status_code == 204, off.text
    await log.expect("person.totp_disabled", actor=eve.id, target=("person", eve.id))
    reset = await client.delete(f"{API}/people/{eve.id}/totp", headers=log.headers)
    assert reset.status_code == 204
    await log.expect("person.totp_reset", actor=admin.id, target=("person", eve.id), was_on=False)

    changed = await client.post(
        f"{API}/me/password",
        json={"current_password": PASSWORD, "new_password": "another good passphrase"},
        headers=me,
    )
    assert changed.status_code == 204, changed.text
    await log.expect("person.password_changed", actor=eve.id, target=("person", eve.id))

    asked = await client.post(f"{API}/auth/password-reset", json={"email": eve.email})
    assert asked.status_code == 202
    await log.expect(
        "person.password_reset_requested",
        actor=None,
        label="password reset by e-mail",
        target=("person", eve.id),
    )
    await inbox.messages()
    link = link_in(inbox.to(eve.email)[-1], "/password-reset/confirm")
    token = parse_qs(urlsplit(link).query)["token"][0]
    done = await client.post(
        f"{API}/auth/password-reset/confirm", json={"token": token, "new_password": PASSWORD}
    )
    assert done.status_code == 204
    await log.expect("person.password_reset", actor=eve.id, target=("person", eve.id))


async def test_the_organisation_tree_and_its_import_are_logged(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin, log = await _log(client, db)
    h = log.headers
    await make_unit(db, "Company")  # the root, made by the command line
    await log.new()
    made = await client.post(f"{API}/units", json={"name": "Sales"}, headers=h)
    assert made.status_code == 201, made.text
    sales = int(made.json()["id"])
    await log.expect(
        "unit.created",
        actor=admin.id,
        target=("unit", sales),
        after={"name": "Sales", "parent_id": int(made.json()["parent_id"]), "path": "Sales"},
    )
    ops = int((await client.post(f"{API}/units", json={"name": "Ops"}, headers=h)).json()["id"])
    await log.new()
    renamed = await client.patch(f"{API}/units/{sales}", json={"name": "Sales EU"}, headers=h)
    assert renamed.status_code == 200, renamed.text
    await log.expect(
        "unit.renamed",
        actor=admin.id,
        target=("unit", sales),
        before={"name": "Sales", "path": "Sales"},
        after={"name": "Sales EU", "path": "Sales EU"},
    )
    moved = await client.patch(f"{API}/units/{sales}", json={"parent_id": str(ops)}, headers=h)
    assert moved.status_code == 200
    await log.expect(
        "unit.moved",
        actor=admin.id,
        target=("unit", sales),
        after={"parent_id": ops, "path": "Ops/Sales EU"},
    )
    merged = await client.delete(f"{API}/units/{sales}?merge_into={ops}", headers=h)
    assert merged.status_code == 204
    await log.expect("unit.merged", actor=admin.id, target=("unit", sales), merged_into=ops)
    empty = int((await client.post(f"{API}/units", json={"name": "Empty"}, headers=h)).json()["id"])
    await log.new()
    assert (await client.delete(f"{API}/units/{empty}", headers=h)).status_code == 204
    await log.expect(
        "unit.deleted",
        actor=admin.id,
        target=("unit", empty),
        before={"name": "Empty", "path": "Empty", "parent_id": int(made.json()["parent_id"])},
    )

    leaver = await make_person(db, name="Lea Ver", email="lea@example.com")
    await log.new()
    csv_text = (
        "email,name,title,unit_path,kind,organization,relation\n"
        f"{admin.email},Ada Admin,,Ops,member,,\n"
        "new@example.com,New Person,,Ops/Field,member,,\n"
    )
    imported = await client.post(
        f"{API}/admin/import/org?deactivate_missing=true&filename=chart-2026.csv",
        content=csv_text,
        headers={**h, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    fresh = await log.new()
    applied = [e for e in fresh if e["action"] == "org.imported"]
    assert len(applied) == 1
    assert applied[0]["actor"]["id"] == str(admin.id)
    assert (applied[0]["target_type"], applied[0]["target_id"]) == ("org_import", "chart-2026.csv")
    assert applied[0]["detail"] == {
        "file_name": "chart-2026.csv",
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "units_created": 1,
        "deactivated": 1,
    }
    gone = [e for e in fresh if e["action"] == "person.deactivated"]
    assert [(e["target_id"], e["actor"]["id"]) for e in gone] == [(str(leaver.id), str(admin.id))]
    assert gone[0]["detail"]["note"] == "absent from the org chart chart-2026.csv"
    # A preview (dry run) and a rejected file write nothing.
    dry = await client.post(
        f"{API}/admin/import/org?dry_run=true",
        content=csv_text,
        headers={**h, "Content-Type": "text/csv"},
    )
    assert dry.status_code == 200
    bad = await client.post(
        f"{API}/admin/import/org",
        content="email,name\nnot-an-email,X\n",
        headers={**h, "Content-Type": "text/csv"},
    )
    assert bad.status_code == 422
    await log.nothing_new()


async def test_signing_out_everywhere_else_is_logged(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    eve = await make_person(db, name="Eve")
    headers = await auth_headers(client, admin)
    assert (await sign_in(client, eve.email)).status_code == 303
    page = await client.get("/account/sessions")
    out = await client.post(
        "/account/sessions/revoke-others", data={"csrf_token": csrf_of(page.text)}
    )
    assert out.status_code == 303
    log = AuditLog(client, headers)
    entries = await log.entries(action="person.signed_out_elsewhere")
    assert [(e["actor"]["id"], e["target_id"]) for e in entries] == [(str(eve.id), str(eve.id))]
