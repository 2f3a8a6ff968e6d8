"""Space pages: directory, starting a space, tabs, joining and leaving, members, situation rooms."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from atoll.spaces.models import Membership, Space
from tests.factories import access_to, make_person
from tests.web.helpers import asks, confirmation, csrf_of, sign_in


async def _space(db: AsyncSession, owner, **kw):  # type: ignore[no-untyped-def]
    space = await spaces.do_create_space(
        db, actor=owner, **{"kind": "community", "visibility": "open", **kw}
    )
    await db.commit()
    return space


async def test_start_a_community_from_the_form(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    await sign_in(client, ana.email)
    form = await client.get("/spaces/new")
    assert form.status_code == 200 and "Situation room" in form.text
    created = await client.post(
        "/spaces/new",
        data={
            "csrf_token": csrf_of(form.text),
            "name": "Data Guild",
            "kind": "community",
            "visibility": "open",
            "description": "Numbers!",
            "closes_at": "2030-01-01T10:00",
        },
    )
    assert created.status_code == 303 and created.headers["location"] == "/spaces/data-guild"
    page = await client.get("/spaces/data-guild")
    assert page.status_code == 200 and "Data Guild" in page.text and "Leave" in page.text
    nav = re.search(r'<nav class="sidebar".*?</nav>', page.text, re.S)
    assert nav and "Data Guild" in nav.group(0)
    empty = await client.post(
        "/spaces/new", data={"csrf_token": csrf_of(form.text), "name": " ", "kind": "community"}
    )
    assert empty.status_code == 422 and "name" in empty.text


async def test_directory_filters_and_secret_spaces_stay_hidden(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db)
    viewer = await make_person(db)
    await _space(db, owner, name="Open Guild")
    await _space(db, owner, name="Hidden Guild", visibility="secret")
    await _space(db, owner, name="Acme work", kind="hybrid", visibility="private")
    await sign_in(client, viewer.email)
    page = await client.get("/spaces", params={"q": "guild"})
    assert "Open Guild" in page.text and "Hidden Guild" not in page.text
    hybrid = await client.get("/spaces", params={"kind": "hybrid"})
    assert "Acme work" in hybrid.text and "Open Guild" not in hybrid.text
    assert (await client.get("/spaces/hidden-guild")).status_code == 404
    private = await client.get("/spaces/acme-work")
    assert private.status_code == 200 and "Only members can see inside" in private.text
    assert "Ask to join" in private.text


async def test_join_leave_and_requests_through_the_pages(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Owner")
    ben = await make_person(db, name="Ben")
    await _space(db, owner, name="Open One")
    private = await _space(db, owner, name="Closed One", visibility="private")
    await sign_in(client, ben.email)
    token = csrf_of((await client.get("/spaces/open-one")).text)
    joined = await client.post("/spaces/open-one/join", data={"csrf_token": token})
    assert joined.status_code == 303
    assert "Welcome to Open One" in (await client.get(joined.headers["location"])).text
    left = await client.post("/spaces/open-one/leave", data={"csrf_token": token})
    assert left.status_code == 303
    asked = await client.post("/spaces/closed-one/join", data={"csrf_token": token})
    assert "requested=1" in asked.headers["location"]
    assert "Request sent" in (await client.get("/spaces/closed-one")).text

    owner_client = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with owner_client:
        await sign_in(owner_client, owner.email)
        members = await owner_client.get("/spaces/closed-one?tab=members")
        assert "Asking to join" in members.text and "Approve Ben" in members.text
        request_id = re.search(r"/spaces/closed-one/requests/(\d+)", members.text)
        assert request_id
        await owner_client.post(
            f"/spaces/closed-one/requests/{request_id.group(1)}",
            data={"csrf_token": csrf_of(members.text), "decision": "approve"},
        )
    row = await db.get(Membership, (private.id, ben.id))
    assert row is not None and row.role == "member"


async def test_owner_adds_by_email_and_last_owner_cannot_leave(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga")
    cleo = await make_person(db, name="Cleo Novak")
    space = await _space(db, owner, name="Team X")
    await sign_in(client, owner.email)
    page = await client.get("/spaces/team-x?tab=members")
    options = await client.get("/spaces/team-x/suggest", params={"for": "add", "q": "cleo"})
    assert cleo.email in options.text
    added = await client.post(
        "/spaces/team-x/members", data={"csrf_token": csrf_of(page.text), "person": cleo.email}
    )
    assert added.status_code == 303
    assert await db.get(Membership, (space.id, cleo.id)) is not None
    nobody = await client.post(
        "/spaces/team-x/members", data={"csrf_token": csrf_of(page.text), "person": "Nobody Here"}
    )
    assert nobody.status_code == 422 and "nobody called Nobody Here" in nobody.text
    stuck = await client.post("/spaces/team-x/leave", data={"csrf_token": csrf_of(page.text)})
    assert stuck.status_code == 409 and "last owner" in stuck.text


async def test_one_click_situation_room_from_a_profile(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Silva")
    ben = await make_person(db, name="Ben Okafor")
    await sign_in(client, ana.email)
    profile = await client.get(f"/people/{ben.id}")
    assert "Start a situation room with Ben Okafor" in profile.text
    created = await client.post(
        "/spaces/new",
        data={
            "csrf_token": csrf_of(profile.text),
            "kind": "situation",
            "visibility": "private",
            "name": "Ana & Ben",
            "member_ids": str(ben.id),
        },
    )
    assert created.status_code == 303
    room = (await db.execute(select(Space).where(Space.kind == "situation"))).scalar_one()
    assert room.closes_at is not None
    assert await db.get(Membership, (room.id, ben.id)) is not None


async def test_signed_out_visitors_read_public_spaces_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    await _space(db, admin, name="Open House", kind="public")
    await _space(db, admin, name="Inside", kind="community")
    page = await client.get("/spaces/open-house")
    assert page.status_code == 200 and "Sign in to take part" in page.text
    inside = await client.get("/spaces/inside")
    assert inside.status_code == 303 and inside.headers["location"].startswith("/sign-in")
    listing = await client.get("/spaces")
    assert "Open House" in listing.text and "Inside" not in listing.text


async def test_directory_lists_only_my_spaces_on_request(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    ben = await make_person(db)
    await _space(db, ana, name="Ana's space")
    await _space(db, ben, name="Ben's space")
    await sign_in(client, ana.email)
    everything = await client.get("/spaces")
    assert "Ana&#39;s space" in everything.text and "Ben&#39;s space" in everything.text
    mine = await client.get("/spaces", params={"mine": "true"})
    assert "Ana&#39;s space" in mine.text and "Ben&#39;s space" not in mine.text


async def test_a_nul_in_a_space_address_is_simply_not_found(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await make_person(db, email="nul@example.com", password="pw-123456789")
    await db.commit()
    assert (await client.get("/spaces/a%00b")).status_code in (302, 303, 401)
    await sign_in(client, "nul@example.com", "pw-123456789")
    response = await client.get("/spaces/a%00b")
    assert response.status_code == 404
    assert "No such space" in response.text


async def test_adding_a_new_organisation_to_a_hybrid_space_asks_first(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga Owner")
    marta = await make_person(db, name="Marta", kind="external", organization="Acme Corp")
    lina = await make_person(db, name="Lina Haugen", kind="external", organization="Beta Ltd")
    lina_id = lina.id
    space = await _space(db, owner, name="Acme project", kind="hybrid", visibility="private")
    space_id = space.id
    await space_members.do_add_member(
        db, access=await access_to(db, owner, space), person_id=marta.id
    )
    await db.commit()
    await sign_in(client, owner.email)
    page = await client.get("/spaces/acme-project?tab=members")
    token = csrf_of(page.text)

    asked = await client.post(
        "/spaces/acme-project/members", data={"csrf_token": token, "person": lina.email}
    )
    assert asked.status_code == 200
    assert "Bring Beta Ltd into Acme project?" in asked.text
    assert (
        "Yes, add Beta Ltd — they will read the whole history, including what was written "
        "with Acme Corp" in asked.text
    )
    assert await db.get(Membership, (space_id, lina_id)) is None
    confirm = re.search(r'name="confirm_new_organization" value="yes"', asked.text)
    assert confirm and f'name="person" value="{lina.email}"' in asked.text

    added = await client.post(
        "/spaces/acme-project/members",
        data={
            "csrf_token": csrf_of(asked.text),
            "person": lina.email,
            "role": "member",
            "confirm_new_organization": "yes",
        },
    )
    assert added.status_code == 303
    assert await db.get(Membership, (space_id, lina_id)) is not None
    # Every organisation is named: in the space's header and in the composer's audience line.
    posts = await client.get("/spaces/acme-project")
    assert "Hybrid space with Acme Corp, Beta Ltd" in posts.text
    assert "2 external from Acme Corp, Beta Ltd" in posts.text


# --- archiving, leaving and removing someone ask first -----------------------------------------


async def test_archiving_asks_first_and_says_the_space_becomes_read_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    olga = await make_person(db, name="Olga")
    ben = await make_person(db, name="Ben")
    space = await _space(db, olga, name="Data & Co")
    await space_members.do_add_member(db, access=await access_to(db, olga, space), person_id=ben.id)
    await db.commit()
    await sign_in(client, olga.email)
    about = await client.get(f"/spaces/{space.slug}?tab=about")
    action = f"/spaces/{space.slug}/archive"
    assert f'method="post" action="{action}"' not in about.text  # no one-click archive
    button = asks(about.text)[action]

    confirm = await client.get(action)
    assert confirm.status_code == 200
    asked = confirmation(confirm.text)
    assert asked["question"] == button["question"] == "Archive Data & Co?"
    assert asked["detail"] == button["detail"]
    assert asked["detail"].startswith(
        "The space becomes read-only: nobody can post, comment, react, edit its wiki or join it "
        "any more"
    )
    assert asked["detail"].endswith("can bring it back (unarchive) later.")
    assert (asked["confirm"], asked["back"]) == ("Archive the space", f"{action[:-8]}?tab=about")
    await db.refresh(space)
    assert space.archived_at is None  # asking changed nothing

    done = await client.post(action, data={"csrf_token": asked["csrf"]})
    assert done.status_code == 303
    await db.refresh(space)
    assert space.archived_at is not None
    again = await client.get(action)  # nothing left to ask
    assert again.status_code == 303 and again.headers["location"].endswith("?tab=about")


async def test_leaving_asks_first_and_says_how_to_come_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    olga = await make_person(db, name="Olga")
    ben = await make_person(db, name="Ben")
    wanted = {
        "open": "You can still read it, as everyone in the organisation can, and join it again "
        "at any time.",
        "private": "Only its members can read it: to come back, you would have to ask to join "
        "and wait for an owner or moderator to say yes.",
        "secret": "It is secret: you will no longer see it, nor know that it exists, unless an "
        "owner or moderator adds you again.",
    }
    for visibility in wanted:
        space = await _space(db, olga, name=f"{visibility.title()} Guild", visibility=visibility)
        await space_members.do_add_member(
            db, access=await access_to(db, olga, space), person_id=ben.id
        )
    await db.commit()
    await sign_in(client, ben.email)
    for visibility, after in wanted.items():
        slug = f"{visibility}-guild"
        page = await client.get(f"/spaces/{slug}")
        button = asks(page.text)[f"/spaces/{slug}/leave"]
        confirm = await client.get(f"/spaces/{slug}/leave")
        assert confirm.status_code == 200
        asked = confirmation(confirm.text)
        assert asked["question"] == button["question"] == f"Leave {visibility.title()} Guild?"
        assert (
            asked["detail"]
            == button["detail"]
            == (f"Its posts will no longer come to your feed. {after}")
        )
        assert (asked["confirm"], asked["back"]) == ("Leave the space", f"/spaces/{slug}")
    left = await client.post("/spaces/secret-guild/leave", data={"csrf_token": asked["csrf"]})
    assert left.status_code == 303
    assert (await client.get("/spaces/secret-guild/leave")).status_code == 404  # secret now

    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as own:
        await sign_in(own, olga.email)
        token = csrf_of((await own.get("/spaces/open-guild")).text)
        last = await own.get("/spaces/open-guild/leave")  # the last owner: the action's answer
        assert last.status_code == 409 and "last owner" in last.text
        assert (
            await own.post("/spaces/open-guild/leave", data={"csrf_token": token})
        ).status_code == 409
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as by:
        stranger = await make_person(db, name="Sam")
        await sign_in(by, stranger.email)
        token = csrf_of((await by.get("/spaces/open-guild")).text)
        assert (await by.get("/spaces/open-guild/leave")).status_code == 404  # not a member
        assert (
            await by.post("/spaces/open-guild/leave", data={"csrf_token": token})
        ).status_code == 404


async def test_removing_someone_asks_first_and_only_managers_are_asked(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    olga = await make_person(db, name="Olga")
    ben = await make_person(db, name="Ben Okafor")
    cleo = await make_person(db, name="Cleo")
    space = await _space(db, olga, name="Closed Guild", visibility="private")
    for person in (ben, cleo):
        await space_members.do_add_member(
            db, access=await access_to(db, olga, space), person_id=person.id
        )
    await space_members.do_add_member(
        db, access=await access_to(db, olga, space), person_id=ben.id, role="moderator"
    )
    secret = await _space(db, olga, name="Hush", visibility="secret")
    await space_members.do_add_member(
        db, access=await access_to(db, olga, secret), person_id=ben.id
    )
    await db.commit()
    await sign_in(client, olga.email)
    members = await client.get("/spaces/closed-guild?tab=members")
    action = f"/spaces/closed-guild/members/{ben.id}/remove"
    assert f'method="post" action="{action}"' not in members.text
    button = asks(members.text)[action]
    confirm = await client.get(action)
    assert confirm.status_code == 200
    asked = confirmation(confirm.text)
    assert asked["question"] == button["question"] == "Remove Ben Okafor from Closed Guild?"
    assert (
        asked["detail"]
        == button["detail"]
        == (
            "Ben Okafor will no longer be a member or moderator. Only its members can read it: to "
            "come back, they would have to ask to join and wait for an owner or moderator to say "
            "yes. You can add them again from the Members tab."
        )
    )
    assert (asked["confirm"], asked["back"]) == (
        "Remove Ben Okafor",
        "/spaces/closed-guild?tab=members",
    )
    assert await db.get(Membership, (space.id, ben.id)) is not None  # asking changed nothing
    done = await client.post(action, data={"csrf_token": asked["csrf"]})
    assert done.status_code == 303
    left = select(Membership).where(Membership.space_id == space.id, Membership.person_id == ben.id)
    assert (await db.execute(left)).scalar_one_or_none() is None

    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as by:
        await sign_in(by, cleo.email)  # a plain member may not remove anyone: 403 both ways
        token = csrf_of((await by.get("/spaces/closed-guild")).text)
        path = f"/spaces/closed-guild/members/{olga.id}/remove"
        assert (await by.get(path)).status_code == 403
        assert (await by.post(path, data={"csrf_token": token})).status_code == 403
        path = f"/spaces/hush/members/{ben.id}/remove"  # a secret space she is not in: 404
        assert (await by.get(path)).status_code == 404
        assert (await by.post(path, data={"csrf_token": token})).status_code == 404
