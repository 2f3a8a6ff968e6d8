"""Planning the demo organisation in memory: the unit tree, people, customers and partners
with their guests, spaces and memberships — rows with ids, nothing written yet.

Everything is drawn from one ``random.Random`` seeded by the caller, so the same seed gives
the same organisation."""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from atoll.demo import words
from atoll.spaces.service import slugify

COMPANY = "Northwind"
ADMIN_EMAIL = "admin@northwind.example"
MEMBER_EMAIL = "ana.silva@northwind.example"
# The landmark externals: the README and the browser tests sign in as some of them.
LANDMARK_EXTERNALS = [
    ("Marta Kühn", "marta@acme.example", "Acme Corp", "Head of IT"),
    ("Tom Reyes", "tom@acme.example", "Acme Corp", "Procurement lead"),
    ("Lina Haugen", "lina@beta.example", "Beta Ltd", "Solutions architect"),
    ("Omar Said", "omar@beta.example", "Beta Ltd", "Channel manager"),
    ("Sara Blom", "sara@globex.example", "Globex", "Operations manager"),
]
# How much a person writes: readers never do (the 90-9-1 of online communities, softened).
ENGAGEMENT = (("reader", 0.0, 0.45), ("occasional", 1.0, 0.4), ("regular", 6.0, 0.15))


@dataclass
class PUnit:
    id: int
    name: str
    parent_id: int | None
    level: int
    path: str
    division: str


@dataclass
class PPerson:
    id: int
    name: str
    email: str
    kind: str
    unit_id: int | None  # the final unit (after any move)
    title: str
    skills: list[str]
    role: str = "member"
    organization: str | None = None
    relation: str | None = None
    engagement: str = "occasional"
    weight: float = 1.0  # how often they write, relative to others
    adopt: int | None = 0  # the month they start using Atoll (None: never)
    # The unit in each month of the history (moves happen at the start of a month).
    units: list[int | None] = field(default_factory=list)


@dataclass
class PSpace:
    id: int
    name: str
    slug: str
    kind: str
    visibility: str
    description: str
    created_at: datetime
    created_by_id: int
    unit_id: int | None = None
    closes_at: datetime | None = None
    # Manual members and their roles (unit spaces add their unit's people month by month).
    members: dict[int, str] = field(default_factory=dict)


@dataclass
class Org:
    units: list[PUnit]
    people: list[PPerson]
    spaces: list[PSpace]
    silo: dict[int, int]  # unit id -> silo id (ancestor at the silo level, itself, none above)
    months: list[tuple[datetime, datetime]]  # [start, end) of each month of the history

    def person(self, email: str) -> PPerson:
        return next(p for p in self.people if p.email == email)

    def space(self, name: str) -> PSpace:
        return next(s for s in self.spaces if s.name == name)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("ı", "i"))
    return "".join(c for c in plain if c.isascii())


def email_of(first: str, last: str, domain: str = "northwind.example") -> str:
    return _ascii(f"{first}.{last}").lower().replace(" ", "") + "@" + domain


def month_starts(end: datetime, months: int) -> list[tuple[datetime, datetime]]:
    """Calendar months (UTC) ending with the month of ``end`` (exclusive end of the history),
    the last one cut at ``end``."""
    last = end - timedelta(microseconds=1)
    year, month = last.year, last.month
    starts = []
    for _ in range(months):
        starts.append(datetime(year, month, 1, tzinfo=end.tzinfo))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    starts.reverse()
    return [(s, starts[i + 1] if i + 1 < len(starts) else end) for i, s in enumerate(starts)]


def elapsed_shares(months: list[tuple[datetime, datetime]]) -> list[float]:
    """How much of each calendar month the history covers: 1 for a whole month, less for
    the month the history ends in when it is not over (2.5 / 31 on the 3rd at noon)."""
    shares = []
    for start, stop in months:
        year, month = (start.year, start.month + 1) if start.month < 12 else (start.year + 1, 1)
        whole = datetime(year, month, 1, tzinfo=start.tzinfo) - start
        shares.append(min(1.0, (stop - start) / whole))
    return shares


