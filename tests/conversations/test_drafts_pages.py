"""The composer's comforts on the pages: a saved draft rendered back into it (home and space),
"Posted · Undo" after posting (plain forms and htmx), the preview that shows the post's card
as readers will see it, and the history of an edited post."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import service
from atoll.conversations.models import Draft, Post
from atoll.kit.time import as_utc
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from tests.factories import access_to, make_person
from tests.web.helpers import csrf_of, sign_in

HTMX = {"HX-Request": "true"}
META_CSRF = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


async def _space(db: AsyncSession, owner, *members, **kw):  # type: ignore[no-untyped-def]
    space = await spaces.do_create_space(
        db, actor=owner, **{"kind": "community", "visibility": "open", "name": "Guild", **kw}
    )
    for m in members:
        await space_members.do_add_member(
            db, access=await access_to(db, owner, space), person_id=m.id
        )
    await db.commit()
    return space


def _composer(page: str) -> str:
    return page.split('id="composer"', 1)[1].split("</form>", 1)[0]


async def test_the_composer_saves_through_the_api_and_renders_the_draft_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    first = await _space(db, ana, name="Alpha")
    second = await _space(db, ana, name="Beta")
    await sign_in(client, ana.email)
    home = await client.get("/")
    token = META_CSRF.search(home.text)[1]  # type: ignore[index]
    # What atoll.js sends: the session cookie and the page's CSRF token in X-CSRF-Token.
    url = f"/api/v1/spaces/{first.id}/draft"
    assert (await client.put(url, json={"body": "no token"})).status_code == 403
    saved = await client.put(
        url, json={"body": "Alpha <draft>", "kind": "idea"}, headers={"X-CSRF-Token": token}
    )
    assert saved.status_code == 200, saved.text

    space_page = _composer((await client.get(f"/spaces/{first.slug}")).text)
    assert "Alpha &lt;draft&gt;</textarea>" in space_page
    assert 'value="idea" checked' in space_page and "Your draft is back" in space_page
    assert "Your draft is back" not in _composer((await client.get(f"/spaces/{second.slug}")).text)

    # Home: the most recent draft, with its space chosen.
    await client.put(
        f"/api/v1/spaces/{second.id}/draft",
        json={"body": "Beta draft"},
        headers={"X-CSRF-Token": token},
    )
    composer = _composer((await client.get("/")).text)
    assert "Beta draft</textarea>" in composer
    assert f'<option value="{second.id}" selected>' in composer
    assert f'data-draft-space="{second.id}"' in composer


async def test_post_then_undo_without_javascript(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    space = await _space(db, ana)
    await sign_in(client, ana.email)
    page = await client.get(f"/spaces/{space.slug}?tab=questions")
    posted = await client.post(
        "/posts",
        data={
            "csrf_token": csrf_of(page.text),
            "space_id": str(space.id),
            "kind": "question",
            "body": "Who has the key?",
        },
        headers={"Referer": f"http://testserver/spaces/{space.slug}?tab=questions&deleted=3"},
    )
    assert posted.status_code == 303
    post = (await db.execute(select(Post))).scalar_one()
    landing = posted.headers["location"]
    assert landing == f"/spaces/{space.slug}?tab=questions&posted={post.id}#posts"
    shown = await client.get(landing.split("#")[0])
    assert "Posted" in shown.text and f'action="/posts/{post.id}/undo"' in shown.text
    assert 'data-undo-seconds="' in shown.text

    undone = await client.post(
        f"/posts/{post.id}/undo", data={"csrf_token": csrf_of(shown.text), "composer": "space"}
    )
    assert undone.status_code == 303
    assert undone.headers["location"] == f"/spaces/{space.slug}?undone=1#composer"
    back = await client.get(f"/spaces/{space.slug}?undone=1")
    assert "Post taken back" in back.text
    assert "Who has the key?</textarea>" in _composer(back.text)
    assert 'value="question" checked' in _composer(back.text)
    assert f'id="post-{post.id}"' not in back.text
    # Someone else's post id, or a late one, offers nothing.
    assert "/undo" not in (await client.get(f"/spaces/{space.slug}?posted={post.id}")).text


async def test_undo_from_home_with_htmx_and_too_late(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    space = await _space(db, ana, name="Crew")
    await sign_in(client, ana.email)
    home = await client.get("/")
    token = csrf_of(home.text)
    posted = await client.post(
        "/posts",
        data={"csrf_token": token, "space_id": str(space.id), "body": "Lunch at noon"},
        headers={"Referer": "http://testserver/?filter=all"},
    )
    post = (await db.execute(select(Post))).scalar_one()
    assert posted.headers["location"] == f"/?filter=all&posted={post.id}#posts"
    landing = await client.get(f"/?posted={post.id}")
    assert 'name="composer" value="home"' in landing.text

    undone = await client.post(
        f"/posts/{post.id}/undo", data={"csrf_token": token, "composer": "home"}, headers=HTMX
    )
    assert undone.status_code == 200
    assert json.loads(undone.headers["hx-trigger"]) == {"atoll:undone": {"post_id": str(post.id)}}
    assert "Lunch at noon</textarea>" in _composer(undone.text)
    assert 'hx-swap-oob="outerHTML"' in undone.text and "Post taken back" in undone.text
    draft = (await db.execute(select(Draft))).scalar_one()
    assert (draft.person_id, draft.space_id, draft.body) == (ana.id, space.id, "Lunch at noon")

    # Posted again, a minute ago: too late, said in place of the note (and on a page).
    await client.post(
        "/posts", data={"csrf_token": token, "space_id": str(space.id), "body": "Lunch at one"}
    )
    again = (await db.execute(select(Post).where(Post.deleted_at.is_(None)))).scalar_one()
    await db.execute(
        update(Post)
        .where(Post.id == again.id)
        .values(created_at=as_utc(again.created_at) - timedelta(minutes=1))
    )
    await db.commit()
    late = await client.post(
        f"/posts/{again.id}/undo", data={"csrf_token": token, "composer": "home"}, headers=HTMX
    )
    assert late.status_code == 200 and late.headers["hx-retarget"] == "#posted-note"
    assert "too late" in late.text and 'role="alert"' in late.text
    plain = await client.post(f"/posts/{again.id}/undo", data={"csrf_token": token})
    assert plain.status_code == 409 and "edit or delete" in plain.text
    assert "/undo" not in (await client.get(f"/?posted={again.id}")).text


async def test_the_preview_shows_the_card_readers_will_see(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Silva")
    ben = await make_person(db, name="Ben Okafor")
    guest = await make_person(db, name="Gus", kind="external")
    outsider = await make_person(db, name="Zed")
    space = await _space(db, ana, ben, guest, name="Deal room", kind="hybrid", visibility="private")
    await sign_in(client, ana.email)
    token = csrf_of((await client.get("/")).text)
    shown = await client.post(
        "/compose/preview",
        data={
            "csrf_token": token,
            "space_id": str(space.id),
            "kind": "question",
            "body": "Ready, @Ben Okafor? **Soon** <script>x()</script>",
        },
        headers=HTMX,
    )
    assert shown.status_code == 200
    page = shown.text
    assert "Preview" in page and "not posted yet" in page
    assert 'class="card post post-question post-preview"' in page
    assert "Ana Silva" in page and "Question" in page and "Deal room" in page
    assert f'href="/people/{ben.id}"' in page and "<strong>Soon</strong>" in page
    assert "<script>" not in page
    assert "Visible to 3 people: 2 internal, 1 external from Acme Corp" in page
    assert 'id="preview-audience"' in page
    for action in ("comment", "Report", "react", "/posts/"):
        assert action not in page.split("<article", 1)[1].split("</article>", 1)[0]

    refused = await client.post(
        "/compose/preview",
        data={"csrf_token": token, "space_id": str(space.id), "body": f"Hi @[{outsider.id}]"},
        headers=HTMX,
    )
    assert refused.status_code == 200 and "would be refused" in refused.text
    assert 'value="' not in refused.text  # a card, not a form
    empty = await client.post(
        "/compose/preview", data={"csrf_token": token, "space_id": str(space.id), "body": " "}
    )
    assert "Nothing to preview yet." in empty.text
    assert (await db.execute(select(Post))).first() is None  # nothing was posted


async def test_an_edited_post_says_so_and_keeps_its_versions(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await _space(db, ana, ben)
    post = await service.do_create_post(db, author=ana, space=space, body="First words")
    access = await access_to(db, ana, space)
    await service.do_edit_post(db, access=access, post=post, body="Second words")
    await service.do_edit_post(db, access=access, post=post, body="Third words")
    await db.commit()
    await sign_in(client, ben.email)
    thread = await client.get(f"/posts/{post.id}")
    assert f'href="/posts/{post.id}/history" class="muted">edited</a>' in thread.text
    history = (await client.get(f"/posts/{post.id}/history")).text
    assert history.index("Third words") < history.index("Second words")
    assert history.index("Second words") < history.index("First words")
    assert "Now" in history and "· edited" in history and history.count("Written") == 2
    assert "by Ana" in history
