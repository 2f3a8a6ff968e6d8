"""The demo organisation: a company tree, ~40 people with skills, and externals from customer
and partner organisations. Deterministic, so every newcomer sees the same Northwind."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.org import service as org_service
from atoll.org.models import Unit
from atoll.people import service as people_service
from atoll.people.models import Person

COMPANY = "Northwind"
DEMO_PASSWORD = "atoll-demo-2026"
ADMIN_EMAIL = "admin@northwind.example"
MEMBER_EMAIL = "ana.silva@northwind.example"

TREE = {
    "Engineering": {"Platform": ["Core", "Data"], "Product": ["Web", "Mobile"]},
    "Sales": {"EMEA": ["Field", "Inside"], "Americas": ["Field"]},
    "Operations": {"Customer Success": ["Support"], "People": ["Recruiting"]},
}
FIRST = [
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Elif",
    "Femi",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Mateo",
    "Nia",
    "Olek",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Amara",
    "Bruno",
    "Cleo",
    "Dario",
    "Esme",
    "Farid",
    "Gaia",
    "Hugo",
    "Ivy",
    "Jamal",
]
LAST = [
    "Silva",
    "Okafor",
    "Martin",
    "Patel",
    "Yilmaz",
    "Adeyemi",
    "Larsen",
    "Tanaka",
    "Costa",
    "Weber",
    "Demir",
    "Novak",
    "García",
    "Mensah",
    "Kowalski",
    "Rao",
    "Byrne",
    "Rossi",
    "Berg",
    "Haddad",
    "Iyer",
    "Petrov",
    "Zhang",
    "López",
    "Aydın",
    "Fischer",
]
SKILLS = {
    "Engineering": [
        "Python",
        "PostgreSQL",
        "Kubernetes",
        "TypeScript",
        "API design",
        "Security",
        "Data engineering",
        "Accessibility",
        "iOS",
        "Testing",
    ],
    "Sales": ["Negotiation", "Salesforce", "Public sector", "Retail", "Pricing", "German"],
    "Operations": ["Onboarding", "Support tooling", "Recruiting", "Coaching", "SAP", "Spanish"],
}
TITLES = {
    "Engineering": ["Engineer", "Senior engineer", "Designer", "Tester"],
    "Sales": ["Account executive", "Sales engineer"],
    "Operations": ["Specialist", "Coordinator", "Analyst"],
}
EXTERNALS = [
    ("Marta Kühn", "marta@acme.example", "Acme Corp", "customer", "Head of IT"),
    ("Tom Reyes", "tom@acme.example", "Acme Corp", "customer", "Procurement lead"),
    ("Lina Haugen", "lina@beta.example", "Beta Ltd", "partner", "Solutions architect"),
    ("Omar Said", "omar@beta.example", "Beta Ltd", "partner", "Channel manager"),
    ("Sara Blom", "sara@globex.example", "Globex", "customer", "Operations manager"),
]


@dataclass
class DemoResult:
    created: bool
    people: int
    admin_email: str = ADMIN_EMAIL
    member_email: str = MEMBER_EMAIL
    password: str = DEMO_PASSWORD


def _email(first: str, last: str) -> str:
    plain = unicodedata.normalize("NFKD", f"{first}.{last}".replace("ı", "i"))
    return "".join(c for c in plain if c.isascii()).lower() + "@northwind.example"


async def demo_exists(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(Person)))


async def do_create_demo(session: AsyncSession, *, people_per_team: int = 4) -> DemoResult:
    """Create the demo organisation unless people already exist (then change nothing)."""
    if await demo_exists(session):
        count = await session.scalar(select(func.count()).select_from(Person)) or 0
        return DemoResult(created=False, people=count)
    rng = random.Random(2026)
    root = await org_service.do_create_unit(session, actor=None, name=COMPANY)
    teams: list[tuple[Unit, str]] = []
    for division, departments in TREE.items():
        div = await org_service.do_create_unit(
            session, actor=None, name=division, parent_id=root.id
        )
        for department, team_names in departments.items():
            dep = await org_service.do_create_unit(
                session, actor=None, name=department, parent_id=div.id
            )
            for team in team_names:
                unit = await org_service.do_create_unit(
                    session, actor=None, name=team, parent_id=dep.id
                )
                teams.append((unit, division))
    names = [(f, lst) for f in FIRST for lst in LAST]
    rng.shuffle(names)
    names.remove(("Ana", "Silva"))
    names.insert(0, ("Ana", "Silva"))  # the member whose sign-in `make run` prints
    used = 0
    await people_service.do_create_person(
        session,
        actor=None,
        name="Ada Admin",
        email=ADMIN_EMAIL,
        password=DEMO_PASSWORD,
        role="admin",
        unit_id=root.id,
        title="Collaboration lead",
        skills=["Community management"],
    )
    for unit, division in teams:
        for i in range(people_per_team):
            first, last = names[used]
            used += 1
            await people_service.do_create_person(
                session,
                actor=None,
                name=f"{first} {last}",
                email=_email(first, last),
                password=DEMO_PASSWORD,
                unit_id=unit.id,
                title="Team lead" if i == 0 else rng.choice(TITLES[division]),
                skills=rng.sample(SKILLS[division], 3),
            )
    for name, email, org, relation, title in EXTERNALS:
        await people_service.do_create_person(
            session,
            actor=None,
            name=name,
            email=email,
            password=DEMO_PASSWORD,
            kind="external",
            organization=org,
            relation=relation,
            title=title,
        )
    await _create_spaces(session, root=root)
    count = await session.scalar(select(func.count()).select_from(Person)) or 0
    return DemoResult(created=True, people=count)


async def _create_spaces(session: AsyncSession, *, root: Unit) -> None:
    """Team spaces for every department, communities across them, hybrid spaces with the
    customers and partners, a public space and a situation room."""
    from datetime import timedelta

    from atoll.kit.time import utcnow
    from atoll.spaces import service as spaces

    people = {p.email: p for p in (await session.execute(select(Person))).scalars()}
    admin = people[ADMIN_EMAIL]
    departments = (await session.execute(select(Unit).where(Unit.level == 2))).scalars().all()
    for unit in departments:
        await spaces.do_create_space(
            session,
            actor=admin,
            name=f"{unit.name} team",
            kind="unit",
            visibility="open",
            unit_id=unit.id,
            description=f"Everyone in {unit.name}.",
        )
    ana = people[MEMBER_EMAIL]
    members = [p for p in people.values() if p.kind == "member" and p.id != admin.id]
    communities = [
        ("Python Guild", "open", "Everything Python, across teams: tips, code review, talks."),
        ("Customer Stories", "open", "Wins, lessons and quotes from our customers."),
        ("Leadership Circle", "private", "Team leads helping each other."),
    ]
    for name, visibility, description in communities:
        space = await spaces.do_create_space(
            session,
            actor=ana,
            name=name,
            kind="community",
            visibility=visibility,
            description=description,
        )
        for person in members[:: 3 if visibility == "open" else 7]:
            if person.id != ana.id:
                await spaces.do_add_member(session, actor=ana, space=space, person_id=person.id)
    for org in ("Acme Corp", "Beta Ltd"):
        space = await spaces.do_create_space(
            session,
            actor=ana,
            name=f"{org} collaboration",
            kind="hybrid",
            visibility="private",
            description=f"Working together with {org}.",
        )
        for person in [p for p in people.values() if p.organization == org] + members[1:6]:
            await spaces.do_add_member(session, actor=ana, space=space, person_id=person.id)
    await spaces.do_create_space(
        session,
        actor=admin,
        name="Northwind Open House",
        kind="public",
        visibility="open",
        description="News and questions for anyone, signed in or not.",
    )
    await _create_conversations(session, people=people)
    await spaces.do_create_space(
        session,
        actor=ana,
        name="Checkout outage",
        kind="situation",
        visibility="private",
        closes_at=utcnow() + timedelta(days=2),
        member_ids=[p.id for p in members[:4]],
        description="Payment checkout fails for some EU customers.",
    )


async def _create_conversations(session: AsyncSession, *, people: dict[str, Person]) -> None:
    """A few living threads: an update with reactions, a question with an accepted answer, an
    idea with votes, a customer's question in a hybrid space, and news in the public space."""
    from atoll.conversations import service as talk
    from atoll.spaces.models import Membership, Space

    by_slug = {s.slug: s for s in (await session.execute(select(Space))).scalars()}
    members_of: dict[int, list[Person]] = {}
    for space_id, person_id in (
        await session.execute(select(Membership.space_id, Membership.person_id))
    ).tuples():
        members_of.setdefault(space_id, []).append(
            next(p for p in people.values() if p.id == person_id)
        )
    ana, admin = people[MEMBER_EMAIL], people[ADMIN_EMAIL]

    guild = by_slug["python-guild"]
    crew = [p for p in members_of[guild.id] if p.id != ana.id][:4]
    update = await talk.do_create_post(
        session,
        author=ana,
        space=guild,
        body="We moved the build to **Python 3.11** — test runs are 30 % faster. "
        "Thanks to everyone who reviewed the changes!",
    )
    for person in crew:
        await talk.do_react(
            session, actor=person, post=update, space=guild, role="member", emoji="🎉"
        )
    question = await talk.do_create_post(
        session,
        author=crew[0],
        space=guild,
        kind="question",
        body="What do you use to profile async code? `cProfile` shows mostly the event loop.",
    )
    answer = await talk.do_comment(
        session,
        actor=ana,
        post=question,
        space=guild,
        role="owner",
        body="Try **py-spy** with `--idle`, or pyinstrument's async mode: both show the awaits.",
    )
    await talk.do_comment(
        session,
        actor=crew[1],
        post=question,
        space=guild,
        role="member",
        body="+1 for pyinstrument, its HTML report is great.",
        parent_id=answer.id,
    )
    await talk.do_accept(session, actor=crew[0], post=question, space=guild, comment_id=answer.id)
    idea = await talk.do_create_post(
        session,
        author=crew[2],
        space=guild,
        kind="idea",
        body="Monthly lightning talks: 5 minutes each, anyone can present.",
    )
    for person in crew[:3] + [ana]:
        if person.id != crew[2].id:
            await talk.do_vote(session, actor=person, post=idea, space=guild, role="member")

    acme = by_slug["acme-corp-collaboration"]
    marta = people["marta@acme.example"]
    ask = await talk.do_create_post(
        session,
        author=marta,
        space=acme,
        kind="question",
        body="Can we get the Q3 rollout plan before our steering meeting on Friday?",
    )
    await talk.do_comment(
        session,
        actor=ana,
        post=ask,
        space=acme,
        role="owner",
        body="Yes — I will share it here on Thursday, with the migration checklist.",
    )
    await talk.do_create_post(
        session,
        author=admin,
        space=by_slug["northwind-open-house"],
        kind="announcement",
        body="Welcome to Northwind's open house: ask us anything about working here.",
    )
