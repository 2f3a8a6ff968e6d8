"""SCIM Groups ↔ units of the organisation (RFC 7643 §4.2): ``displayName`` is the unit's
name and ``members`` the people who sit in it (not in its sub-units). A person sits in one
unit, so adding them to a group moves them there, and removing them moves them to the top of
the organisation. A new group is a new unit under the top; a deleted one hands its people to
its parent unit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Conflict
from atoll.kit.ids import parse_id
from atoll.org.models import Unit
from atoll.org.service import do_create_unit, root_unit
from atoll.org.tree import do_delete_unit, do_update_unit
from atoll.people.models import Person
from atoll.people.service import do_move_people

from . import scim_values as values
from .models import ScimGroup, ScimUser
from .scim_errors import ScimError, invalid_syntax, invalid_value, not_found
from .scim_filter import Column, Resolve, parse_filter, strip_urn, to_sql
from .scim_patch import Shape
from .scim_schemas import GROUP

NAMES = {n.lower(): n for n in ("displayName", "members", "externalId")}
SHAPE = Shape(names=NAMES, multi=frozenset({"members"}), complex=frozenset(), ignored=frozenset())
MEMBER_PARTS = {"value", "$ref", "type", "display"}
# A Group's id is "g" and its unit's number: never a User's id (a person's number), as RFC 7643
# §3.1 wants an id unique across every resource of the service.
ID_PREFIX = "g"


def group_id(unit_id: int) -> str:
    return f"{ID_PREFIX}{unit_id}"


def unit_id_of(value: Any) -> int | None:
    """The unit behind a Group's id, or None when it is not one: "g12" is unit 12; "12",
    "G12", "g012" and anything else name no Group."""
    if not isinstance(value, str) or not value.startswith(ID_PREFIX):
        return None
    digits = value[len(ID_PREFIX) :]
    return None if digits.startswith("0") else parse_id(digits)


@dataclass(frozen=True)
class GroupState:
    display_name: str
    members: frozenset[int]
    external_id: str | None = None


def _member_visible() -> ColumnElement[bool]:
    """People a SCIM client still knows (not removed by a SCIM DELETE)."""
    return ~exists().where(ScimUser.person_id == Person.id, ScimUser.deleted_at.is_not(None))


async def members_of(session: AsyncSession, unit_ids: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {u: [] for u in unit_ids}
    if unit_ids:
        rows = await session.execute(
            select(Person.unit_id, Person.id)
            .where(Person.unit_id.in_(list(unit_ids)), _member_visible())
            .order_by(Person.id)
        )
        for unit_id, person_id in rows.tuples().all():
            out[int(unit_id or 0)].append(person_id)
    return out


def group_resource(
    unit: Unit, row: ScimGroup | None, members: list[int] | None, base: str
) -> dict[str, Any]:
    doc: dict[str, Any] = {"schemas": [GROUP], "id": group_id(unit.id)}
    if row is not None and row.external_id:
        doc["externalId"] = row.external_id
    doc["displayName"] = unit.name
    if members is not None:
        doc["members"] = [
            {"value": str(pid), "$ref": f"{base}/Users/{pid}", "type": "User"} for pid in members
        ]
    created = values.iso(unit.created_at)
    doc["meta"] = {
        "resourceType": "Group",
        "created": created,
        "lastModified": created,
        "location": f"{base}/Groups/{group_id(unit.id)}",
    }
    return doc


def parse_group(body: Any) -> GroupState:
    if not isinstance(body, dict):
        raise invalid_syntax("send a Group object")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or GROUP not in schemas):
        raise invalid_syntax(f"schemas must include {GROUP!r}")
    fields: dict[str, Any] = {}
    for key, value in body.items():
        name = strip_urn(str(key))
        if name in ("schemas", "id", "meta"):
            continue
        if name not in NAMES:
            raise invalid_syntax(f"Group has no attribute {key!r}")
        fields[NAMES[name]] = value
    display_name = values.text(fields.get("displayName"), "displayName")
    if not display_name:
        raise invalid_value("displayName is required")
    members: set[int] = set()
    for item in values.items(fields.get("members"), "members"):
        unknown = set(item) - MEMBER_PARTS
        if unknown:
            raise invalid_syntax(f"members has no sub-attribute {sorted(unknown)[0]!r}")
        if str(item.get("type") or "User").lower() != "user":
            raise invalid_value("members: a group holds people (type User) only")
        pid = parse_id(item.get("value"))
        if pid is None:
            raise invalid_value(f"members: {item.get('value')!r} is not the id of a User")
        members.add(pid)
    external_id = values.text(fields.get("externalId"), "externalId", max_len=320, clean=False)
    return GroupState(display_name, frozenset(members), external_id)


# --- finding groups -------------------------------------------------------------------


def _members_exist(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(Person.unit_id == Unit.id, _member_visible(), clause)


def group_column(attr: str) -> Column | None:
    return _GROUP_COLUMNS.get(attr)


def _group_columns() -> dict[str, Column]:
    return {
        "id": Column(Unit.id, "id", ident=unit_id_of),
        "displayname": Column(Unit.name),
        "externalid": Column(ScimGroup.external_id, exact=True),
        "members": Column(Person.id, "id", exists=_members_exist),
        "members.value": Column(Person.id, "id", exists=_members_exist),
        "meta.resourcetype": Column(literal("Group")),
    }


_GROUP_COLUMNS = _group_columns()


async def groups_page(
    session: AsyncSession,
    *,
    filter_text: str | None,
    start: int,
    count: int,
    resolve: Resolve = group_column,
) -> tuple[int, list[tuple[Unit, ScimGroup | None]]]:
    where: ColumnElement[bool] = and_(Unit.id.is_not(None))
    if filter_text:
        where = to_sql(parse_filter(filter_text), resolve)
    total = await session.scalar(
        select(func.count())
        .select_from(Unit)
        .outerjoin(ScimGroup, ScimGroup.unit_id == Unit.id)
        .where(where)
    )
    rows: list[tuple[Unit, ScimGroup | None]] = []
    if count > 0:
        result = await session.execute(
            select(Unit, ScimGroup)
            .outerjoin(ScimGroup, ScimGroup.unit_id == Unit.id)
            .where(where)
            .order_by(Unit.id)
            .offset(start - 1)
            .limit(count)
        )
        rows = [(u, r) for u, r in result.tuples().all()]
    return int(total or 0), rows


async def access_group(session: AsyncSession, ident: str) -> tuple[Unit, ScimGroup | None]:
    uid = unit_id_of(ident)
    found = None
    if uid is not None:
        found = (
            await session.execute(
                select(Unit, ScimGroup)
                .outerjoin(ScimGroup, ScimGroup.unit_id == Unit.id)
                .where(Unit.id == uid)
            )
        ).first()
    if found is None:
        raise not_found("Group", ident)
    return found[0], found[1]


# --- changing groups ------------------------------------------------------------------


async def _rename(session: AsyncSession, unit: Unit, name: str, label: str) -> None:
    """A new name through org's own rename: the paths below follow, and so does the unit's
    space."""
    try:
        await do_update_unit(session, actor=None, unit=unit, name=name, actor_label=label)
    except Conflict as error:
        raise ScimError(409, error.detail, "uniqueness") from None


async def _move(
    session: AsyncSession, people: Sequence[Person], unit_id: int | None, label: str
) -> None:
    for person in people:
        if person.kind != "member":
            raise invalid_value(f"members: {person.id} is external and sits in no unit")
    await do_move_people(session, people=people, unit_id=unit_id, actor_label=label)


async def _people(session: AsyncSession, ids: set[int]) -> list[Person]:
    if not ids:
        return []
    found = list(
        (
            await session.execute(
                select(Person).where(Person.id.in_(sorted(ids)), _member_visible())
            )
        ).scalars()
    )
    missing = ids - {p.id for p in found}
    if missing:
        raise invalid_value(f"members: no User has the id {min(missing)}")
    return found


async def do_apply_group(
    session: AsyncSession,
    *,
    unit: Unit,
    row: ScimGroup | None,
    state: GroupState,
    actor_label: str = "",
) -> tuple[ScimGroup | None, bool]:
    """Make the unit say what ``state`` says; whether anything was written. ``actor_label``
    names the SCIM client in the audit log."""
    changed = False
    if state.display_name != unit.name:
        await _rename(session, unit, state.display_name, actor_label)
        changed = True
    current = set((await members_of(session, [unit.id]))[unit.id])
    arriving = await _people(session, set(state.members) - current)
    leaving = await _people(session, current - set(state.members))
    if arriving or (leaving and unit.parent_id is not None):
        root = await root_unit(session)
        await _move(session, arriving, unit.id, actor_label)
        await _move(session, leaving, root.id if root else None, actor_label)
        changed = True
    if row is None and state.external_id is not None:
        row = ScimGroup(unit_id=unit.id, external_id=state.external_id)
        session.add(row)
        changed = True
    elif row is not None and row.external_id != state.external_id:
        row.external_id = state.external_id
        changed = True
    await session.flush()
    return row, changed


async def do_create_group(
    session: AsyncSession, *, state: GroupState, actor_label: str = ""
) -> tuple[Unit, ScimGroup | None]:
    unit = await do_create_unit(
        session, actor=None, name=state.display_name, actor_label=actor_label
    )
    row, _ = await do_apply_group(
        session, unit=unit, row=None, state=state, actor_label=actor_label
    )
    return unit, row


async def do_delete_group(session: AsyncSession, *, unit: Unit, actor_label: str = "") -> None:
    """The unit goes: org merges it into its parent (its people move there, its space is
    archived). The top of the organisation and a unit with units below it stay."""
    if unit.parent_id is None:
        raise ScimError(400, "The top of the organisation cannot be deleted.", "mutability")
    if await session.scalar(select(exists().where(Unit.parent_id == unit.id))):
        raise ScimError(
            400, "This unit has units below it; delete or move them first.", "mutability"
        )
    await session.execute(delete(ScimGroup).where(ScimGroup.unit_id == unit.id))
    await do_delete_unit(
        session, actor=None, unit=unit, merge_into=unit.parent_id, actor_label=actor_label
    )
