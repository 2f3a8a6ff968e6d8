"""Who sees what: the one place that decides access to a space and everything inside it.

The rule is written once, as a table: for each kind of reader (``RULES``), which spaces they
may know exist (*see*: listed in the directory, 200 or 403 rather than 404) and whose content
(posts, comments, wiki, members) they may *read* — in terms of a space's kind and visibility
and whether they belong to it:

- anonymous visitors see and read public spaces only;
- administrators see and read every space (they govern the platform);
- externals see and read the spaces they belong to (hybrid only) and public spaces;
- members see open and private spaces, secret spaces they belong to, and public spaces; they
  read open and public spaces and those they belong to (a private space's content is hidden).

Every form the rule takes is generated from that table, so that they cannot drift apart:

- SQL over ``Space`` for the queries that list spaces or their content (``visible_spaces``,
  ``readable_spaces``, ``readable_spaces_of``, ``readable_by_all``): every such query joins
  one of these; nothing is loaded first and filtered in Python;
- SQL over ``Person`` for who may be told about a loaded space (``readers_of``,
  ``knowers_of``);
- Python for a space already loaded with the viewer's role (``can_read``, ``can_see``, and
  ``can_read_space`` for a kind of reader and any row with a kind and a visibility).

``tests/spaces/test_policy_agreement.py`` runs them all against each other. ``SpaceAccess``
carries a space with what one viewer may do there, computed once (``space_access``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from atoll.kit.errors import denied
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.people.policy import is_admin
from atoll.spaces.models import Membership, Space

MANAGERS = ("owner", "moderator")
# A person's id in a clause: a number, a bound parameter, or a column of the statement.
PersonId = int | ColumnElement[int] | InstrumentedAttribute[int]


class SpaceFacts(Protocol):
    """What the read rule looks at in a space: a loaded ``Space``, or any row that has these."""

    @property
    def kind(self) -> str: ...

    @property
    def visibility(self) -> str: ...


# --- the rule ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Is:
    """Spaces whose kind or visibility is ``value`` (or, ``negate``, is not)."""

    field: Literal["kind", "visibility"]
    value: str
    negate: bool = False

    def sql(self) -> ColumnElement[bool]:
        column = Space.kind if self.field == "kind" else Space.visibility
        return column != self.value if self.negate else column == self.value

    def holds(self, space: SpaceFacts) -> bool:
        found = space.kind if self.field == "kind" else space.visibility
        return (found == self.value) != self.negate


@dataclass(frozen=True)
class Every:
    """Every space."""

    def sql(self) -> ColumnElement[bool]:
        return true()

    def holds(self, space: SpaceFacts) -> bool:
        return True


@dataclass(frozen=True)
class Both:
    """Spaces both terms hold for."""

    first: Is
    second: Is

    def sql(self) -> ColumnElement[bool]:
        return and_(self.first.sql(), self.second.sql())

    def holds(self, space: SpaceFacts) -> bool:
        return self.first.holds(space) and self.second.holds(space)


@dataclass(frozen=True)
class Reach:
    """The spaces a kind of reader reaches: those any of ``spaces`` holds for, whatever they
    belong to, and — when ``members`` — every space they belong to."""

    spaces: tuple[Is | Every | Both, ...]
    members: bool = False

    def everyone(self) -> ColumnElement[bool]:
        """The spaces every reader of the kind reaches, as SQL over ``Space``."""
        terms = [term.sql() for term in self.spaces]
        return terms[0] if len(terms) == 1 else or_(*terms)  # a lone true() vanishes in AND

    def sql(self, viewer_id: PersonId) -> ColumnElement[bool]:
        """The spaces the reader ``viewer_id`` reaches, as SQL over ``Space``."""
        if not self.members:
            return self.everyone()
        return or_(self.everyone(), _member_of(viewer_id))

    def reaches_everyone(self, space: SpaceFacts) -> bool:
        return any(term.holds(space) for term in self.spaces)

    def holds(self, space: SpaceFacts, role: str | None) -> bool:
        """Whether a reader whose role in ``space`` is ``role`` (None: not a member) reaches it."""
        return self.reaches_everyone(space) or (self.members and role is not None)


@dataclass(frozen=True)
class Rule:
    """What a kind of reader reads, and what they see (know exists)."""

    reads: Reach
    sees: Reach


PUBLIC = Is("kind", "public")
OPEN = Is("visibility", "open")
NOT_SECRET = Is("visibility", "secret", negate=True)
# A practice space is its owner's alone: nobody else, not even an administrator, knows it.
NOT_PRACTICE = Is("kind", "practice", negate=True)

EVERY = Every()

# The kinds of reader (``reader_of``) and their rules: the one statement of the read rule.
RULES: dict[str, Rule] = {
    "anonymous": Rule(reads=Reach((PUBLIC,)), sees=Reach((PUBLIC,))),
    "admin": Rule(
        reads=Reach((NOT_PRACTICE,), members=True), sees=Reach((NOT_PRACTICE,), members=True)
    ),
    "external": Rule(reads=Reach((PUBLIC,), members=True), sees=Reach((PUBLIC,), members=True)),
    "member": Rule(
        reads=Reach((Both(OPEN, NOT_PRACTICE), PUBLIC), members=True),
        sees=Reach((Both(NOT_SECRET, NOT_PRACTICE), PUBLIC), members=True),
    ),
}
READERS = tuple(RULES)
# The kinds of reader who also read every space they belong to.
READ_BY_MEMBERSHIP = tuple(reader for reader, rule in RULES.items() if rule.reads.members)
# Who each kind of reader is among the people, as SQL over ``Person`` (and-ed with being
# active); an administrator is one whatever their kind, and reads more than any other.
PEOPLE: dict[str, ColumnElement[bool]] = {
    "admin": Person.role == "admin",
    "member": Person.kind == "member",
    "external": Person.kind == "external",
}


def reader_of(viewer: Person | None) -> str:
    """Which rule applies to a viewer: anonymous, admin, external or member."""
    if viewer is None:
        return "anonymous"
    if is_admin(viewer):
        return "admin"
    return "external" if viewer.kind == "external" else "member"


def _member_of(viewer_id: PersonId) -> ColumnElement[bool]:
    return exists().where(Membership.space_id == Space.id, Membership.person_id == viewer_id)


def _id(viewer: Person | None) -> int:
    return viewer.id if viewer is not None else 0  # ids start at 1: nobody's


# --- the rule as SQL over spaces --------------------------------------------------------------


def visible_spaces(viewer: Person | None) -> ColumnElement[bool]:
    """Spaces the viewer may know exist (listed in the directory, 200/403 rather than 404)."""
    return RULES[reader_of(viewer)].sees.sql(_id(viewer))


def readable_spaces(viewer: Person | None) -> ColumnElement[bool]:
    """Spaces whose content (posts, comments, wiki, members) the viewer may read."""
    return readable_spaces_of(reader_of(viewer), _id(viewer))


def readable_by_all(reader: str) -> ColumnElement[bool]:
    """The spaces every viewer of a kind of reader (``reader_of``) may read, whatever they
    belong to: with the spaces they belong to (``READ_BY_MEMBERSHIP``), what they read."""
    if reader not in RULES:
        raise ValueError(f"unknown kind of reader {reader!r}")
    return RULES[reader].reads.everyone()


def readable_spaces_of(reader: str, viewer_id: PersonId) -> ColumnElement[bool]:
    """``readable_spaces`` for a kind of reader (``reader_of``) and the viewer's id, which may
    be a bound parameter: a statement built once per kind of reader serves every viewer."""
    if reader not in RULES:
        raise ValueError(f"unknown kind of reader {reader!r}")
    return RULES[reader].reads.sql(viewer_id)


def readable_space_ids(viewer: Person | None) -> Select[tuple[int]]:
    """A sub-select of readable space ids, for content queries (posts, comments, search)."""
    return select(Space.id).where(readable_spaces(viewer))


# The spaces each of some people belongs to: (person id, space id) rows, for a list of
# person ids bound as ``people``.
MEMBERSHIPS_OF = select(Membership.person_id, Membership.space_id).where(
    Membership.person_id.in_(bindparam("people", expanding=True))
)


# --- the rule as SQL over people --------------------------------------------------------------


def _people_reached(space: Space, reach_of: str) -> ColumnElement[bool]:
    """The active people whose rule's ``reach_of`` ("reads" or "sees") reaches ``space``."""
    reaches = [getattr(RULES[reader], reach_of) for reader in PEOPLE]
    if all(reach.reaches_everyone(space) for reach in reaches):
        return Person.is_active.is_(True)
    clauses = [
        who
        for who, reach in zip(PEOPLE.values(), reaches, strict=True)
        if reach.reaches_everyone(space)
    ]
    if any(reach.members for reach in reaches if not reach.reaches_everyone(space)):
        member = exists().where(Membership.space_id == space.id, Membership.person_id == Person.id)
        clauses.insert(0, member)
    return and_(Person.is_active.is_(True), or_(*clauses))


