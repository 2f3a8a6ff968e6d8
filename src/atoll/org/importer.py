"""Org-chart import from CSV: idempotent, all-or-nothing, and fast enough for 100,000 rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Forbidden, Invalid, TooLarge
from atoll.kit.text import clean_name
from atoll.org import import_report, policy
from atoll.org import service as org_service
from atoll.org.events import UnitsChanged, units_changed
from atoll.org.import_people import plan_leavers, plan_managers
from atoll.org.import_report import ImportReport, similar_paths
from atoll.people.access import active_admins_besides, do_apply_kind_changes
from atoll.people.events import PeopleChanged, people_changed
from atoll.people.models import RELATIONS, Person, PersonSkill
from atoll.people.service import EMAIL_RE, check_skills, do_deactivate_people

__all__ = ["ImportReport", "do_import_org", "parse_rows"]

REQUIRED = ("email", "name", "unit_path", "kind")
KNOWN = (
    "email",
    "name",
    "title",
    "unit_path",
    "kind",
    "organization",
    "relation",
    "skills",
    "manager",
)
MAX_BYTES = 64 * 1024 * 1024
BATCH = 2000
ANALYZE_AFTER = 1000  # rows written, from which the import refreshes PostgreSQL's statistics


@dataclass
class _Row:
    line: int
    email: str
    name: str
    title: str
    unit_path: str
    kind: str
    organization: str | None
    relation: str | None
    skills: list[str] | None
    manager: str | None  # the manager's e-mail; "" none; None: the file does not say


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_BYTES:
        raise TooLarge(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid.field("file", "must be a UTF-8 encoded CSV file") from exc


def parse_rows(text: str, report: ImportReport) -> list[_Row]:
    """Read and check every row; each bad row goes into the report with its line and reason."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:  # e.g. a first line longer than any CSV field may be
        raise Invalid(
            f"The first line is not valid CSV: {exc}.", errors=[{"line": 1, "message": str(exc)}]
        ) from exc
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise Invalid(
            f"The first line must name the columns; missing: {', '.join(missing)}. "
            f"Expected: {','.join(KNOWN[:7])} (skills and manager optional).",
            errors=[{"line": 1, "message": f"missing column {c}"} for c in missing],
        )
    reader.fieldnames = header
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            try:
                row = _check_row(record, line)
            except ValueError as exc:
                report.rejected.append({"line": line, "message": str(exc)})
                continue
            if row.email in seen:
                report.rejected.append(
                    {
                        "line": line,
                        "message": f"e-mail {row.email} already on line {seen[row.email]}",
                    }
                )
                continue
            seen[row.email] = line
            rows.append(row)
    except csv.Error as exc:
        report.rejected.append({"line": reader.line_num, "message": f"not valid CSV: {exc}"})
    return rows


def _check_row(record: dict[str | None, Any], line: int) -> _Row:
    if None in record:
        raise ValueError("more fields than the header names")
    if any(isinstance(value, str) and "\x00" in value for value in record.values()):
        raise ValueError("contains a NUL character")

    def get(name: str) -> str:
        value = record.get(name)
        return clean_name(value) if isinstance(value, str) else ""

    email = get("email").lower()
    if not email or len(email) > 320 or not EMAIL_RE.match(email):
        raise ValueError(f"email: {email or '(empty)'} is not an e-mail address")
    name = get("name")
    if not name or len(name) > 200:
        raise ValueError("name: must be 1 to 200 characters")
    title = get("title")
    if len(title) > 200:
        raise ValueError("title: must be at most 200 characters")
    kind = get("kind").lower() or "member"
    if kind not in ("member", "external"):
        raise ValueError(f"kind: must be member or external, not {kind!r}")
    unit_path = "/".join(
        part.strip() for part in get("unit_path").strip("/").split("/") if part.strip()
    )
    organization = get("organization") or None
    relation = get("relation").lower() or None
    if kind == "member":
        if not unit_path:
            raise ValueError("unit_path: a member needs a unit, e.g. Sales/EMEA/Field")
        if any(len(part) > 200 for part in unit_path.split("/")):
            raise ValueError("unit_path: each unit name must be at most 200 characters")
        if len(unit_path) > org_service.MAX_PATH:
            raise ValueError(f"unit_path: must be at most {org_service.MAX_PATH} characters")
        relation = None
    else:
        if not organization:
            raise ValueError("organization: an external person needs an organization")
        if relation not in RELATIONS:
            raise ValueError("relation: must be customer, partner or public for an external")
        unit_path = ""
    if organization and len(organization) > 200:
        raise ValueError("organization: must be at most 200 characters")
    skills = None
    if "skills" in record and record.get("skills") is not None:
        skills = check_skills(get("skills").split(";"))
    manager = get("manager").lower() if record.get("manager") is not None else None
    return _Row(line, email, name, title, unit_path, kind, organization, relation, skills, manager)


