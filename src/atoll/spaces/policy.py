"""Who sees what: the one place that decides access to a space and everything inside it.

Every query that lists spaces or their content joins one of these clauses; nothing is loaded
first and filtered in Python. Rules:
- anonymous visitors see and read public spaces only;
- administrators see and read every space (they govern the platform);
- externals see and read the spaces they belong to (hybrid only) and public spaces;
- members see open and private spaces, secret spaces they belong to, and public spaces; they
  read open and public spaces and those they belong to (a private space's content is hidden).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.people.policy import is_admin
from atoll.spaces.models import Membership, Space

MANAGERS = ("owner", "moderator")
# A person's id in a clause: a number, a bound parameter, or a column of the statement.
PersonId = int | ColumnElement[int] | InstrumentedAttribute[int]


# The kinds of reader the rules below tell apart (``reader_of``).
READERS = ("anonymous", "admin", "external", "member")


def reader_of(viewer: Person | None) -> str:
    """Which rule applies to a viewer: anonymous, admin, external or member."""
    if viewer is None:
        return "anonymous"
    if is_admin(viewer):
        return "admin"
    return "external" if viewer.kind == "external" else "member"


def _member_of(viewer_id: PersonId) -> ColumnElement[bool]:
    return exists().where(Membership.space_id == Space.id, Membership.person_id == viewer_id)


def visible_spaces(viewer: Person | None) -> ColumnElement[bool]:
    """Spaces the viewer may know exist (listed in the directory, 200/403 rather than 404)."""
    if viewer is None:
        return Space.kind == "public"
    if is_admin(viewer):
        return true()
    if viewer.kind == "external":
        return or_(Space.kind == "public", _member_of(viewer.id))
    return or_(Space.visibility != "secret", Space.kind == "public", _member_of(viewer.id))


def readable_spaces(viewer: Person | None) -> ColumnElement[bool]:
    """Spaces whose content (posts, comments, wiki, members) the viewer may read."""
    return readable_spaces_of(reader_of(viewer), viewer.id if viewer is not None else 0)


def readable_by_all(reader: str) -> ColumnElement[bool]:
    """The spaces every viewer of a kind of reader (``reader_of``) may read, whatever they
    belong to: with the spaces they belong to (``READ_BY_MEMBERSHIP``), what they read."""
    if reader in ("anonymous", "external"):
        return Space.kind == "public"
    if reader == "admin":
        return true()
    if reader != "member":
        raise ValueError(f"unknown kind of reader {reader!r}")
    return or_(Space.visibility == "open", Space.kind == "public")


# The kinds of reader who also read every space they belong to.
READ_BY_MEMBERSHIP = ("external", "member")

# The spaces each of some people belongs to: (person id, space id) rows, for a list of
# person ids bound as ``people``.
MEMBERSHIPS_OF = select(Membership.person_id, Membership.space_id).where(
    Membership.person_id.in_(bindparam("people", expanding=True))
)


def readable_spaces_of(reader: str, viewer_id: PersonId) -> ColumnElement[bool]:
    """``readable_spaces`` for a kind of reader (``reader_of``) and the viewer's id, which may
    be a bound parameter: a statement built once per kind of reader serves every viewer."""
    everyone = readable_by_all(reader)
    if reader not in READ_BY_MEMBERSHIP:
        return everyone
    return or_(everyone, _member_of(viewer_id))


def readable_space_ids(viewer: Person | None) -> Select[tuple[int]]:
    """A sub-select of readable space ids, for content queries (posts, comments, search)."""
    return select(Space.id).where(readable_spaces(viewer))


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


def readers_of(space: Space) -> ColumnElement[bool]:
    """People who may read this space (for @mention suggestions and the audience line)."""
    member = exists().where(Membership.space_id == space.id, Membership.person_id == Person.id)
    clauses = [member, Person.role == "admin"]
    if space.kind == "public":
        return Person.is_active.is_(True)
    if space.visibility == "open":
        clauses.append(Person.kind == "member")
    return and_(Person.is_active.is_(True), or_(*clauses))


def is_open_for_writing(space: Space, now: datetime | None = None) -> bool:
    """Archived spaces and closed situation rooms are read-only."""
    if space.archived_at is not None:
        return False
    return space.closes_at is None or space.closes_at > (now or utcnow())


def can_read(viewer: Person | None, space: Space, role: str | None) -> bool:
    """The same rule as ``readable_spaces``, for a space already loaded with the viewer's role."""
    if space.kind == "public":
        return True
    if viewer is None:
        return False
    if is_admin(viewer) or role is not None:
        return True
    return viewer.kind == "member" and space.visibility == "open"


def can_see(viewer: Person | None, space: Space, role: str | None) -> bool:
    if can_read(viewer, space, role):
        return True
    return viewer is not None and viewer.kind == "member" and space.visibility != "secret"


def can_manage(viewer: Person, role: str | None) -> bool:
    """Owners, moderators and admins manage members, requests and moderation."""
    return is_admin(viewer) or role in MANAGERS


def can_own(viewer: Person, role: str | None) -> bool:
    """Owners and admins change roles, settings, and archive."""
    return is_admin(viewer) or role == "owner"


def can_post(viewer: Person, space: Space, role: str | None, kind: str = "update") -> bool:
    if not is_open_for_writing(space):
        return False
    if kind == "announcement":
        return can_manage(viewer, role)
    return role is not None or is_admin(viewer)


def can_participate(viewer: Person, space: Space, role: str | None) -> bool:
    """Comment, react and vote: anyone signed in who may read the space, while it is open."""
    return is_open_for_writing(space) and can_read(viewer, space, role)


def may_belong(person: Person, space: Space) -> bool:
    """Externals belong only to hybrid spaces."""
    return person.kind == "member" or space.kind == "hybrid"


def spaces_externals_may_belong_to() -> ColumnElement[bool]:
    """``may_belong`` for an external, as SQL: the spaces they may hold a membership of."""
    return Space.kind == "hybrid"
