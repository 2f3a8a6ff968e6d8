"""Reading the audit log: filters, pagination on (at, id), the CSV download, the 422s, the
admin page, and that no route edits or deletes an entry."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.models import AuditEntry
from atoll.audit.service import record_audit
from tests.factories import auth_headers, make_person
from tests.web.helpers import sign_in

API = "/api/v1/admin/audit"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def _seed(db: AsyncSession, admin_id: int, other_id: int) -> None:
    """An empty log (making the people wrote theirs), then seven entries an hour apart from
    T0 on; the last two share one moment."""
    await db.execute(delete(AuditEntry))
    rows = [
        (
            admin_id,
            "person.role_changed",
            "person",
            other_id,
            {"before": {"role": "member"}, "after": {"role": "admin"}},
        ),
        (admin_id, "space.updated", "space", 7, {"before": {"name": "A"}, "after": {"name": "B"}}),
        (None, "space.archived", "space", 7, {}),
        (other_id, "person.password_changed", "person", other_id, {}),
        (admin_id, "unit.created", "unit", 3, {"after": {"name": "Sales"}}),
        (admin_id, "person.deactivated", "person", other_id, {}),
        (admin_id, "person.reactivated", "person", other_id, {}),
    ]
    for n, (actor, action, ttype, tid, detail) in enumerate(rows):
        entry = record_audit(
            db,
            actor_id=actor,
            action=action,
            target_type=ttype,
            target_id=tid,
            space_id=7 if ttype == "space" else None,
            actor_label="" if actor else "housekeeping",
            **detail,
        )
        entry.at = T0 + timedelta(hours=min(n, 5))
    await db.commit()


async def test_newest_first_with_pages_on_time_and_id(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    other = await make_person(db, name="Cleo")
    await _seed(db, admin.id, other.id)
    headers = await auth_headers(client, admin)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        answer = await client.get(API, params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += [item["action"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [
        "person.reactivated",
        "person.deactivated",
        "unit.created",
        "person.password_changed",
        "space.archived",
        "space.updated",
        "person.role_changed",
    ]
    first = (
        await client.get(API, params={"action": "person.role_changed"}, headers=headers)
    ).json()
    assert first["items"] == [
        {
            "id": first["items"][0]["id"],
            "at": "2026-03-01T12:00:00Z",
            "actor": {"id": str(admin.id), "name": "Ada Admin"},
            "actor_label": "",
            "action": "person.role_changed",
            "target_type": "person",
            "target_id": str(other.id),
            "space_id": None,
            "detail": {"before": {"role": "member"}, "after": {"role": "admin"}},
        }
    ]


async def test_filters_narrow_the_log(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    other = await make_person(db, name="Cleo")
    await _seed(db, admin.id, other.id)
    headers = await auth_headers(client, admin)

    async def actions(**params: str) -> list[str]:
        answer = await client.get(API, params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return [item["action"] for item in answer.json()["items"]]

    assert await actions(actor_id=str(other.id)) == ["person.password_changed"]
    assert await actions(target_type="space") == ["space.archived", "space.updated"]
    assert await actions(space_id="7", action="space.archived") == ["space.archived"]
    assert await actions(target_type="person", target_id=str(other.id)) == [
        "person.reactivated",
        "person.deactivated",
        "person.password_changed",
        "person.role_changed",
    ]
    assert await actions(**{"from": "2026-03-01T14:00:00Z", "to": "2026-03-01T16:00:00Z"}) == [
        "person.password_changed",
        "space.archived",
    ]
    assert len(await actions(to="2026-03-01")) == 7  # a date as "to": that whole day
    assert await actions(to="2026-02-28") == []


async def test_bad_filters_are_422_naming_the_field(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    headers = await auth_headers(client, admin)
    for params, field in (
        ({"action": "Person Role"}, "action"),
        ({"action": "person."}, "action"),
        ({"target_type": "no such!"}, "target_type"),
        ({"actor_id": "ada"}, "actor_id"),
        ({"space_id": "-1"}, "space_id"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-40"}, "to"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "from"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJub3QgYSB0aW1lIiwgMV0"}, "cursor"),
    ):
        answer = await client.get(API, params=params, headers=headers)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["errors"][0]["field"] == field, params


async def test_the_csv_is_the_whole_filtered_log_and_its_download_is_logged(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    other = await make_person(db, name="=Cleo")  # a formula to a spreadsheet
    await _seed(db, admin.id, other.id)
    headers = await auth_headers(client, admin)
    answer = await client.get(
        API,
        params={"target_type": "person", "limit": "1"},
        headers={**headers, "Accept": "text/csv"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == [
        "id", "at", "actor_id", "actor_name", "actor_label", "action",
        "target_type", "target_id", "space_id", "detail",
    ]  # fmt: skip
    assert [r["action"] for r in rows] == [
        "person.reactivated",
        "person.deactivated",
        "person.password_changed",
        "person.role_changed",
    ]  # every match, not one page
    assert rows[2]["actor_name"] == "'=Cleo"
    assert json.loads(rows[3]["detail"]) == {
        "before": {"role": "member"},
        "after": {"role": "admin"},
    }
    assert rows[3]["at"] == "2026-03-01T12:00:00Z"
    logged = (await client.get(API, params={"action": "audit.exported"}, headers=headers)).json()
    assert [(e["actor"]["id"], e["detail"]) for e in logged["items"]] == [
        (str(admin.id), {"format": "csv", "filters": {"target_type": "person"}})
    ]


async def test_the_admin_page_shows_filters_and_downloads(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    other = await make_person(db, name="Cleo")
    await _seed(db, admin.id, other.id)
    assert (await sign_in(client, admin.email)).status_code == 303
    page = await client.get("/admin/audit", params={"actor": "Ada Admin"})
    assert page.status_code == 200
    text = page.text
    table = text.split("<tbody>", 1)[1]
    assert "<caption>Audit log entries, newest first</caption>" in text
    assert '<label for="audit-actor">' in text and '<label for="audit-action">' in text
    assert "<td>Person role changed</td>" in table and "Person password changed" not in table
    assert f'<a href="/people/{other.id}">Person #{other.id}</a>' in text
    assert "<del>member</del> → <ins>admin</ins>" in text
    assert 'title="2026-03-01 12:00 UTC"' in text
    assert 'href="/admin/audit.csv?actor=Ada+Admin"' in text
    assert '<a href="/admin/audit" aria-current="page">Audit log</a>' in text
    download = await client.get("/admin/audit.csv", params={"actor": "Ada Admin"})
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.text)))
    # Ada's five entries, the newest being this download itself (logged before it streams).
    assert [r["action"] for r in rows][:2] == ["audit.exported", "person.reactivated"]
    assert len(rows) == 6
    bad = await client.get("/admin/audit", params={"from": "soon"})
    assert bad.status_code == 422 and "from: must be a date" in bad.text
    nobody = await client.get("/admin/audit", params={"actor": "Nobody Here"})
    assert nobody.status_code == 422
    suggested = await client.get("/admin/audit/actors", params={"actor": "cle"})
    assert f"Cleo (#{other.id})" in suggested.text


async def test_no_route_edits_or_deletes_an_entry(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    other = await make_person(db)
    await _seed(db, admin.id, other.id)
    headers = await auth_headers(client, admin)
    entry_id = (await client.get(API, headers=headers)).json()["items"][0]["id"]
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in (API, f"{API}/{entry_id}", "/admin/audit", f"/admin/audit/{entry_id}"):
            answer = await client.request(method, path, headers=headers, json={})
            assert answer.status_code in (404, 405), (method, path, answer.status_code)
    assert len((await client.get(API, headers=headers)).json()["items"]) == 7


async def test_a_rolled_back_change_leaves_no_entry(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    headers = await auth_headers(client, admin)
    await db.execute(delete(AuditEntry))
    await db.commit()
    # Removing the only administrator's role is refused (409): nothing was changed, or logged.
    answer = await client.patch(
        f"/api/v1/people/{admin.id}", json={"role": "member"}, headers=headers
    )
    assert answer.status_code == 409
    assert (await client.get(API, headers=headers)).json()["items"] == []