def readers_of(space: Space) -> ColumnElement[bool]:
    """People who may read this space (for @mention suggestions, the audience line and who is
    told of what happens in it)."""
    return _people_reached(space, "reads")


def knowers_of(space: Space) -> ColumnElement[bool]:
    """People who may know this space exists (told the answer to their request to join it)."""
    return _people_reached(space, "sees")


def people_sharing_a_space_with(viewer: Person) -> ColumnElement[bool]:
    """For the people directory: an external sees the co-members of their spaces."""
    return share_a_space(viewer.id, Person.id)


def share_a_space(one: PersonId, other: PersonId) -> ColumnElement[bool]:
    """Two people (ids or columns) belong to at least one space together."""
    mine = Membership.__table__.alias("mine")
    theirs = Membership.__table__.alias("theirs")
    return exists().where(
        mine.c.person_id == one,
        theirs.c.space_id == mine.c.space_id,
        theirs.c.person_id == other,
    )


# --- the rule in Python -----------------------------------------------------------------------


def can_read_space(reader: str, space: SpaceFacts, role: str | None) -> bool:
    """``readable_spaces_of`` for one space (any row with its kind and visibility) and a
    reader of that kind whose role there is ``role`` (None: not a member)."""
    return RULES[reader].reads.holds(space, role)


