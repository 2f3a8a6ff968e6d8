"""The read rule's forms agree: for every persona × kind × visibility × state of a space, the
SQL clauses (run on the real database) and the Python predicates give the same answer.

``atoll.spaces.policy`` writes the rule once, as a table per kind of reader, and generates
every form from it: SQL over spaces for a viewer (``readable_spaces``, ``visible_spaces``),
the same for a kind of reader with the viewer's id as a parameter (``readable_spaces_of``)
or split into what every such reader reads and what their memberships add (``readable_by_all``
with ``MEMBERSHIPS_OF``, as the live streams keep it), SQL over people for a space
(``readers_of``, ``knowers_of``), and Python for a loaded space or row (``can_read``,
``can_see``, ``can_read_space``). Each is checked against the others on every case, and the
cases against a few truths written out by hand, so that agreement on a wrong rule (or on
nothing) cannot pass.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.spaces import policy
from atoll.spaces.models import KINDS, ROLES, VISIBILITIES, Membership, Space
from tests.factories import make_person

# The states a space can be in: the read rule does not look at them, and this shows it.
STATES = ("live", "archived", "closed")

# Who asks. Each persona belongs to every space in the role given (None: to none).
# fmt: off
PERSONAS: dict[str, tuple[dict[str, object], str | None]] = {
    "admin":             ({"role": "admin"}, None),
    "admin-owner":       ({"role": "admin"}, "owner"),
    "owner":             ({}, "owner"),
    "moderator":         ({}, "moderator"),
    "member":            ({}, "member"),
    "outsider":          ({}, None),  # a member of the organisation, not of the space
    "guest":             ({"kind": "external"}, "member"),  # an external member of the space
    "stranger":          ({"kind": "external"}, None),  # an external who belongs nowhere
    "retired-admin":     ({"role": "admin", "active": False}, None),  # deactivated
    "retired-member":    ({"active": False}, "member"),
}
# fmt: on
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Case:
    kind: str
    visibility: str
    state: str

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.visibility}-{self.state}"


CASES = [Case(*c) for c in itertools.product(KINDS, VISIBILITIES, STATES)]


@dataclass
class World:
    people: dict[str, Person]
    spaces: dict[Case, Space]
    roles: dict[tuple[str, Case], str | None]

    def role(self, persona: str, case: Case) -> str | None:
        return self.roles.get((persona, case))

    def viewer(self, persona: str) -> Person | None:
        return None if persona == ANONYMOUS else self.people[persona]


async def _world(db: AsyncSession) -> World:
    people: dict[str, Person] = {}
    for persona, (traits, _) in PERSONAS.items():
        person = await make_person(
            db,
            name=persona.title(),
            kind=str(traits.get("kind", "member")),
            **({"role": "admin"} if traits.get("role") == "admin" else {}),
        )
        person.is_active = bool(traits.get("active", True))
        people[persona] = person
    now = utcnow()
    spaces: dict[Case, Space] = {}
    for n, case in enumerate(CASES):
        space = Space(
            name=f"Space {n}",
            slug=f"space-{n}",
            kind=case.kind,
            visibility=case.visibility,
            archived_at=now if case.state == "archived" else None,
            closes_at=now - timedelta(hours=1) if case.state == "closed" else None,
        )
        db.add(space)
        spaces[case] = space
    await db.flush()
    roles: dict[tuple[str, Case], str | None] = {}
    for (persona, (_, role)), case in itertools.product(PERSONAS.items(), CASES):
        if role is not None:
            db.add(Membership(space_id=spaces[case].id, person_id=people[persona].id, role=role))
            roles[persona, case] = role
    await db.commit()
    return World(people, spaces, roles)


async def _ids(
    db: AsyncSession, clause: ColumnElement[bool], params: dict[str, object] | None = None
) -> set[int]:
    return set(await db.scalars(select(Space.id).where(clause), params or {}))


async def test_sql_and_python_agree_for_every_viewer(db: AsyncSession) -> None:
    """For each viewer: the spaces the SQL lets them read and see are exactly those the Python
    predicates allow, in each of the rule's SQL forms."""
    world = await _world(db)
    everything = {space.id for space in world.spaces.values()}
    by_id = {space.id: case for case, space in world.spaces.items()}
    wrong: list[str] = []
    for persona in (*PERSONAS, ANONYMOUS):
        viewer = world.viewer(persona)
        reader = policy.reader_of(viewer)
        viewer_id = viewer.id if viewer is not None else 0
        python_reads = {
            sid
            for sid, c in by_id.items()
            if policy.can_read(viewer, world.spaces[c], world.role(persona, c))
        }
        python_sees = {
            sid
            for sid, c in by_id.items()
            if policy.can_see(viewer, world.spaces[c], world.role(persona, c))
        }
        shared = await _ids(db, policy.readable_by_all(reader))
        own: set[int] = set()
        if reader in policy.READ_BY_MEMBERSHIP:
            rows = await db.execute(policy.MEMBERSHIPS_OF, {"people": [viewer_id]})
            own = {space_id for _, space_id in rows.tuples()}
        rows_ = await db.execute(select(Space.id, Space.kind, Space.visibility))
        by_row = {
            row.id
            for row in rows_
            if policy.can_read_space(reader, row, world.role(persona, by_id[row.id]))
        }
        forms = {
            "readable_spaces": await _ids(db, policy.readable_spaces(viewer)),
            "readable_spaces_of": await _ids(
                db, policy.readable_spaces_of(reader, bindparam("viewer")), {"viewer": viewer_id}
            ),
            "readable_space_ids": set(await db.scalars(policy.readable_space_ids(viewer))),
            "readable_by_all + MEMBERSHIPS_OF": (shared | own) & everything,
            "can_read_space on rows": by_row,
        }
        for form, ids in forms.items():
            if ids != python_reads:
                wrong.append(f"{persona}: {form} {_names(ids ^ python_reads, by_id)} differ")
        visible = await _ids(db, policy.visible_spaces(viewer))
        if visible != python_sees:
            wrong.append(f"{persona}: visible_spaces {_names(visible ^ python_sees, by_id)} differ")
        if not python_reads <= python_sees:
            wrong.append(f"{persona}: reads what they may not see")
    assert not wrong, "\n".join(wrong)


