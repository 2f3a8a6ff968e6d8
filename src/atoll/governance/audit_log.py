"""The audit log as administrators read it: who may (``access_audit``), each entry with its
actor's name and a link to its target where that still exists (``entry_views``), the CSV
rows, and the one change reading it makes: a download is itself recorded
(``do_record_export``).

The entries are read through ``atoll.audit.queries`` (one filter, newest first); names and
links come from one query per kind of thing named on the page, never one per entry."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from atoll.audit.models import AuditEntry
from atoll.audit.queries import AuditFilters, audit_batches
from atoll.audit.service import detail_of, record_audit
from atoll.conversations.models import Post
from atoll.kit.errors import Forbidden
from atoll.kit.time import rfc3339
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.people.policy import is_admin
from atoll.spaces.models import Space

CSV_TYPE = "text/csv; charset=utf-8"
CSV_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "space_id",
    "detail",
)


def access_audit(viewer: Person) -> Person:
    """Administrators read the log; anyone else signed in is told so (403): the admin pages
    are no secret, as ``/admin/people`` answers."""
    if not is_admin(viewer):
        raise Forbidden("The audit log is for administrators.")
    return viewer


def do_record_export(
    session: AsyncSession, *, actor: Person, filters: AuditFilters, rows: str = "csv"
) -> None:
    """A download of the log is itself an entry (``audit.exported``) with the filters used."""
    record_audit(
        session,
        actor_id=actor.id,
        action="audit.exported",
        target_type="audit_log",
        format=rows,
        filters=filters_of(filters),
    )


def filters_of(filters: AuditFilters) -> dict[str, Any]:
    """The filters that narrow anything, as plain values (for the log and for links)."""
    values = {
        "actor_id": filters.actor_id,
        "action": filters.action,
        "target_type": filters.target_type,
        "target_id": filters.target_id,
        "space_id": filters.space_id,
        "from": filters.start.isoformat() if filters.start else None,
        "to": filters.end.isoformat() if filters.end else None,
    }
    return {key: value for key, value in values.items() if value not in (None, "")}


async def names_of(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
    return {pid: name for pid, name in rows}


def _numbers(entries: Sequence[AuditEntry], kind: str) -> list[int]:
    return sorted(
        {int(e.target_id) for e in entries if e.target_type == kind and e.target_id.isdigit()}
    )


async def _links(
    session: AsyncSession, entries: Sequence[AuditEntry]
) -> dict[tuple[str, str], str]:
    """Where each target that still exists is shown (an administrator may see every one of
    them): people, spaces, units and posts that are not deleted."""
    links: dict[tuple[str, str], str] = {}
    if ids := _numbers(entries, "person"):
        for (pid,) in await session.execute(select(Person.id).where(Person.id.in_(ids))):
            links["person", str(pid)] = f"/people/{pid}"
    if ids := _numbers(entries, "space"):
        rows = await session.execute(select(Space.id, Space.slug).where(Space.id.in_(ids)))
        for sid, slug in rows:
            links["space", str(sid)] = f"/spaces/{slug}"
    if ids := _numbers(entries, "unit"):
        for (uid,) in await session.execute(select(Unit.id).where(Unit.id.in_(ids))):
            links["unit", str(uid)] = f"/admin/units/{uid}"
    if ids := _numbers(entries, "post"):
        for (post_id,) in await session.execute(select(Post.id).where(Post.id.in_(ids))):
            links["post", str(post_id)] = f"/posts/{post_id}"
    return links


@dataclass
class EntryView:
    """One entry as the page shows it."""

    entry: AuditEntry
    actor_name: str | None
    link: str | None
    detail: dict[str, Any]
    diff: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def words(self) -> str:
        return action_words(self.entry.action)

    @property
    def extra(self) -> dict[str, Any]:
        """What the detail holds besides the before → after."""
        return {k: v for k, v in self.detail.items() if k not in ("before", "after")}


def action_words(action: str) -> str:
    """``person.role_changed`` → "Person role changed"."""
    return action.replace(".", " ").replace("_", " ").capitalize()


def _diff(detail: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    before, after = detail.get("before"), detail.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    keys = list(dict.fromkeys([*before, *after]))
    return [(key, before.get(key), after.get(key)) for key in keys]


async def entry_views(session: AsyncSession, entries: Sequence[AuditEntry]) -> list[EntryView]:
    names = await names_of(session, (e.actor_id for e in entries))
    links = await _links(session, entries)
    views = []
    for entry in entries:
        detail = detail_of(entry)
        views.append(
            EntryView(
                entry=entry,
                actor_name=names.get(entry.actor_id) if entry.actor_id is not None else None,
                link=links.get((entry.target_type, entry.target_id)),
                detail=detail,
                diff=_diff(detail),
            )
        )
    return views


def _cell(value: Any) -> str:
    """Text a spreadsheet would take for a formula is prefixed with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_header() -> str:
    return csv_lines([CSV_COLUMNS])


def csv_lines(rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def csv_rows(entries: Sequence[AuditEntry], names: dict[int, str]) -> list[list[Any]]:
    return [
        [
            e.id,
            rfc3339(e.at),
            e.actor_id,
            names.get(e.actor_id) if e.actor_id is not None else None,
            e.actor_label,
            e.action,
            e.target_type,
            e.target_id,
            e.space_id,
            json.dumps(detail_of(e), ensure_ascii=False, sort_keys=True),
        ]
        for e in entries
    ]


async def csv_stream(
    sessionmaker: async_sessionmaker[AsyncSession], filters: AuditFilters
) -> AsyncIterator[str]:
    """The whole filtered log as CSV, newest first, in batches read by a session of its own
    (the request's has closed by the time the answer streams)."""
    yield csv_header()
    async with sessionmaker() as session:
        async for batch in audit_batches(session, filters=filters):
            names = await names_of(session, (e.actor_id for e in batch))
            yield csv_lines(csv_rows(batch, names))