def can_see_space(reader: str, space: SpaceFacts, role: str | None) -> bool:
    """``visible_spaces`` for one space and a reader of that kind (see ``can_read_space``)."""
    return RULES[reader].sees.holds(space, role)


def can_read(viewer: Person | None, space: SpaceFacts, role: str | None) -> bool:
    """The same rule as ``readable_spaces``, for a space already loaded with the viewer's role."""
    return can_read_space(reader_of(viewer), space, role)


def can_see(viewer: Person | None, space: SpaceFacts, role: str | None) -> bool:
    """The same rule as ``visible_spaces``, for a space already loaded with the viewer's role."""
    return can_see_space(reader_of(viewer), space, role)


# --- acting in a space ------------------------------------------------------------------------


def is_open_for_writing(space: Space, now: datetime | None = None) -> bool:
    """Archived spaces and closed situation rooms are read-only."""
    if space.archived_at is not None:
        return False
    return space.closes_at is None or space.closes_at > (now or utcnow())


def can_manage(viewer: Person, role: str | None) -> bool:
    """Owners, moderators and admins manage members, requests and moderation."""
    return _manages(is_admin(viewer), role)


def can_own(viewer: Person, role: str | None) -> bool:
    """Owners and admins change roles, settings, and archive."""
    return _owns(is_admin(viewer), role)


def can_post(viewer: Person, space: Space, role: str | None, kind: str = "update") -> bool:
    """Whoever belongs to the space (and admins) posts; its managers announce. While open."""
    return _posts(is_admin(viewer), role, is_open_for_writing(space), kind)