async def test_sql_over_people_agrees_for_every_space(db: AsyncSession) -> None:
    """For each space: the people ``readers_of`` and ``knowers_of`` find are exactly the active
    people the Python predicates let read it and see it."""
    world = await _world(db)
    names = {person.id: persona for persona, person in world.people.items()}
    wrong: list[str] = []
    for case, space in world.spaces.items():
        readers = {
            names[i] for i in await db.scalars(select(Person.id).where(policy.readers_of(space)))
        }
        knowers = {
            names[i] for i in await db.scalars(select(Person.id).where(policy.knowers_of(space)))
        }
        active = [p for p, person in world.people.items() if person.is_active]
        reads = {p for p in active if policy.can_read(world.people[p], space, world.role(p, case))}
        sees = {p for p in active if policy.can_see(world.people[p], space, world.role(p, case))}
        if readers != reads:
            wrong.append(f"{case.name}: readers_of {sorted(readers ^ reads)} differ")
        if knowers != sees:
            wrong.append(f"{case.name}: knowers_of {sorted(knowers ^ sees)} differ")
    assert not wrong, "\n".join(wrong)


def _names(ids: set[int], by_id: dict[int, Case]) -> list[str]:
    return sorted(by_id[i].name for i in ids)


async def test_the_rule_says_what_the_contract_says(db: AsyncSession) -> None:
    """A few truths, written out by hand (agreement alone would pass on a wrong rule)."""
    world = await _world(db)

    async def reads(persona: str) -> set[tuple[str, str]]:
        ids = await _ids(db, policy.readable_spaces(world.viewer(persona)))
        return {(c.kind, c.visibility) for c, s in world.spaces.items() if s.id in ids}

    async def sees(persona: str) -> set[tuple[str, str]]:
        ids = await _ids(db, policy.visible_spaces(world.viewer(persona)))
        return {(c.kind, c.visibility) for c, s in world.spaces.items() if s.id in ids}

    every = set(itertools.product(KINDS, VISIBILITIES))
    public = {("public", v) for v in VISIBILITIES}
    secret = {(k, "secret") for k in KINDS}
    # a practice space is its members' alone: not even an administrator knows it otherwise
    practice = {("practice", v) for v in VISIBILITIES}
    assert await reads(ANONYMOUS) == await sees(ANONYMOUS) == public
    assert await reads("stranger") == await sees("stranger") == public
    assert await reads("admin") == await sees("admin") == every - practice
    for persona in ("owner", "moderator", "member", "guest", "admin-owner"):
        assert await reads(persona) == every, persona  # they belong to every space
    outsider_reads = {(k, "open") for k in KINDS} - practice | public
    assert await reads("outsider") == outsider_reads
    assert await sees("outsider") == (every - secret - practice) | public
    # a deactivated administrator is no administrator: they read as a member
    assert await reads("retired-admin") == outsider_reads
    # the people told about a private community: its active people and the administrators
    private = world.spaces[Case("community", "private", "live")]
    readers = set(await db.scalars(select(Person.name).where(policy.readers_of(private))))
    assert readers == {"Admin", "Admin-Owner", "Owner", "Moderator", "Member", "Guest"}
    knowers = set(await db.scalars(select(Person.name).where(policy.knowers_of(private))))
    assert knowers == readers | {"Outsider"}
    hidden = world.spaces[Case("hybrid", "secret", "archived")]
    assert set(await db.scalars(select(Person.name).where(policy.knowers_of(hidden)))) == readers
    assert {role for _, role in PERSONAS.values()} >= set(ROLES)  # every role is a persona


def test_a_space_access_carries_the_same_answers() -> None:
    """``space_access`` computes its flags with the same predicates, once."""
    admin = Person(id=1, name="A", email="a@x", kind="member", role="admin", is_active=True)
    member = Person(id=2, name="M", email="m@x", kind="member", role="member", is_active=True)
    for kind, visibility in itertools.product(KINDS, VISIBILITIES):
        space = Space(kind=kind, visibility=visibility, archived_at=None, closes_at=None)
        for viewer, role in itertools.product((None, admin, member), (None, *ROLES)):
            access = policy.space_access(viewer, space, role)
            assert access.can_read is policy.can_read(viewer, space, role)
            assert access.can_see is policy.can_see(viewer, space, role)
            assert access.can_manage is (viewer is not None and policy.can_manage(viewer, role))
            assert access.can_post is (viewer is not None and policy.can_post(viewer, space, role))
    anonymous = policy.space_access(None, Space(kind="public", visibility="open"), None)
    assert anonymous.can_read and not (anonymous.can_post or anonymous.can_participate)
