"""OpenID Connect sign-in against a real OpenID Provider (oidc-provider under Node): the
first sign-in makes the person just in time from the provider's claims, later ones find them;
a verified e-mail links an existing person; the session is the same as a password's."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.identity.models import SsoLink
from atoll.org.models import Unit
from atoll.people.models import AuthSession, Person
from atoll.spaces import service as spaces_service
from atoll.spaces.models import Membership, Space
from tests.factories import make_person, make_unit
from tests.identity.conftest import Configure, OpAgent, callback_path, query_of


async def start(client: httpx.AsyncClient, next_path: str = "/") -> str:
    """Click "Sign in with ...": the provider's authorization URL."""
    answer = await client.get("/auth/oidc/login", params={"next": next_path})
    assert answer.status_code == 303, answer.text
    assert "atoll_oidc" in answer.headers["set-cookie"]
    return answer.headers["location"]


async def sign_in(client: httpx.AsyncClient, op_agent: OpAgent, login: str) -> httpx.Response:
    """The whole round trip: Atoll, the provider's login form, back to Atoll's callback."""
    back = await op_agent.sign_in(await start(client, "/spaces"), login)
    return await client.get(callback_path(back))


async def count(db: AsyncSession, what: object) -> int:
    return int(await db.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]


async def make_space(db: AsyncSession, owner: Person, name: str) -> Space:
    space = await spaces_service.do_create_space(
        db, actor=owner, name=name, kind="community", visibility="private"
    )
    await db.commit()
    return space


async def test_the_login_redirect_carries_pkce_state_and_nonce(
    client: httpx.AsyncClient, oidc: Configure
) -> None:
    query = query_of(await start(client))
    assert query["response_type"] == "code"
    assert query["client_id"] == "atoll-tests"
    assert query["redirect_uri"] == "http://testserver/auth/oidc/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"] and query["nonce"] and query["state"] != query["nonce"]
    assert set(query["scope"].split()) == {"openid", "email", "profile"}


async def test_first_sign_in_creates_the_person_from_the_claims(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    engineering = await make_unit(db, "engineering")
    owner = await make_person(db, role="admin")
    guild = await make_space(db, owner, "SSO Guild")
    design = await make_space(db, owner, "Design review")
    oidc(sso_group_spaces=f"Designers={design.slug}")
    assert guild.slug == "sso-guild"

    answer = await sign_in(client, op_agent, "ana")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/spaces"
    assert "atoll_session=" in answer.headers["set-cookie"]

    me = (await client.get("/api/v1/me")).json()  # the session cookie signs in
    assert (me["email"], me["name"], me["title"]) == (
        "ana.lima@example.com",
        "Ana Lima",
        "Platform engineer",
    )
    ana = await db.scalar(select(Person).where(Person.email == "ana.lima@example.com"))
    assert ana is not None and ana.kind == "member" and ana.password_hash is None
    unit = await db.get(Unit, ana.unit_id)
    assert unit is not None and unit.path == "engineering/Platform"
    assert unit.parent_id == engineering.id  # any case matches
    joined = set(
        (await db.execute(select(Membership.space_id).where(Membership.person_id == ana.id)))
        .scalars()
        .all()
    )
    assert guild.id in joined and design.id not in joined  # Ana is not in Designers

    client.cookies.clear()
    op_agent.http.cookies.clear()  # another person, in another browser
    ben = await sign_in(client, op_agent, "ben")
    assert ben.status_code == 303
    ben_person = await db.scalar(select(Person).where(Person.email == "ben@example.com"))
    assert ben_person is not None and ben_person.name == "Ben Okafor"
    assert await db.get(Membership, (design.id, ben_person.id)) is not None  # by the mapping


async def test_a_second_sign_in_finds_the_same_person(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    await make_unit(db, "Engineering")
    assert (await sign_in(client, op_agent, "ana")).status_code == 303
    client.cookies.clear()  # signed out here; still signed in at the provider
    assert (await sign_in(client, op_agent, "ana")).status_code == 303
    assert await count(db, Person) == 1
    assert await count(db, SsoLink) == 1
    assert await count(db, AuthSession) == 2


async def test_a_verified_email_links_an_existing_person(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    existing = await make_person(db, email="ana.lima@example.com", name="Ana (old)")
    answer = await sign_in(client, op_agent, "ana")
    assert answer.status_code == 303, answer.text
    assert (await client.get("/api/v1/me")).json()["id"] == str(existing.id)
    assert await count(db, Person) == 1
    link = await db.scalar(select(SsoLink))
    assert link is not None and link.person_id == existing.id and link.subject == "ana"


async def test_the_sign_in_page_offers_the_provider_only_when_set_up(
    client: httpx.AsyncClient, oidc: Configure, app: object
) -> None:
    page = await client.get("/sign-in?next=/spaces")
    assert "Sign in with Example SSO" in page.text
    assert 'href="/auth/oidc/login?next=/spaces"' in page.text
    oidc(oidc_issuer="")
    page = await client.get("/sign-in")
    assert "Sign in with" not in page.text
    assert (await client.get("/auth/oidc/login")).status_code == 404


async def test_groups_do_not_join_archived_spaces(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    owner = await make_person(db, role="admin")
    guild = await make_space(db, owner, "SSO Guild")
    access = await spaces_service.access_space(db, viewer=owner, space_id=guild.id)
    await spaces_service.do_archive_space(db, access=access)
    await db.commit()
    assert (await sign_in(client, op_agent, "ana")).status_code == 303
    ana = await db.scalar(select(Person).where(Person.email == "ana.lima@example.com"))
    assert ana is not None
    assert await db.get(Membership, (guild.id, ana.id)) is None
