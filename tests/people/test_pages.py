"""Sign-in, sessions, CSRF and the people pages, through the HTML face."""

from __future__ import annotations

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.people.models import AuthSession, Person
from tests.factories import make_person, make_unit
from tests.people.helpers import access_of, assert_lost_internal_access, build_world, newest_event
from tests.web.helpers import csrf_of, sign_in


async def test_sign_in_sets_a_safe_session_cookie(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Silva")
    response = await sign_in(client, ana.email)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("atoll_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = await client.get("/")
    assert home.status_code == 200 and "Welcome, Ana Silva" in home.text


async def test_wrong_password_says_so_clearly(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db)
    response = await sign_in(client, ana.email, "not the password")
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text
    assert "atoll_session" not in client.cookies


async def test_sign_in_form_needs_its_csrf_token(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in", data={"csrf_token": "0" * 64, "email": ana.email, "password": "x" * 10}
    )
    assert response.status_code == 403
    assert "expired" in response.text


async def test_sign_in_rotates_the_session(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db)
    ben = await make_person(db)
    await sign_in(client, ana.email)
    first = client.cookies["atoll_session"]
    page = await client.get("/sign-in?next=/people")
    assert page.status_code == 303  # already signed in
    form = await client.get("/people")
    await client.post(
        "/sign-in",
        data={
            "csrf_token": csrf_of(form.text),
            "email": ben.email,
            "password": "correct horse battery",
        },
    )
    assert client.cookies["atoll_session"] != first
    rows = (await db.execute(select(AuthSession).order_by(AuthSession.id))).scalars().all()
    assert rows[0].revoked_at is not None and rows[1].revoked_at is None


async def test_sign_out_revokes_the_session(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db)
    await sign_in(client, ana.email)
    stolen = client.cookies["atoll_session"]
    home = await client.get("/")
    out = await client.post("/sign-out", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303 and out.headers["location"].startswith("/sign-in")
    client.cookies.set("atoll_session", stolen)  # a copied cookie must not work any more
    again = await client.get("/")
    assert again.status_code == 303 and again.headers["location"].startswith("/sign-in")


async def test_cookie_api_calls_need_the_csrf_header(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    await sign_in(client, ana.email)
    assert (await client.get("/api/v1/me")).status_code == 200
    body = {"title": "Designer"}
    refused = await client.patch(f"/api/v1/people/{ana.id}", json=body)
    assert refused.status_code == 403
    token = csrf_of((await client.get("/")).text)
    allowed = await client.patch(
        f"/api/v1/people/{ana.id}", json=body, headers={"X-CSRF-Token": token}
    )
    assert allowed.status_code == 200 and allowed.json()["title"] == "Designer"


async def test_pages_need_a_session(client: httpx.AsyncClient, db: AsyncSession) -> None:
    for path in ("/", "/people", "/units", "/admin/people"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in")


async def test_sign_in_only_redirects_locally(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db)
    page = await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={
            "csrf_token": csrf_of(page.text),
            "email": ana.email,
            "password": "correct horse battery",
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/"


async def test_edit_profile_through_the_form(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana Silva")
    ben = await make_person(db, name="Ben")
    await sign_in(client, ana.email)
    form = await client.get(f"/people/{ana.id}/edit")
    assert form.status_code == 200
    saved = await client.post(
        f"/people/{ana.id}/edit",
        data={
            "csrf_token": csrf_of(form.text),
            "name": "Ana Silva",
            "title": "Designer",
            "bio": "Hello <script>alert(1)</script>",
            "skills": "UX, Figma,  ",
        },
    )
    assert saved.status_code == 303
    profile = await client.get(f"/people/{ana.id}")
    assert "Designer" in profile.text and "Figma" in profile.text
    assert "<script>alert(1)</script>" not in profile.text  # autoescaped
    empty = await client.post(
        f"/people/{ana.id}/edit",
        data={
            "csrf_token": csrf_of(form.text),
            "name": "  ",
            "title": "",
            "bio": "",
            "skills": "",
        },
    )
    assert empty.status_code == 422 and "name" in empty.text
    person = await db.get(Person, ana.id)
    await db.refresh(person)
    assert person is not None and person.name == "Ana Silva" and person.title == "Designer"
    other = await client.get(f"/people/{ben.id}/edit")
    assert other.status_code == 403


async def test_directory_and_profile_pages(client: httpx.AsyncClient, db: AsyncSession) -> None:
    sales = await make_unit(db, "Sales")
    ana = await make_person(db, name="Ana Silva", unit_id=sales.id, skills=["Negotiation"])
    await make_person(
        db, name="Marta Kühn", kind="external", organization="Acme Corp", relation="customer"
    )
    await sign_in(client, ana.email)
    page = await client.get("/people", params={"q": "marta"})
    assert "<strong>Marta Kühn</strong>" in page.text and "Acme Corp" in page.text
    assert "<strong>Ana Silva</strong>" not in page.text
    page = await client.get("/people", params={"skill": "negotiation"})
    assert "<strong>Ana Silva</strong>" in page.text and "Marta" not in page.text
    profile = await client.get(f"/people/{ana.id}")
    assert "Company › Sales" in profile.text


async def test_admin_pages_are_for_admins(client: httpx.AsyncClient, db: AsyncSession) -> None:
    member = await make_person(db)
    await sign_in(client, member.email)
    for path in ("/admin/people", "/admin/units", "/admin/import"):
        assert (await client.get(path)).status_code == 403, path


async def test_admin_adds_a_person_and_resets_a_password(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    await sign_in(client, admin.email)
    page = await client.get("/admin/people")
    token = csrf_of(page.text)
    added = await client.post(
        "/admin/people",
        data={
            "csrf_token": token,
            "name": "New Colleague",
            "email": "new@example.com",
            "kind": "member",
            "role": "",
            "unit_id": "",
            "password": "",
            "title": "Analyst",
        },
    )
    assert added.status_code == 303
    new = (await db.execute(select(Person).where(Person.email == "new@example.com"))).scalar_one()
    dup = await client.post(
        "/admin/people",
        data={
            "csrf_token": token,
            "name": "Again",
            "email": "new@example.com",
            "kind": "member",
        },
    )
    assert dup.status_code == 409 and "already" in dup.text
    reset = await client.post(
        f"/admin/people/{new.id}",
        data={
            "csrf_token": token,
            "action": "password",
            "password": "fresh password 1",
        },
    )
    assert reset.status_code == 303
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        assert (await sign_in(other, "new@example.com", "fresh password 1")).status_code == 303


async def test_admin_import_preview_then_confirm(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    await sign_in(client, admin.email)
    token = csrf_of((await client.get("/admin/import")).text)
    csv = "email,name,title,unit_path,kind,organization,relation\nz@example.com,Zoe,,Ops,member,,\n"
    preview = await client.post(
        "/admin/import", data={"csrf_token": token}, files={"file": ("org.csv", csv, "text/csv")}
    )
    assert preview.status_code == 200 and "Apply this import" in preview.text
    assert (await db.execute(select(Person).where(Person.email == "z@example.com"))).first() is None
    import re

    upload = re.search(r'name="token" value="([^"]+)"', preview.text)
    assert upload
    done = await client.post(
        "/admin/import/confirm", data={"csrf_token": token, "token": upload.group(1)}
    )
    assert done.status_code == 200 and "Imported" in done.text
    assert (
        await db.execute(select(Person).where(Person.email == "z@example.com"))
    ).first() is not None
    again = await client.post(
        "/admin/import/confirm", data={"csrf_token": token, "token": upload.group(1)}
    )
    assert again.status_code == 404 and "expired" in again.text  # the preview is spent
    bad = await client.post(
        "/admin/import",
        data={"csrf_token": token},
        files={"file": ("org.csv", csv + "broken,,,,member,,\n", "text/csv")},
    )
    assert (
        bad.status_code == 422 and "Nothing was imported" in bad.text and "<td>3</td>" in bad.text
    )


async def test_cookies_are_secure_behind_https(app, db: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    ana = await make_person(db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://atoll.example") as client:
        response = await sign_in(client, ana.email)
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("atoll_session=")
    )
    assert "Secure" in cookie


async def test_sign_out_everywhere_else(client: httpx.AsyncClient, app, db: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    ana = await make_person(db)
    token_headers = {
        "Authorization": "Bearer "
        + (
            await client.post(
                "/api/v1/auth/token", json={"email": ana.email, "password": "correct horse battery"}
            )
        ).json()["access_token"]
    }
    await sign_in(client, ana.email)
    page = await client.get("/account/sessions")
    assert page.status_code == 200 and "API token" in page.text and "this one" in page.text
    done = await client.post(
        "/account/sessions/revoke-others", data={"csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 303
    assert (await client.get("/api/v1/me", headers=token_headers)).status_code == 401
    assert (await client.get("/")).status_code == 200


async def test_a_nul_character_in_a_form_is_refused_clearly(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    await sign_in(client, ana.email)
    form = await client.get(f"/people/{ana.id}/edit")
    response = await client.post(
        f"/people/{ana.id}/edit",
        data={
            "csrf_token": csrf_of(form.text),
            "name": "A\x00na",
            "title": "",
            "bio": "",
            "skills": "",
        },
    )
    assert response.status_code == 422 and "NUL" in response.text


async def test_admin_makes_a_member_external_on_people_and_roles(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    world = await build_world(db)
    since = await newest_event(db)
    await sign_in(client, world.admin.email)
    page = await client.get("/admin/people", params={"q": world.ana.email})
    assert f"Make {world.ana.name} external" in page.text
    done = await client.post(
        f"/admin/people/{world.ana.id}",
        data={
            "csrf_token": csrf_of(page.text),
            "action": "kind",
            "kind": "external",
            "organization": "Ana Consulting",
            "relation": "partner",
        },
    )
    assert done.status_code == 303, done.text
    await assert_lost_internal_access(db, world, since)
    page = await client.get("/admin/people", params={"q": world.ana.email})
    assert f"Make {world.ana.name} a member" in page.text

    # Without an organisation the form says what is missing, and nothing changes.
    refused = await client.post(
        f"/admin/people/{world.ben.id}",
        data={"csrf_token": csrf_of(page.text), "action": "kind", "kind": "external"},
    )
    assert refused.status_code == 422 and "organization" in refused.text
    assert (await access_of(db, world.ben.id)).kind == "member"


async def test_admin_makes_an_external_a_member_of_a_unit_on_people_and_roles(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    world = await build_world(db)
    await sign_in(client, world.admin.email)
    page = await client.get("/admin/people", params={"q": world.marta.email})
    done = await client.post(
        f"/admin/people/{world.marta.id}",
        data={
            "csrf_token": csrf_of(page.text),
            "action": "kind",
            "kind": "member",
            "unit_id": str(world.sales_id),
        },
    )
    assert done.status_code == 303, done.text
    marta = await access_of(db, world.marta.id)
    assert (marta.kind, marta.role, marta.unit_id) == ("member", "member", world.sales_id)
    assert marta.memberships == {"Acme project": "member", "Sales team": "member"}


async def test_people_and_roles_shows_and_removes_a_guests_analyst_permission(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    gus = await make_person(db, name="Gus Guest", kind="external")
    gus_id = gus.id
    # as an earlier version left a member made external by an import
    await db.execute(update(Person).where(Person.id == gus_id).values(is_analyst=True))
    await db.commit()
    await sign_in(client, admin.email)
    page = await client.get("/admin/people", params={"q": "gus"})
    assert "Take analytics away from Gus Guest" in page.text
    assert "Let Gus Guest open analytics" not in page.text
    done = await client.post(
        f"/admin/people/{gus_id}",
        data={"csrf_token": csrf_of(page.text), "action": "analyst", "analyst": "no"},
    )
    assert done.status_code == 303
    assert (await access_of(db, gus_id)).is_analyst is False
    page = await client.get("/admin/people", params={"q": "gus"})
    assert "Take analytics away from Gus Guest" not in page.text
    assert "Let Gus Guest open analytics" not in page.text  # guests cannot get it


async def test_a_guest_sees_no_unit_path_and_cannot_filter_people_by_unit(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    world = await build_world(db)
    await sign_in(client, world.marta.email)
    profile = await client.get(f"/people/{world.ben.id}")
    assert profile.status_code == 200 and world.ben.name in profile.text
    assert "Sales" not in profile.text
    # A unit filter typed into the address is ignored: it must not tell who sits where.
    everyone = await client.get("/people")
    in_sales = await client.get("/people", params={"unit": str(world.sales_id)})
    assert in_sales.status_code == 200
    assert world.ben.name in in_sales.text and world.marta.name in in_sales.text
    assert in_sales.text.count('class="person"') == everyone.text.count('class="person"')
    assert 'name="unit"' not in in_sales.text

    await client.post("/sign-out", data={"csrf_token": csrf_of(everyone.text)})
    await sign_in(client, world.dora.email)  # a member sees the unit path
    profile = await client.get(f"/people/{world.ben.id}")
    assert "Company › Sales" in profile.text