async def do_import_org(
    session: AsyncSession,
    *,
    actor: Person | None,
    data: bytes | str,
    apply: bool = True,
    deactivate_missing: bool = False,
    progress: Callable[[int, int], None] | None = None,
    file_name: str = "",
) -> ImportReport:
    """Create or update everyone in the file, or — when any row is bad — nothing at all; the
    report names each person and unit created, changed, moved or deactivated, and warns of
    unit paths that look like others, managers it could not set and people it kept.

    People whose kind changed follow the one rule (``do_apply_kind_changes``); search and the
    unit spaces follow the import (``people.changed``): everyone is indexed again and every
    unit space brought in step, the new members with the rest. With ``deactivate_missing``
    the active members absent from the file are deactivated (``plan_leavers``).

    The caller owns the transaction; with ``apply=False`` the caller rolls back (a preview).
    An import applied is one audit entry (``org.imported``: the counts and ``file_name``) and
    one per person it deactivated."""
    if actor is not None and not policy.can_change_tree(actor):
        raise Forbidden("Only administrators can import the organisation chart.")
    report = ImportReport()
    rows = parse_rows(_decode(data), report)
    if report.rejected:
        return report
    existing = await _existing_people(session)
    await _check_admins_remain(session, rows, existing, report)
    if report.rejected:
        return report
    managers = plan_managers(rows, existing, report)
    leavers = (
        plan_leavers(rows, existing, actor.id if actor else None, report)
        if (deactivate_missing)
        else []
    )
    unit_ids, paths = await _ensure_units(session, rows, report)
    plan = _plan(rows, existing, _Places(unit_ids, paths), managers, report)
    written = await _write_people(session, plan, progress)
    if plan.skill_rows:
        await _replace_skills(session, plan.skill_rows)
    if written:
        if written >= ANALYZE_AFTER:
            await _refresh_statistics(session)
        # The same rule as a change of kind by hand; the new members join their unit's
        # spaces with everyone else, as the unit spaces follow the import just below.
        await do_apply_kind_changes(session, person_ids=plan.kind_changed, sync_unit_spaces=False)
    await _write_managers(session, managers, existing)
    if leavers:
        await _deactivate_leavers(session, actor, leavers, file_name)
    if written or plan.skill_rows or leavers:
        placed = bool(written or leavers)
        await people_changed(session, PeopleChanged(everyone=True, placed=placed))
    report.applied = apply
    if apply:
        import_report.record_import(session, actor=actor, report=report, file_name=file_name)
    return report


async def _deactivate_leavers(
    session: AsyncSession, actor: Person | None, leavers: list[int], file_name: str
) -> None:
    await do_deactivate_people(
        session,
        person_ids=leavers,
        announce=False,
        actor=actor,
        actor_label=import_report.IMPORT_LABEL if actor is None else "",
        note=f"absent from the org chart {file_name}".strip(),
    )


async def _existing_people(session: AsyncSession) -> dict[str, Any]:
    """Everyone already there, by e-mail address: the columns an import compares."""
    return {
        row.email: row
        for row in (
            await session.execute(
                select(
                    Person.id,
                    Person.email,
                    Person.name,
                    Person.title,
                    Person.unit_id,
                    Person.kind,
                    Person.role,
                    Person.organization,
                    Person.relation,
                    Person.is_active,
                    Person.manager_id,
                )
            )
        )
    }


