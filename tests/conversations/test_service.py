"""The conversation services as the pages call them: views, mentions, Markdown safety."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import feed, mentions, reactions, service
from atoll.conversations.attachments import detect_type
from atoll.kit.errors import Conflict, Forbidden, Invalid, NotFound
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces_service
from tests.factories import access_to, make_person
from tests.kit.test_markdown import PAYLOADS


async def _space(db: AsyncSession, owner: Person, **kw: object):  # type: ignore[no-untyped-def]
    space = await spaces_service.do_create_space(
        db,
        actor=owner,
        name=str(kw.pop("name", "Guild")),
        kind=str(kw.pop("kind", "community")),
        visibility=str(kw.pop("visibility", "open")),
    )
    await db.commit()
    return space


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


async def test_post_html_survives_the_xss_corpus(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana Lima")
    space = await _space(db, ana)
    for payload in PAYLOADS + [f"@[{ana.id}] <img src=x onerror=alert(1)>"]:
        post = await service.do_create_post(db, author=ana, space=space, body=payload)
        comment = await service.do_comment(
            db, access=await access_to(db, ana, space), post=post, body=payload
        )
        for html in (post.html, comment.html):
            parser = _Elements()
            parser.feed(html)
            for tag, attrs in parser.found:
                assert tag not in {"script", "iframe", "svg", "object", "embed", "style"}, html
                assert not any(name.startswith("on") for name in attrs), html
                for name in ("href", "src"):
                    value = "".join(attrs.get(name, "").split()).lower()
                    assert not value.startswith(("javascript:", "data:", "vbscript:")), html
    await db.rollback()


async def test_a_name_with_markdown_in_it_cannot_break_out(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    evil = await make_person(db, name="x](javascript:alert(1)) <b>")
    space = await _space(db, ana)
    post = await service.do_create_post(db, author=ana, space=space, body=f"Hi @[{evil.id}]")
    assert "javascript" not in post.html.split('href="')[1].split('"')[0]
    assert f'href="/people/{evil.id}"' in post.html and "<b>" not in post.html
    await db.rollback()


async def test_views_carry_what_pages_need(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await make_person(db, name="Olga")
    member = await make_person(db, name="Max")
    guest = await make_person(db, name="Gus", kind="external")
    space = await _space(db, owner, name="Hybrid", kind="hybrid", visibility="private")
    await space_members.do_add_member(
        db, access=await access_to(db, owner, space), person_id=member.id
    )
    await space_members.do_add_member(
        db, access=await access_to(db, owner, space), person_id=guest.id
    )
    question = await service.do_create_post(
        db, author=member, space=space, body="How?", kind="question"
    )
    answer = await service.do_comment(
        db, access=await access_to(db, guest, space), post=question, body="Thus"
    )
    await service.do_comment(
        db,
        access=await access_to(db, owner, space),
        post=question,
        body="Agreed",
        parent_id=answer.id,
    )
    await reactions.do_accept(
        db, access=await access_to(db, member, space), post=question, comment_id=answer.id
    )
    await reactions.do_react(
        db, access=await access_to(db, owner, space), post=question, emoji="👍"
    )
    await db.commit()

    view = await feed.post_thread(db, viewer=member, post_id=question.id)
    assert view.author.name == "Max" and view.space.name == "Hybrid" and view.role == "member"
    assert view.reactions == {"👍": 1} and view.my_reactions == []
    assert view.can_edit and view.can_delete and view.can_accept and view.can_participate
    assert not view.can_moderate  # not an idea
    assert view.accepted is not None and view.accepted.author.organization == "Acme Corp"
    [top] = view.comments
    assert top.accepted and [r.comment.body for r in top.replies] == ["Agreed"]
    assert top.can_reply and not top.can_edit and not top.can_delete
    as_owner = await feed.post_thread(db, viewer=owner, post_id=question.id)
    assert as_owner.my_reactions == ["👍"] and as_owner.can_delete and not as_owner.can_edit
    assert as_owner.comments[0].can_delete
    views, cursor = await feed.space_posts(db, viewer=guest, space=space)
    assert [v.post.id for v in views] == [question.id] and cursor is None
    feed_views, _ = await feed.feed_for(db, viewer=guest, filter="questions")
    assert [v.post.id for v in feed_views] == [question.id]


async def test_service_checks(db: AsyncSession) -> None:
    owner = await make_person(db)
    reader = await make_person(db)
    space = await _space(db, owner)
    post = await service.do_create_post(db, author=owner, space=space, body="Hi")
    with pytest.raises(Forbidden):
        await service.do_create_post(db, author=reader, space=space, body="Hi")
    with pytest.raises(Forbidden):
        await service.do_edit_post(
            db, access=await access_to(db, reader, space), post=post, body="Mine now"
        )
    with pytest.raises(Invalid):
        await reactions.do_react(
            db, access=await access_to(db, reader, space), post=post, emoji="🦄"
        )
    with pytest.raises(Conflict):
        await reactions.do_vote(db, access=await access_to(db, reader, space), post=post)
    with pytest.raises(NotFound):
        await feed.access_post(db, viewer=reader, post_id="not-a-number")
    assert await reactions.do_react(
        db, access=await access_to(db, reader, space), post=post, emoji="👍"
    )
    assert not await reactions.do_react(
        db, access=await access_to(db, reader, space), post=post, emoji="👍\ufe0f"
    )
    await db.rollback()


def test_mention_scanning() -> None:
    scan = mentions._scan
    body = "Hi @Ana Lima, mail ana@example.com or @[12] (`@[13]` is code)\n```\n@[14]\n```\n"
    spans = scan(body)
    assert [s.person_id for s in spans] == [None, 12]
    texts = [text for _, text in spans[0].candidates]
    assert texts[:2] == ["Ana", "Ana Lima"]
    assert mentions.mentioned_ids("x @[7] and @[8] `@[9]`") == {7, 8}
    assert [t for _, t in mentions._name_candidates("J. R. Smith went", 0)][:3] == [
        "J",
        "J. R",
        "J. R. Smith",
    ]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"%PDF-1.4", "application/pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/vnd.ms-office"),
        (b"\x1f\x8b\x08", "application/gzip"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (b"  \n<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        (b"\xef\xbb\xbfhello", "text/plain"),
        (b"caf\xc3", "text/plain"),  # a character cut at the end of the sample
        (b"\xff\xfe\x00\x01", "application/octet-stream"),
    ],
)
def test_detect_type(head: bytes, expected: str) -> None:
    assert detect_type(head) == expected


def test_code_is_never_scanned_for_mentions() -> None:
    body = "a `@[1]` b ``@[2] ` x`` @[3] ```\n@[4]\n```\n@[5] ~~~\n@[6]\n~~~~\n   ```py\n@[8]"
    # CommonMark: the ``` ending line 1 opens nothing; the ``` line opens a fence to the end
    assert mentions.mentioned_ids(body) == {3, 4}
    # backtick runs of many different lengths, none closed: found in linear time
    many_runs = "".join("`" * k + " " for k in range(1, 300)) + "@[5]"
    assert mentions.mentioned_ids(many_runs) == {5}
    assert mentions.mentioned_ids("~~~\n@[1]\n~~~\n@[2]") == {2}