def can_participate(viewer: Person, space: Space, role: str | None) -> bool:
    """Comment, react and vote: anyone signed in who may read the space, while it is open."""
    return is_open_for_writing(space) and can_read(viewer, space, role)


# The rules above, for an administrator or not (``space_access`` asks them once per space).


def _manages(admin: bool, role: str | None) -> bool:
    return admin or role in MANAGERS


def _owns(admin: bool, role: str | None) -> bool:
    return admin or role == "owner"


def _posts(admin: bool, role: str | None, writable: bool, kind: str) -> bool:
    if not writable:
        return False
    if kind == "announcement":
        return _manages(admin, role)
    return admin or role is not None


# Externals belong only to hybrid spaces.
EXTERNALS_BELONG = Is("kind", "hybrid")


def may_belong(person: Person, space: Space) -> bool:
    """Externals belong only to hybrid spaces; nobody joins a practice space (its owner is
    its one member from the start)."""
    if space.kind == "practice":
        return False
    return person.kind == "member" or EXTERNALS_BELONG.holds(space)


def spaces_externals_may_belong_to() -> ColumnElement[bool]:
    """``may_belong`` for an external, as SQL: the spaces they may hold a membership of."""
    return EXTERNALS_BELONG.sql()


# --- a space as one viewer may use it ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpaceAccess:
    """A space as one viewer may use it: their role there and what they may do, computed once
    (``space_access``). The ``access_*`` functions of the spaces service return one; the
    ``do_*`` functions that act in a space take one."""

    space: Space
    viewer: Person | None
    role: str | None
    can_see: bool  # know it exists
    can_read: bool  # its posts, comments, wiki and members
    writable: bool  # not archived, not a closed situation room
    can_post: bool  # an update, a question or an idea
    can_announce: bool
    can_participate: bool  # comment, react, vote
    can_manage: bool  # members, requests, moderation, settings
    can_own: bool  # roles, visibility, archiving

    @property
    def actor(self) -> Person:
        """The viewer, who acts: a change needs someone signed in (401 otherwise)."""
        if self.viewer is None:
            raise denied("space", signed_in=False, may_know=self.can_see)
        return self.viewer


def space_access(viewer: Person | None, space: Space, role: str | None) -> SpaceAccess:
    """What ``viewer``, whose role in ``space`` is ``role`` (None: not a member), may do there:
    the predicates above, each asked once (every post a page shows has one)."""
    reader = reader_of(viewer)
    reads = can_read_space(reader, space, role)
    writable = is_open_for_writing(space)
    signed_in, admin = viewer is not None, reader == "admin"
    return SpaceAccess(
        space=space,
        viewer=viewer,
        role=role,
        can_see=can_see_space(reader, space, role),
        can_read=reads,
        writable=writable,
        can_post=signed_in and _posts(admin, role, writable, "update"),
        can_announce=signed_in and _posts(admin, role, writable, "announcement"),
        can_participate=signed_in and writable and reads,
        can_manage=signed_in and _manages(admin, role),
        can_own=signed_in and _owns(admin, role),
    )


def can_see_insights(access: SpaceAccess) -> bool:
    """A space's analytics (``atoll.governance.space_analytics``, its Insights tab): its owners
    and moderators, administrators and analysts — among those who may know the space."""
    viewer = access.viewer
    if viewer is None or not viewer.is_active or not access.can_see:
        return False
    return access.role in MANAGERS or is_admin(viewer) or bool(viewer.is_analyst)


def visible_people(viewer: Person | None) -> ColumnElement[bool]:
    """The people a viewer may see, as SQL: members see everyone active; an external sees
    themselves and the active co-members of their spaces; administrators see everyone."""
    if viewer is None:
        return false()
    if is_admin(viewer):
        return true()
    if viewer.kind == "member":
        return Person.is_active.is_(True)
    return or_(
        Person.id == viewer.id,
        and_(Person.is_active.is_(True), people_sharing_a_space_with(viewer)),
    )