async def _ensure_units(
    session: AsyncSession, rows: list[_Row], report: ImportReport
) -> tuple[dict[str, int], dict[int, str]]:
    """The id of every unit path in the file, creating the units (and a root) missing; and
    the path of every unit by id. Paths that look like others are warned of first."""
    root = await org_service.root_unit(session)
    if root is None:
        root = await org_service.do_create_unit(session, actor=None, name="Organisation")
        report.units_created += 1
    known = {u.path: u for u in await org_service.all_units(session)}
    before = set(known)
    wanted = sorted({r.unit_path for r in rows if r.unit_path})
    with_parents = {
        "/".join(p.split("/")[: i + 1]) for p in wanted for i in range(p.count("/") + 1)
    }
    report.warnings += similar_paths(with_parents - before, before - {""})
    unit_ids: dict[str, int] = {}
    for path in wanted:
        unit_ids[path] = (
            await org_service.do_ensure_path(session, path=path, known=known, root=root)
        ).id
    report.units_new = sorted(set(known) - before)
    report.units_created += len(report.units_new)
    await units_changed(session, UnitsChanged(created=[known[p].id for p in report.units_new]))
    return unit_ids, {u.id: u.path for u in known.values()}


@dataclass
class _Places:
    """Where the file puts people: unit ids by path, and paths by unit id."""

    unit_ids: dict[str, int]
    paths: dict[int, str]

    def name(self, unit_id: int | None) -> str | None:
        return None if unit_id is None else self.paths.get(unit_id) or "(the top)"