class Ids:
    """The next free id of each table."""

    def __init__(self, start: dict[str, int]) -> None:
        self.last = dict(start)

    def next(self, table: str) -> int:
        self.last[table] = self.last.get(table, 0) + 1
        return self.last[table]


def plan_tree(rng: random.Random, ids: Ids, *, members: int, silo_level: int) -> list[PUnit]:
    """Company → divisions → departments → teams, sized for this many members: about 25
    people a department, 8 a team."""
    n_depts = max(3, round(members / 25))
    n_divs = max(2, min(len(words.DIVISIONS), math.ceil(n_depts / 3)))
    root = PUnit(ids.next("unit"), COMPANY, None, 0, "", "")
    units = [root]
    divisions = list(words.DIVISIONS)[:n_divs]
    per_div = [n_depts // n_divs + (1 if i < n_depts % n_divs else 0) for i in range(n_divs)]
    dept_size = members / n_depts
    for division, count in zip(divisions, per_div, strict=True):
        div = PUnit(ids.next("unit"), division, root.id, 1, division, division)
        units.append(div)
        names = words.DIVISIONS[division]
        for d in range(count):
            base = names[d % len(names)]
            name = base if d < len(names) else f"{base} {d // len(names) + 1}"
            dept = PUnit(ids.next("unit"), name, div.id, 2, f"{division}/{name}", division)
            units.append(dept)
            n_teams = max(1, round((dept_size - 1) / 8))
            teams = words.TEAMS[:]
            rng.shuffle(teams)
            if division == "Engineering" and d == 0:
                teams.remove("Core")
                teams.insert(0, "Core")  # Ana Silva's team
            for t in range(n_teams):
                tname = teams[t % len(teams)] + (
                    "" if t < len(teams) else f" {t // len(teams) + 1}"
                )
                units.append(
                    PUnit(ids.next("unit"), tname, dept.id, 3, f"{dept.path}/{tname}", division)
                )
    return units


def silos_of(units: list[PUnit], level: int) -> dict[int, int]:
    by_path = {u.path: u.id for u in units}
    out = {}
    for u in units:
        if u.level < level:  # above the silo level: in no silo
            continue
        if u.level == level:
            out[u.id] = u.id
        else:
            out[u.id] = by_path["/".join(u.path.split("/")[:level]) if level > 0 else ""]
    return out


def _names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    pairs = [(f, last) for f in words.FIRST for last in words.LAST]
    rng.shuffle(pairs)
    pairs.remove(("Ana", "Silva"))
    out = [("Ana", "Silva")]
    letters = "ABCDEFGHJKLMNPRSTVW"
    i = 0
    while len(out) < count:
        first, last = pairs[i % len(pairs)]
        if i >= len(pairs):  # a bigger organisation than the lists: middle initials
            first = f"{first} {letters[(i // len(pairs) - 1) % len(letters)]}."
        out.append((first, last))
        i += 1
    return out


def _engage(rng: random.Random, person: PPerson, months: int) -> None:
    roll, acc = rng.random(), 0.0
    for name, weight, share in ENGAGEMENT:
        acc += share
        if roll < acc:
            person.engagement, person.weight = name, weight * rng.uniform(0.6, 1.6)
            break
    # Adoption: most people start in the first half of the history, a few never do.
    person.adopt = (
        None if rng.random() < 0.08 else min(months - 1, int(rng.random() ** 1.6 * months * 0.6))
    )


def plan_people(
    rng: random.Random, ids: Ids, *, units: list[PUnit], members: int, externals: int, months: int
) -> list[PPerson]:
    root = units[0]
    depts = [u for u in units if u.level == 2]
    teams_of = {d.id: [u for u in units if u.parent_id == d.id] for d in depts}
    names = _names(rng, members)
    people = [
        PPerson(
            ids.next("person"),
            "Ada Admin",
            ADMIN_EMAIL,
            "member",
            root.id,
            "Collaboration lead",
            ["Community management"],
            role="admin",
            engagement="regular",
            weight=3.0,
        )
    ]
    emails = {ADMIN_EMAIL}
    slots: list[tuple[PUnit, str]] = []  # (unit, title) for every member but Ada
    per_dept = [
        (members - 1) // len(depts) + (1 if i < (members - 1) % len(depts) else 0)
        for i in range(len(depts))
    ]
    for dept, count in zip(depts, per_dept, strict=True):
        teams = teams_of[dept.id]
        if count:
            slots.append((dept, f"Head of {dept.name}"))
        for k in range(count - 1):
            team = teams[k % len(teams)]
            lead = k < len(teams)
            slots.append((team, "Team lead" if lead else rng.choice(words.TITLES[dept.division])))
    # Ana Silva, the member whose sign-in `make run` prints, is in Engineering/Platform/Core.
    core = next(i for i, (u, t) in enumerate(slots) if u.level == 3 and t != "Team lead")
    slots.insert(0, slots.pop(core))
    for (first, last), (unit, title) in zip(names, slots, strict=False):
        email = email_of(first, last)
        n = 2
        while email in emails:
            email = email_of(first, f"{last}{n}")
            n += 1
        emails.add(email)
        skills = rng.sample(words.SKILLS[unit.division], 3)
        people.append(
            PPerson(ids.next("person"), f"{first} {last}", email, "member", unit.id, title, skills)
        )
    orgs = words.ORGANIZATIONS[: max(3, min(len(words.ORGANIZATIONS), externals // 6 + 1))]
    relation = dict(words.ORGANIZATIONS)
    for name, email, org, title in LANDMARK_EXTERNALS:
        people.append(_external(ids, name, email, org, relation[org], title))
    for k in range(max(0, externals - len(LANDMARK_EXTERNALS))):
        org, rel = orgs[k % len(orgs)]
        first, last = rng.choice(words.FIRST), rng.choice(words.LAST)
        domain = slugify(org).replace("-", "") + ".example"
        email = email_of(first, last, domain)
        n = 2
        while email in emails:
            email = email_of(first, f"{last}{n}", domain)
            n += 1
        emails.add(email)
        title = rng.choice(words.EXTERNAL_TITLES)
        people.append(_external(ids, f"{first} {last}", email, org, rel, title))
    for person in people:
        if person.email in (ADMIN_EMAIL, MEMBER_EMAIL) or person.email in {
            e for _, e, _, _ in LANDMARK_EXTERNALS
        }:
            person.engagement, person.weight, person.adopt = "regular", 3.0, 0
        else:
            _engage(rng, person, months)
        if person.kind == "external" and person.adopt is not None:
            # Customers and partners are invited once the organisation is at home in Atoll.
            person.adopt = max(person.adopt, min(months - 1, months // 4))
        person.units = [person.unit_id] * months
    _move_some(rng, people, units, months)
    return people


def _external(ids: Ids, name: str, email: str, org: str, relation: str, title: str) -> PPerson:
    return PPerson(
        ids.next("person"),
        name,
        email,
        "external",
        None,
        title,
        [],
        role="guest",
        organization=org,
        relation=relation,
    )


def _move_some(rng: random.Random, people: list[PPerson], units: list[PUnit], months: int) -> None:
    """About 2 % of the team members (at least two) move to a team of another department at
    the start of a month in the middle of the history."""
    if months < 3:
        return
    teams = [u for u in units if u.level == 3]
    team_ids = {t.id for t in teams}
    movers = [p for p in people if p.role != "admin" and p.email != MEMBER_EMAIL]
    movers = [p for p in movers if p.kind == "member" and p.unit_id in team_ids]
    parent = {u.id: u.parent_id for u in units}
    for person in rng.sample(movers, min(len(movers), max(2, len(movers) // 50))):
        others = [t for t in teams if parent[t.id] != parent[person.unit_id or 0]]
        if not others:
            continue
        to = rng.choice(others).id
        at = rng.randrange(1, months - 1)
        person.units = person.units[:at] + [to] * (months - at)
        person.unit_id = to
