"""Recording to the audit log, and the one sanctioned rewrite of it.

``record_audit`` is called by the ``do_*`` function that makes the change, inside its
transaction, next to ``record_event``: the entry commits with the change or not at all.

Append-only is held by the model, not only by having no endpoint: a session that tries to
flush an update or a delete of an ``AuditEntry`` raises (``models._refuse_rewrites``), so no
code path of the application edits the log through the ORM. ``do_pseudonymise`` is the
exception the law asks for (a person's erasure): it rewrites that person's name and e-mail
inside the details with UPDATE statements, and keeps every entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.models import AuditEntry


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_json_safe(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``{"before": {...}, "after": {...}}`` holding only the keys whose value changed."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {
        "before": {key: before.get(key) for key in keys},
        "after": {key: after.get(key) for key in keys},
    }


def record_audit(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | str | None = None,
    space_id: int | None = None,
    actor_label: str = "",
    **detail: Any,
) -> AuditEntry:
    """Add one entry to the log in the caller's transaction. ``action`` is
    ``<thing>.<verb>`` (``person.role_changed``, ``report.resolved``); ``detail`` holds what
    a reader needs later: ``before``/``after`` for changes (see ``changed``), ``note`` for a
    reason. Values are stored as JSON (dates as ISO text)."""
    entry = AuditEntry(
        actor_id=actor_id,
        actor_label=actor_label[:200],
        action=action,
        target_type=target_type,
        target_id="" if target_id is None else str(target_id),
        space_id=space_id,
        detail=json.dumps(_json_safe(detail), ensure_ascii=False, sort_keys=True),
    )
    session.add(entry)
    return entry


def detail_of(entry: AuditEntry) -> dict[str, Any]:
    value = json.loads(entry.detail or "{}")
    return value if isinstance(value, dict) else {}


def _in_json(text: str) -> str:
    """How ``text`` reads inside a JSON string as ``record_audit`` writes it."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


async def do_pseudonymise(
    session: AsyncSession, *, person_id: int, replacements: Mapping[str, str]
) -> int:
    """Replace a person's personal data (their name, their e-mail address: the keys of
    ``replacements``) in the details of every entry that names them, as actor or target.
    Entries stay; who acted stays as the person's id, whose name the erasure has already
    replaced. Returns the number of entries rewritten."""
    rows = (
        await session.execute(
            select(AuditEntry.id, AuditEntry.detail, AuditEntry.actor_label).where(
                or_(
                    AuditEntry.actor_id == person_id,
                    (AuditEntry.target_type == "person") & (AuditEntry.target_id == str(person_id)),
                )
            )
        )
    ).all()
    rewritten = 0
    for entry_id, detail, label in rows:
        new_detail, new_label = detail, label
        for old, new in replacements.items():
            if old:
                new_detail = new_detail.replace(_in_json(old), _in_json(new))
                new_label = new_label.replace(old, new)
        if (new_detail, new_label) != (detail, label):
            await session.execute(
                update(AuditEntry)
                .where(AuditEntry.id == entry_id)
                .values(detail=new_detail, actor_label=new_label)
                .execution_options(synchronize_session=False)
            )
            rewritten += 1
    return rewritten