@dataclass
class _Plan:
    """What an import writes: new people, changed people, whose kind changed, whose skills."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    kind_changed: list[int] = field(default_factory=list)
    skill_rows: list[_Row] = field(default_factory=list)


def _plan(
    rows: list[_Row],
    existing: dict[str, Any],
    places: _Places,
    managers: dict[str, str | None],
    report: ImportReport,
) -> _Plan:
    """Compare each row with the person it names (if any); count and name what changes."""
    plan = _Plan()
    by_id = {old.id: email for email, old in existing.items()}
    for row in rows:
        values = {
            "name": row.name,
            "title": row.title,
            "unit_id": places.unit_ids.get(row.unit_path) if row.kind == "member" else None,
            "kind": row.kind,
            "organization": row.organization,
            "relation": row.relation,
        }
        old = existing.get(row.email)
        if old is None:
            role = "member" if row.kind == "member" else "guest"
            plan.inserts.append(
                {"email": row.email, "bio": "", "role": role, "is_active": True, **values}
            )
            report.created += 1
            where = row.unit_path if row.kind == "member" else row.organization
            report.people_created.append({"email": row.email, "name": row.name, "unit": where})
        else:
            if row.kind == "external" and old.role != "guest":
                values["role"] = "guest"
            elif row.kind == "member" and old.role == "guest":
                values["role"] = "member"
            changed = [k for k, v in values.items() if getattr(old, k) != v]
            if changed:
                plan.updates.append({"id": old.id, **values})
            manager_changed = row.email in managers and managers[row.email] != by_id.get(
                old.manager_id
            )
            _name_changes(row, old, changed, manager_changed, places, report)
            if old.kind != row.kind:
                plan.kind_changed.append(old.id)
        if row.skills is not None:
            plan.skill_rows.append(row)
    return plan


def _name_changes(
    row: _Row,
    old: Any,
    changed: list[str],
    manager_changed: bool,
    places: _Places,
    report: ImportReport,
) -> None:
    """Count the row as updated or unchanged, and name the fields it changes and any move."""
    fields = [k for k in changed if k != "unit_id"] + (["manager"] if manager_changed else [])
    if "unit_id" in changed and row.kind == "member" and old.kind == "member":
        report.people_moved.append(
            {
                "email": row.email,
                "name": row.name,
                "from": places.name(old.unit_id),
                "to": places.name(places.unit_ids.get(row.unit_path)),
            }
        )
    elif "unit_id" in changed:
        fields.append("unit")
    if fields:
        report.people_changed.append({"email": row.email, "name": row.name, "fields": fields})
    if changed or manager_changed:
        report.updated += 1
    else:
        report.unchanged += 1


async def _write_managers(
    session: AsyncSession, managers: dict[str, str | None], existing: dict[str, Any]
) -> None:
    """Set the reporting lines the file names (after the new people have their ids)."""
    if not managers:
        return
    ids = {email: old.id for email, old in existing.items()}
    missing = sorted(({e for e in managers} | {m for m in managers.values() if m}) - set(ids))
    for start in range(0, len(missing), BATCH):
        chunk = missing[start : start + BATCH]
        ids.update(
            (await session.execute(select(Person.email, Person.id).where(Person.email.in_(chunk))))
            .tuples()
            .all()
        )
    values = [
        {"id": ids[email], "manager_id": ids[boss] if boss else None}
        for email, boss in managers.items()
        if (ids[boss] if boss else None)
        != (existing[email].manager_id if email in existing else None)
    ]
    for start in range(0, len(values), BATCH):
        await session.execute(update(Person), values[start : start + BATCH])


async def _write_people(
    session: AsyncSession, plan: _Plan, progress: Callable[[int, int], None] | None
) -> int:
    """Insert and update in batches; returns how many people were written."""
    done = 0
    total = len(plan.inserts) + len(plan.updates)
    for statement, values in ((insert(Person), plan.inserts), (update(Person), plan.updates)):
        for start in range(0, len(values), BATCH):
            chunk = values[start : start + BATCH]
            await session.execute(statement, chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return total


async def _check_admins_remain(
    session: AsyncSession, rows: list[_Row], existing: dict[str, Any], report: ImportReport
) -> None:
    """Rows that make an active administrator external (an external is a guest, never an
    admin) are refused, each on its line, when they would leave no active administrator."""
    demoted = {
        old.id: row
        for row in rows
        if row.kind == "external"
        and (old := existing.get(row.email)) is not None
        and old.role == "admin"
        and old.is_active
    }
    if not demoted or await active_admins_besides(session, demoted):
        return
    for row in sorted(demoted.values(), key=lambda r: r.line):
        report.rejected.append(
            {
                "line": row.line,
                "message": f"kind: making {row.email} external would leave no active "
                "administrator (an external person cannot be one); make someone else an "
                "admin first",
            }
        )
    report.conflict = True


async def _refresh_statistics(session: AsyncSession) -> None:
    """After a bulk write, let PostgreSQL plan the unit-space sync from the table as it is now.

    Until autovacuum catches up, its statistics describe the person table before the import
    (empty, the first time); planned for a handful of people, the sync's insert of missing
    members is quadratic, and 100,000 rows with 60 unit spaces took over three minutes instead
    of a few seconds. ANALYZE inside the transaction counts the rows it has written."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("ANALYZE person"))


async def _replace_skills(session: AsyncSession, rows: list[_Row]) -> None:
    emails = [r.email for r in rows]
    ids: dict[str, int] = {}
    for start in range(0, len(emails), BATCH):
        chunk = emails[start : start + BATCH]
        ids.update(
            (await session.execute(select(Person.email, Person.id).where(Person.email.in_(chunk))))
            .tuples()
            .all()
        )
    person_ids = [ids[e] for e in emails]
    for start in range(0, len(person_ids), BATCH):
        await session.execute(
            delete(PersonSkill).where(PersonSkill.person_id.in_(person_ids[start : start + BATCH]))
        )
    values = [
        {"person_id": ids[r.email], "name": s, "key": s.lower()}
        for r in rows
        for s in {s.lower(): s for s in (r.skills or [])}.values()
    ]
    for start in range(0, len(values), BATCH):
        await session.execute(insert(PersonSkill), values[start : start + BATCH])
