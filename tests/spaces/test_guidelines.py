"""A space's guidelines: owners and moderators (and administrators) write them through the
API and the About tab; new members see them on the space's page until "Got it"; the About tab
always shows them."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from atoll.spaces.models import Space
from tests.factories import access_to, auth_headers, make_person
from tests.web.helpers import csrf_of, sign_in

PANEL = "Got it"


def _another(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A second browser on the same app (its own cookies)."""
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


async def _space(db: AsyncSession, owner: Person, **kw: str) -> Space:
    space = await spaces.do_create_space(
        db, actor=owner, **{"name": "Guild", "kind": "community", "visibility": "open", **kw}
    )
    await db.commit()
    return space


async def test_owners_and_moderators_write_them_others_may_not(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga")
    moderator = await make_person(db, name="Mo")
    member = await make_person(db, name="Mem")
    admin = await make_person(db, name="Ada", role="admin")
    stranger = await make_person(db, name="Stan")
    space = await _space(db, owner)
    secret = await _space(db, owner, name="Hidden", visibility="secret")
    access = await access_to(db, owner, space)
    await space_members.do_add_member(db, access=access, person_id=moderator.id, role="moderator")
    await space_members.do_add_member(db, access=access, person_id=member.id)
    await db.commit()
    url = f"/api/v1/spaces/{space.id}"
    text = "# How we work\n\nBe <script>alert(1)</script> **kind**."
    done = await client.patch(
        url, json={"guidelines": text}, headers=await auth_headers(client, owner)
    )
    assert done.status_code == 200 and done.json()["guidelines"] == text
    by_moderator = await client.patch(
        url, json={"guidelines": "Mods"}, headers=await auth_headers(client, moderator)
    )
    assert by_moderator.status_code == 200
    by_admin = await client.patch(
        url, json={"guidelines": "Admins"}, headers=await auth_headers(client, admin)
    )
    assert by_admin.status_code == 200 and by_admin.json()["guidelines"] == "Admins"
    for person in (member, stranger):
        refused = await client.patch(
            url, json={"guidelines": "Mine"}, headers=await auth_headers(client, person)
        )
        assert refused.status_code == 403, person.name
    hidden = await client.patch(
        f"/api/v1/spaces/{secret.id}",
        json={"guidelines": "x"},
        headers=await auth_headers(client, stranger),
    )
    assert hidden.status_code == 404
    got = await client.get(url, headers=await auth_headers(client, member))
    assert got.json()["guidelines"] == "Admins"


async def test_bad_guidelines_are_refused_by_name(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga")
    space = await _space(db, owner)
    headers = await auth_headers(client, owner)
    url = f"/api/v1/spaces/{space.id}"
    too_long = await client.patch(url, json={"guidelines": "x" * 10_001}, headers=headers)
    assert too_long.status_code == 422 and "guidelines" in too_long.text
    nul = await client.patch(url, json={"guidelines": "a\x00b"}, headers=headers)
    assert nul.status_code == 422
    most = await client.patch(url, json={"guidelines": "y" * 10_000}, headers=headers)
    assert most.status_code == 200


async def test_a_new_member_sees_them_until_got_it_and_the_about_tab_always(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga")
    newcomer = await make_person(db, name="Nina")
    space = await _space(db, owner)
    await sign_in(client, owner.email)
    about = await client.get(f"/spaces/{space.slug}?tab=about")
    assert 'name="guidelines"' in about.text and "No guidelines yet." in about.text
    saved = await client.post(
        f"/spaces/{space.slug}/about",
        data={
            "csrf_token": csrf_of(about.text),
            "name": space.name,
            "description": "",
            "guidelines": "Say **hello** first. <img src=x onerror=alert(1)>",
        },
    )
    assert saved.status_code == 303
    owner_page = await client.get(f"/spaces/{space.slug}")
    assert PANEL not in owner_page.text  # the owner did not join: no panel

    client = _another(client)
    await sign_in(client, newcomer.email)
    page = await client.get(f"/spaces/{space.slug}")
    assert PANEL not in page.text  # not a member yet
    joined = await client.post(
        f"/spaces/{space.slug}/join", data={"csrf_token": csrf_of(page.text)}
    )
    assert joined.status_code == 303
    page = await client.get(f"/spaces/{space.slug}")
    assert "How we work here" in page.text and PANEL in page.text
    assert "<strong>hello</strong>" in page.text and "<img src=x" not in page.text
    got_it = await client.post(
        f"/spaces/{space.slug}/guidelines/dismiss", data={"csrf_token": csrf_of(page.text)}
    )
    assert got_it.status_code == 303
    page = await client.get(f"/spaces/{space.slug}")
    assert PANEL not in page.text
    about = await client.get(f"/spaces/{space.slug}?tab=about")
    assert "<strong>hello</strong>" in about.text and 'name="guidelines"' not in about.text


async def test_an_accepted_request_and_an_invitation_show_them_too(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga")
    asker = await make_person(db, name="Ash")
    invited = await make_person(db, name="Ivy")
    space = await _space(db, owner, visibility="private")
    space.guidelines = "Keep it short."
    await space_members.do_join(db, actor=asker, space=space)
    await db.commit()
    access = await access_to(db, owner, space)
    (request, _), *_ = await space_members.pending_requests(db, access=access)
    await space_members.do_decide_request(db, access=access, request_id=request.id, approve=True)
    await space_members.do_add_member(db, access=access, person_id=invited.id)
    await db.commit()
    for person in (asker, invited):
        headers = await auth_headers(client, person)
        client = _another(client)
        await sign_in(client, person.email)
        page = await client.get(f"/spaces/{space.slug}")
        assert PANEL in page.text and "Keep it short." in page.text, person.name
        dismissed = await client.post(
            f"/api/v1/spaces/{space.id}/guidelines/dismiss", headers=headers
        )
        assert dismissed.status_code == 204
        assert PANEL not in (await client.get(f"/spaces/{space.slug}")).text
