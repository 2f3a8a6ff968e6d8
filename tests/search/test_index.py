# ruff: noqa: S608 - SQL made of this file's own table names
"""The search documents: rebuilt by ``reindex`` (and ``atoll reindex``) exactly as the live
path writes them, kept equal to the FTS5 index on SQLite, and written by bulk paths (the
org-chart import, the demo organisation)."""

from __future__ import annotations

import httpx
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.org.importer import do_import_org
from atoll.search.index import reindex
from atoll.search.models import SearchDoc
from atoll.search.query import search
from tests.commands import atoll
from tests.conversations.helpers import comment, make_post, make_space
from tests.factories import auth_headers, make_person


async def _docs(db: AsyncSession) -> list[tuple[str, int, str, str]]:
    rows = await db.execute(
        select(SearchDoc.kind, SearchDoc.ref_id, SearchDoc.title, SearchDoc.body).order_by(
            SearchDoc.kind, SearchDoc.ref_id
        )
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def _check_fts(db: AsyncSession) -> None:
    """On SQLite the FTS5 tables hold exactly the documents of their kinds."""
    if db.get_bind().dialect.name != "sqlite":
        return
    for fts, kinds in (
        ("search_fts", "'post','comment','wiki'"),
        ("search_name_fts", "'person','space'"),
    ):
        await db.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))
        indexed = await db.scalar(text(f"SELECT count(*) FROM {fts}"))
        expected = await db.scalar(text(f"SELECT count(*) FROM search_doc WHERE kind IN ({kinds})"))
        assert indexed == expected


async def test_reindex_writes_what_the_live_path_wrote(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Silva", skills=["Python"], title="Engineer")
    headers = await auth_headers(client, ana)
    space = await make_space(client, headers, name="Guild", description="Pythonistas")
    kept = await make_post(client, headers, space["id"], "Kept post about pumpkins")
    gone = await make_post(client, headers, space["id"], "Deleted post about pumpkins")
    top = (await comment(client, headers, kept["id"], "A comment on pumpkins")).json()
    await comment(client, headers, kept["id"], "A reply on pumpkins", parent_id=top["id"])
    await comment(client, headers, kept["id"], "Another comment")
    await client.delete(f"/api/v1/posts/{gone['id']}", headers=headers)
    await client.delete(f"/api/v1/comments/{top['id']}", headers=headers)
    r = await client.put(
        f"/api/v1/spaces/{space['id']}/wiki/guide",
        json={"title": "Guide", "body": "Pumpkin guide"},
        headers=headers,
    )
    assert r.status_code in (200, 201), r.text
    live = await _docs(db)
    await _check_fts(db)
    assert {k for k, *_ in live} == {"person", "space", "post", "comment", "wiki"}

    await db.execute(delete(SearchDoc))
    await db.commit()
    assert (await search(db, viewer=ana, q="pumpkins")).items == []
    count = await reindex(db)
    await db.commit()
    assert count == len(live)
    assert await _docs(db) == live
    await _check_fts(db)
    found = {h.type + ":" + h.title for h in (await search(db, viewer=ana, q="pumpkins")).items}
    assert found == {"post:Kept post about pumpkins", "wiki:Guide"}  # "Pumpkin" is stemmed


async def test_reindex_reports_progress_per_kind(db: AsyncSession) -> None:
    await make_person(db, name="Only One")
    seen: list[tuple[str, int, int]] = []
    await reindex(db, progress=lambda what, done, total: seen.append((what, done, total)))
    await db.commit()
    assert ("people", 1, 1) in seen and ("posts", 0, 0) in seen
    assert [w for w, d, _ in seen if d == 0] == [
        "spaces",
        "people",
        "wiki pages",
        "posts",
        "comments",
    ]


async def test_org_chart_import_makes_people_searchable(db: AsyncSession) -> None:
    await make_person(db, name="Admin", role="admin")
    data = (
        "email,name,title,unit_path,kind,organization,relation,skills\n"
        "zora@example.com,Zora Quist,Data engineer,Engineering/Data,member,,,Spark;Airflow\n"
    )
    await do_import_org(db, actor=None, data=data)
    await db.commit()
    admin_view = await make_person(db, name="Viewer")
    hits = (await search(db, viewer=admin_view, q="airflow", type="person")).items
    assert [h.title for h in hits] == ["Zora Quist"]
    data = data.replace("Spark;Airflow", "Kafka")
    await do_import_org(db, actor=None, data=data)
    await db.commit()
    assert (await search(db, viewer=admin_view, q="airflow", type="person")).items == []
    assert [h.title for h in (await search(db, viewer=admin_view, q="kafka")).items] == [
        "Zora Quist"
    ]


async def test_atoll_reindex_command(cli_env: dict[str, str]) -> None:
    made = await atoll(cli_env, "demo", "--people", "30", "--months", "1")
    assert made.exit_code == 0, made.output
    done = await atoll(cli_env, "reindex")
    assert done.exit_code == 0, done.output
    assert "Indexed" in done.output and "documents for search" in done.output
    number = int(done.output.split("Indexed ")[1].split(" ")[0].replace(",", ""))
    assert number > 30  # people, spaces, posts, comments and wiki pages of the demo
