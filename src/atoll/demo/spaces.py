"""Planning the demo organisation's spaces in memory: a space per unit at the levels that
have them, communities across silos, hybrid spaces with customers and partners, and
situation rooms — with their memberships, nothing written yet."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from atoll.demo import words
from atoll.demo.org import (
    ADMIN_EMAIL,
    COMPANY,
    LANDMARK_EXTERNALS,
    MEMBER_EMAIL,
    Ids,
    PPerson,
    PSpace,
    PUnit,
)
from atoll.spaces.service import slugify

Add = Callable[..., PSpace]  # makes a space: name, kind, visibility, description, **fields


def _slug(name: str, taken: set[str]) -> str:
    base = slugify(name)
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def plan_spaces(
    rng: random.Random,
    ids: Ids,
    *,
    units: list[PUnit],
    people: list[PPerson],
    start: datetime,
    end: datetime,
) -> list[PSpace]:
    """A unit space per department and team; communities across units (some start later);
    a hybrid space per customer or partner and a council of partners; the public space;
    situation rooms, all closed but the landmark one."""
    taken: set[str] = set()
    spaces: list[PSpace] = []
    ada = next(p for p in people if p.email == ADMIN_EMAIL)
    ana = next(p for p in people if p.email == MEMBER_EMAIL)
    staff = [p for p in people if p.kind == "member" and p.role != "admin"]
    span = end - start

    def add(
        name: str,
        kind: str,
        visibility: str,
        description: str,
        *,
        created_at: datetime,
        created_by_id: int,
        unit_id: int | None = None,
        closes_at: datetime | None = None,
    ) -> PSpace:
        space = PSpace(
            ids.next("space"),
            name,
            _slug(name, taken),
            kind,
            visibility,
            description,
            created_at,
            created_by_id,
            unit_id=unit_id,
            closes_at=closes_at,
        )
        spaces.append(space)
        return space

    by_id = {u.id: u for u in units}
    for unit in units:
        if unit.level not in (2, 3):
            continue
        dept = unit if unit.level == 2 else by_id[unit.parent_id or 0]
        name = f"{unit.name} team" if unit.level == 2 else f"{dept.name} {unit.name}"
        space = add(
            name,
            "unit",
            "open",
            f"Everyone in {unit.path.replace('/', ' › ')}.",
            created_at=start - timedelta(days=14),
            created_by_id=ada.id,
            unit_id=unit.id,
        )
        space.members[ada.id] = "owner"  # the admin who made it, as do_create_space does
    _communities(rng, add, staff=staff, ana=ana, start=start, span=span)
    _hybrids(rng, add, people=people, staff=staff, ana=ana, start=start, span=span)
    public = add(
        f"{COMPANY} Open House",
        "public",
        "open",
        "News and questions for anyone, signed in or not.",
        created_at=start - timedelta(days=10),
        created_by_id=ada.id,
    )
    public.members[ada.id] = "owner"
    for person in rng.sample(staff, min(3, len(staff))):
        public.members.setdefault(person.id, "moderator")
    _situations(rng, add, staff=staff, ana=ana, start=start, end=end)
    return spaces


def _communities(
    rng: random.Random,
    add: Add,
    *,
    staff: list[PPerson],
    ana: PPerson,
    start: datetime,
    span: timedelta,
) -> None:
    count = max(3, min(len(words.COMMUNITIES), len(staff) // 40))
    created = []
    for i, (name, visibility, description) in enumerate(words.COMMUNITIES[:count]):
        owner = ana if i < 3 else rng.choice(staff)
        when = start - timedelta(days=7) if i < 3 else start + span * rng.uniform(0.05, 0.6)
        space = add(
            name,
            "community",
            visibility,
            description,
            created_at=when.replace(microsecond=0),
            created_by_id=owner.id,
        )
        space.members[owner.id] = "owner"
        created.append(space)
    leads = [p for p in staff if p.title == "Team lead" or p.title.startswith("Head of")]
    leadership = created[2]
    for person in leads:
        leadership.members.setdefault(person.id, "member")
    open_ones = [s for s in created if s.visibility == "open"]
    for person in staff:  # everyone joins one to three communities
        for space in rng.sample(open_ones, min(len(open_ones), rng.choice((1, 1, 2, 3)))):
            space.members.setdefault(person.id, "member")
    for space in created:
        others = [pid for pid, role in space.members.items() if role == "member"]
        if others:
            space.members[rng.choice(others)] = "moderator"


def _hybrids(
    rng: random.Random,
    add: Add,
    *,
    people: list[PPerson],
    staff: list[PPerson],
    ana: PPerson,
    start: datetime,
    span: timedelta,
) -> None:
    externals = [p for p in people if p.kind == "external"]
    landmark = {e for _, e, _, _ in LANDMARK_EXTERNALS}
    orgs = list(dict.fromkeys(p.organization for p in externals))
    front = [p for p in staff if p.title != "Team lead"] or staff
    for i, org in enumerate(orgs):
        owner = ana if org in ("Acme Corp", "Beta Ltd") else rng.choice(front)
        when = start - timedelta(days=5) if i < 2 else start + span * rng.uniform(0.55, 0.9)
        space = add(
            f"{org} collaboration",
            "hybrid",
            "private",
            f"Working together with {org}.",
            created_at=when.replace(microsecond=0),
            created_by_id=owner.id,
        )
        space.members[owner.id] = "owner"
        for person in rng.sample(staff, min(len(staff), rng.randint(4, 9))):
            space.members.setdefault(person.id, "member")
        for person in externals:
            if person.organization == org:
                space.members[person.id] = "member"
    partners = [p for p in externals if p.relation == "partner" and p.email not in landmark]
    if partners:
        owner = rng.choice(front)
        space = add(
            "Partner Council",
            "hybrid",
            "private",
            "Our channel partners and us: plans, leads and training.",
            created_at=(start + span * 0.5).replace(microsecond=0),
            created_by_id=owner.id,
        )
        space.members[owner.id] = "owner"
        for person in rng.sample(staff, min(len(staff), 6)) + partners:
            space.members.setdefault(person.id, "member")


def _situations(
    rng: random.Random,
    add: Add,
    *,
    staff: list[PPerson],
    ana: PPerson,
    start: datetime,
    end: datetime,
) -> None:
    count = max(2, min(len(words.SITUATIONS), len(staff) // 100 + 1))
    for i, (name, description) in enumerate(words.SITUATIONS[:count]):
        if i == 0:  # the landmark: still open, closing two days after the history ends
            owner, when, closes = ana, end - timedelta(days=1), end + timedelta(days=2)
        else:
            owner = rng.choice(staff)
            when = start + (end - start) * rng.uniform(0.1, 0.85)
            when = when.replace(microsecond=0)
            closes = min(end - timedelta(hours=1), when + timedelta(days=rng.randint(5, 30)))
            closes = max(closes, when)  # a history of a few hours: closed as it opened
        space = add(
            name,
            "situation",
            "private",
            description,
            created_at=when,
            created_by_id=owner.id,
            closes_at=closes,
        )
        space.members[owner.id] = "owner"
        crew = [p for p in staff if p.id != owner.id]
        size = 4 if i == 0 else min(len(crew), rng.randint(5, 30))
        picked = crew[1:5] if i == 0 else rng.sample(crew, size)
        for person in picked:
            space.members[person.id] = "member"
