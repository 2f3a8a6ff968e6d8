"""The authorization matrix: every space endpoint of the API, every space page and the
conversation endpoints inside spaces × every persona × every kind, visibility and state a
space can have — each answered with the status the API contract expects.

The expectations come from the small tables and rules below, written from the contract and
not from ``atoll.spaces.policy``: when the code and the contract part, this test fails.

One world (the personas, and one space of each kind × visibility × state with a question, a
comment and an attachment) serves every reading case; a case that changes something gets a
fresh space of its own, built in a batch per endpoint and kind and deleted afterwards.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import attachments as files
from atoll.conversations.models import Comment, Post
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.spaces.models import JoinRequest, Membership, Space
from tests.conftest import empty_all_tables
from tests.factories import auth_headers, make_person, make_unit
from tests.web.helpers import csrf_of, sign_in

# =============================================================================================
# The contract, as tables and rules
# =============================================================================================

PERSONAS = ("admin", "owner", "moderator", "member", "insider", "guest", "stranger", "anon")
# admin: an administrator who belongs to no space; owner, moderator, member: the space's own
# people (the member also wrote the space's question and its comment); insider: a member of
# the organisation outside the space; guest: an external person who belongs to every hybrid
# space (externals belong to no other kind); stranger: an external person who belongs
# nowhere; anon: signed out.
EXTERNALS = {"guest", "stranger"}

# Every kind × visibility the service accepts (a public space is always open) …
# fmt: off
KINDS_AND_VISIBILITIES = (
    ("unit", "open"), ("unit", "private"), ("unit", "secret"),
    ("community", "open"), ("community", "private"), ("community", "secret"),
    ("hybrid", "open"), ("hybrid", "private"), ("hybrid", "secret"),
    ("public", "open"),
    ("situation", "open"), ("situation", "private"), ("situation", "secret"),
)
# … live, and archived (read-only). Reads that archiving does not change run on live ones.
STATES = ("live", "archived")
LIVE = ("live",)

# What someone who does NOT belong to a space knows of it, by its visibility:
#   read — knows it and reads its content (posts, members, audience);
#   see  — knows it exists (listed; 200 on the space itself), its content hidden (403);
#   none — may not know it exists: 404 (signed out: 401, or the sign-in page).
# Whoever belongs to a space (any role) and administrators read it whatever its visibility,
# and everybody — signed out included — reads a public space.
OUTSIDERS = {
    #              open    private  secret
    "insider":  ("read", "see",   "none"),
    "guest":    ("none", "none",  "none"),  # externals know only their own spaces
    "stranger": ("none", "none",  "none"),
    "anon":     ("none", "none",  "none"),
}
# fmt: on


@dataclass(frozen=True)
class Kind:
    """One kind of space: kind × visibility × state."""

    kind: str
    visibility: str
    state: str

    @property
    def archived(self) -> bool:
        return self.state == "archived"

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.visibility}-{self.state}"


ALL_KINDS = [Kind(k, v, s) for (k, v), s in itertools.product(KINDS_AND_VISIBILITIES, STATES)]


def role_of(persona: str, kind: str) -> str | None:
    if persona in ("owner", "moderator", "member"):
        return persona
    if persona == "guest" and kind == "hybrid":
        return "member"
    return None


def access(persona: str, space: Kind) -> str:
    if space.kind == "public" or persona == "admin" or role_of(persona, space.kind):
        return "read"
    return OUTSIDERS[persona][("open", "private", "secret").index(space.visibility)]


# --- who may do what, once they are through the gate ----------------------------------------

Who = Callable[[str, Kind], bool]


def anyone(persona: str, space: Kind) -> bool:
    return True


def managers(persona: str, space: Kind) -> bool:
    """Members, join requests, settings, moderation."""
    return persona in ("admin", "owner", "moderator")


def owners(persona: str, space: Kind) -> bool:
    """Roles, visibility, archiving."""
    return persona in ("admin", "owner")


def belongs(persona: str, space: Kind) -> bool:
    """Posting: the space's people, whatever their role, and administrators."""
    return persona == "admin" or role_of(persona, space.kind) is not None


def author(persona: str, space: Kind) -> bool:
    """The question and the comment on it are the member's."""
    return persona == "member"


def author_or_managers(persona: str, space: Kind) -> bool:
    return author(persona, space) or managers(persona, space)


Rule = Callable[[str, Kind], str]


def may(who: Who, success: str, *, archived: str | None = None) -> Rule:
    """Spaces: the permission first (403), then the space's state (archived: ``archived``)."""

    def rule(persona: str, space: Kind) -> str:
        if not who(persona, space):
            return "403"
        return archived if archived and space.archived else success

    return rule


def change(who: Who, success: str) -> Rule:
    """Conversations: a read-only space answers 409 to every change, then the permission."""

    def rule(persona: str, space: Kind) -> str:
        if space.archived:
            return "409"
        return success if who(persona, space) else "403"

    return rule


def join_rule(persona: str, space: Kind) -> str:
    """Open: join at once; private or secret (for those who know it): ask. Already in: a no-op.
    Unit spaces take their people from the org tree and externals come by invitation: 403.
    An archived space takes nobody new: 409."""
    if role_of(persona, space.kind):
        return "joined"
    if space.kind == "unit" or persona in EXTERNALS:
        return "403"
    if space.archived:
        return "409"
    return "joined" if space.visibility == "open" else "requested"


def leave_rule(persona: str, space: Kind) -> str:
    """Anyone leaves, except the last owner (who hands over first: 409) and the people of a
    unit, who belong to its space through the org tree (409). Not a member: 404. Leaving an
    archived space is allowed: taking access away never waits."""
    role = role_of(persona, space.kind)
    if role is None:
        return "404"
    if role == "owner" or (space.kind == "unit" and persona == "member"):
        return "409"
    return "204"


def asking(rule: Rule) -> Rule:
    """The confirmation page of an action: the action's own answer, but 200 where it would
    act (asking changes nothing)."""

    def ask(persona: str, space: Kind) -> str:
        answer = rule(persona, space)
        return "200" if answer.startswith("2") else answer

    return ask


def names_rule(persona: str, space: Kind) -> str:
    """The @mention and add-someone type-aheads offer people only to those who read the space,
    and to an external only people who share a space with them (the guest shares the hybrid
    spaces with the member; the stranger shares none)."""
    return "200 empty" if access(persona, space) != "read" or persona == "stranger" else "200 names"


# --- the gates every endpoint passes first ----------------------------------------------------

Gate = Callable[[str, str, str, Kind, bool], str | None]


def _signed_out(face: str, method: str) -> str:
    """Signed out: 401 from the API and from a form post, the sign-in page for a page."""
    return "303 sign-in" if face == "page" and method == "GET" else "401"


def knows_space(face: str, method: str, persona: str, space: Kind, signed_in: bool) -> str | None:
    """The space itself: 404 to whoever may not know it exists (signed out: sign in first,
    the same whether or not it exists)."""
    level = access(persona, space)
    if persona == "anon" and (signed_in or level == "none"):
        return _signed_out(face, method)
    return "404" if level == "none" else None


def reads_space(face: str, method: str, persona: str, space: Kind, signed_in: bool) -> str | None:
    """Its content: as above, and 403 to who knows it but may not read it (a page answers 200
    and says only members can see inside)."""
    stop = knows_space(face, method, persona, space, signed_in)
    if stop is None and access(persona, space) == "see":
        return "200 locked" if face == "page" and method == "GET" else "403"
    return stop


def reads_post(face: str, method: str, persona: str, space: Kind, signed_in: bool) -> str | None:
    """A post, its comments, reactions and files: whoever may not read the space may not know
    the post exists (404; signed out: 401) — even where they know the space itself."""
    level = access(persona, space)
    if persona == "anon" and (signed_in or level != "read"):
        return _signed_out(face, method)
    return "404" if level != "read" else None


# --- the endpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    face: str  # api | page
    method: str
    path: str  # {id} {slug} {rid} {me} {bystander} {candidate} {owner} {post} … are filled in
    gate: Gate
    then: Rule
    json: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    params: dict[str, str] | None = None
    states: tuple[str, ...] = STATES

    @property
    def fresh(self) -> bool:
        """A change: each case gets a fresh space of its own."""
        return self.method != "GET"

    @property
    def signed_in(self) -> bool:
        return self.fresh or self.path.endswith(
            ("/audience", "/requests", "/suggest", "/mentionable")
            + ("/leave", "/remove", "/archive", "/delete")  # the confirmation pages
        )

    @property
    def name(self) -> str:
        query = "?" + "&".join(f"{k}={v}" for k, v in self.params.items()) if self.params else ""
        body = {**(self.json or {}), **(self.form or {})}
        what = " " + ",".join(f"{k}={v}" for k, v in body.items()) if body else ""
        return f"{self.face} {self.method} {self.path}{query}{what}".rstrip()

    def expect(self, persona: str, space: Kind) -> str:
        stop = self.gate(self.face, self.method, persona, space, self.signed_in)
        if stop is not None:
            return stop
        answer = self.then(persona, space)
        if answer in ("joined", "requested"):
            return f"{'303' if self.face == 'page' else '200'} {answer}"
        if self.face == "page" and self.method == "POST" and answer.startswith("2"):
            return "303"  # a form that worked redirects
        return answer


def api(method: str, path: str, gate: Gate, then: Rule | str, **kw: Any) -> Endpoint:
    rule = then if callable(then) else (lambda p, s, a=then: a)
    return Endpoint("api", method, "/api/v1" + path, gate, rule, **kw)


def page(method: str, path: str, gate: Gate, then: Rule | str, **kw: Any) -> Endpoint:
    rule = then if callable(then) else (lambda p, s, a=then: a)
    return Endpoint("page", method, path, gate, rule, **kw)


# fmt: off
SPACE_API = [
    api("GET",    "/spaces/{id}", knows_space, "200"),
    api("PATCH",  "/spaces/{id}", knows_space, may(managers, "200", archived="409"),
        json={"name": "Renamed", "description": "Changed"}),
    api("PATCH",  "/spaces/{id}", knows_space, may(owners, "200", archived="409"),
        json={"visibility": "{visibility}"}),
    api("PATCH",  "/spaces/{id}", knows_space, may(managers, "200", archived="409"),
        json={"guidelines": "Be kind; *no* secrets."}),
    # "Got it" to the guidelines: whoever knows the space (nothing changes for a non-member)
    api("POST",   "/spaces/{id}/guidelines/dismiss", knows_space, "204"),
    api("POST",   "/spaces/{id}/archive", knows_space, may(owners, "200")),  # again: a no-op
    api("GET",    "/spaces/{id}/members", reads_space, "200", states=LIVE),
    api("POST",   "/spaces/{id}/members", knows_space, may(managers, "201", archived="409"),
        json={"person_id": "{candidate}", "role": "member"}),
    api("POST",   "/spaces/{id}/members", knows_space, may(owners, "201", archived="409"),
        json={"person_id": "{candidate}", "role": "moderator"}),
    api("DELETE", "/spaces/{id}/members/{bystander}", knows_space, may(managers, "204")),
    # not a member: managers learn there is no such member, the others get no further
    api("DELETE", "/spaces/{id}/members/{candidate}", knows_space, may(managers, "404")),
    # only owners remove an owner, and never the last one
    api("DELETE", "/spaces/{id}/members/{owner}", knows_space, may(owners, "409")),
    api("DELETE", "/spaces/{id}/members/{me}", knows_space, leave_rule),
    api("POST",   "/spaces/{id}/join", knows_space, join_rule),
    api("GET",    "/spaces/{id}/requests", knows_space, may(managers, "200"), states=LIVE),
    # approving adds a member: not to an archived space; declining adds nobody
    api("POST",   "/spaces/{id}/requests/{rid}/approve", knows_space,
        may(managers, "204", archived="409")),
    api("POST",   "/spaces/{id}/requests/{rid}/decline", knows_space, may(managers, "204")),
    api("GET",    "/spaces/{id}/audience", reads_space, "200", states=LIVE),
]

SPACE_PAGES = [
    page("GET",  "/spaces/{slug}", reads_space, "200"),
    page("GET",  "/spaces/{slug}", reads_space, "200 members", params={"tab": "members"},
         states=LIVE),
    page("GET",  "/spaces/{slug}", reads_space, "200", params={"tab": "about"}, states=LIVE),
    page("GET",  "/spaces/{slug}/suggest", knows_space, names_rule,
         params={"for": "mention", "q": "Mona"}, states=LIVE),
    # The forms call the API's service functions, so the archived state is the API's to
    # test; but adding someone by name and the about form do work of their own first.
    page("POST", "/spaces/{slug}/join", knows_space, join_rule, states=LIVE),
    page("POST", "/spaces/{slug}/leave", knows_space, leave_rule, states=LIVE),
    page("POST", "/spaces/{slug}/members", knows_space, may(managers, "201", archived="409"),
         form={"person": "{candidate_email}"}),
    page("POST", "/spaces/{slug}/members/{bystander}/remove", knows_space, may(managers, "204"),
         states=LIVE),
    page("POST", "/spaces/{slug}/requests/{rid}", knows_space, may(managers, "204"),
         form={"decision": "approve"}, states=LIVE),
    page("POST", "/spaces/{slug}/about", knows_space, may(managers, "200", archived="409"),
         form={"name": "Renamed", "description": "Changed"}),
    page("POST", "/spaces/{slug}/about", knows_space, may(managers, "200", archived="409"),
         form={"name": "Renamed", "description": "Changed", "guidelines": "Be kind."},
         states=LIVE),
    page("POST", "/spaces/{slug}/guidelines/dismiss", knows_space, "204", states=LIVE),
    page("POST", "/spaces/{slug}/archive", knows_space, may(owners, "200"), states=LIVE),
    # Leaving, removing someone and archiving ask first: the confirmation pages answer as the
    # actions do. An archived space has nothing left to ask about archiving: back to it.
    page("GET",  "/spaces/{slug}/leave", knows_space, asking(leave_rule)),
    page("GET",  "/spaces/{slug}/members/{bystander}/remove", knows_space,
         asking(may(managers, "204"))),
    page("GET",  "/spaces/{slug}/members/{owner}/remove", knows_space, asking(may(owners, "409"))),
    page("GET",  "/spaces/{slug}/archive", knows_space, may(owners, "200", archived="303")),
]

# Reads: who may read the space. Writes: posting needs membership (any role) or admin,
# announcements owners, moderators or admins; commenting and reacting need read access;
# editing is the author's, deleting the author's or a manager's; archived: 409.
CONVERSATIONS_API = [
    api("GET",    "/spaces/{id}/posts", reads_space, "200 with the question"),
    api("POST",   "/spaces/{id}/posts", reads_space, change(belongs, "201"),
        json={"body": "Hello", "kind": "update"}),
    api("POST",   "/spaces/{id}/posts", reads_space, change(managers, "201"),
        json={"body": "Hear ye", "kind": "announcement"}),
    api("GET",    "/spaces/{id}/mentionable", reads_space, names_rule, params={"q": "Mona"},
        states=LIVE),
    api("GET",    "/posts/{post}", reads_post, "200"),
    api("PATCH",  "/posts/{post}", reads_post, change(author, "200"), json={"body": "Edited"}),
    api("DELETE", "/posts/{post}", reads_post, change(author_or_managers, "204")),
    api("POST",   "/posts/{post}/comments", reads_post, change(anyone, "201"),
        json={"body": "Me too"}),
    api("PUT",    "/posts/{post}/reactions/👍", reads_post, change(anyone, "200")),
    api("DELETE", "/posts/{post}/reactions/👍", reads_post, change(anyone, "200")),
    api("GET",    "/attachments/{attachment}", reads_post, "200", states=LIVE),
]

# Deleting from the pages asks first: the confirmation page answers as the deletion does.
CONVERSATION_PAGES = [
    page("GET",  "/posts/{post}/delete", reads_post, asking(change(author_or_managers, "204"))),
    page("POST", "/posts/{post}/delete", reads_post, change(author_or_managers, "204")),
    page("GET",  "/comments/{comment}/delete", reads_post,
         asking(change(author_or_managers, "204"))),
    page("POST", "/comments/{comment}/delete", reads_post, change(author_or_managers, "204")),
]
# fmt: on

ENDPOINTS = SPACE_API + SPACE_PAGES + CONVERSATIONS_API + CONVERSATION_PAGES

LOCKED = "Only members can see inside"
MEMBER_NAME = "Mona Member"


# =============================================================================================
# The world
# =============================================================================================


@dataclass
class Built:
    id: int
    request_id: int
    post_id: int
    comment_id: int
    slug: str
    attachment_id: int = 0


@dataclass
class World:
    db: AsyncSession
    api: httpx.AsyncClient
    pages: dict[str, httpx.AsyncClient]
    csrf: dict[str, str]
    headers: dict[str, dict[str, str]]
    people: dict[str, int]
    emails: dict[str, str]
    unit_id: int
    parallel: bool
    spaces: dict[Kind, Built]
    counter: itertools.count[int]
    storage: files.Storage  # where the world's files go (the app's)
    pool: dict[Kind, list[Built]] = field(default_factory=dict)
    pool_of: Endpoint | None = None
    pool_ids: list[int] = field(default_factory=list)

    async def build(
        self, plan: list[tuple[Kind, int]], *, world: bool = False
    ) -> dict[Kind, list[Built]]:
        """Spaces of the kinds planned, in one transaction of a few multi-row INSERTs: each
        with its owner, moderator, member, a bystander member (the guest too in a hybrid
        space), a pending request from the requester, and the member's question with her own
        comment on it (in the world, a file on the question too)."""
        now = utcnow()
        wanted = [(kind, next(self.counter)) for kind, count in plan for _ in range(count)]
        space_ids = await self._insert(
            Space,
            [
                {
                    "name": f"Matrix {kind.kind} {kind.visibility} {kind.state}"
                    if world
                    else f"Scratch {n}",
                    "slug": f"s-{n}",
                    "description": "",
                    "kind": kind.kind,
                    "visibility": kind.visibility,
                    "unit_id": self.unit_id if kind.kind == "unit" else None,
                    "closes_at": now + timedelta(days=30) if kind.kind == "situation" else None,
                    "archived_at": now if kind.archived else None,
                    "created_by_id": self.people["owner"],
                }
                for kind, n in wanted
            ],
        )
        roles = [
            ("owner", "owner"),
            ("moderator", "moderator"),
            ("member", "member"),
            ("bystander", "member"),
        ]
        await self._insert(
            Membership,
            [
                {
                    "space_id": sid,
                    "person_id": self.people[who],
                    "role": role,
                    "source": "unit" if kind.kind == "unit" and who == "member" else "manual",
                }
                for (kind, _), sid in zip(wanted, space_ids, strict=True)
                for who, role in roles + ([("guest", "member")] if kind.kind == "hybrid" else [])
            ],
        )
        request_ids = await self._insert(
            JoinRequest,
            [{"space_id": sid, "person_id": self.people["requester"]} for sid in space_ids],
        )
        member = self.people["member"]
        post_ids = await self._insert(
            Post,
            [
                {
                    "space_id": sid,
                    "author_id": member,
                    "kind": "question",
                    "body": "Who knows?",
                    "html": "<p>Who knows?</p>",
                    "comment_count": 1,
                }
                for sid in space_ids
            ],
        )
        comment_ids = await self._insert(
            Comment,
            [
                {"post_id": pid, "author_id": member, "body": "I do", "html": "<p>I do</p>"}
                for pid in post_ids
            ],
        )
        built: dict[Kind, list[Built]] = {kind: [] for kind, _ in plan}
        rows = zip(wanted, space_ids, request_ids, post_ids, comment_ids, strict=True)
        for (kind, n), sid, rid, pid, cid in rows:
            built[kind].append(Built(sid, rid, pid, cid, slug=f"s-{n}"))
        if world:
            author = await self.db.get(Person, member)
            assert author is not None
            for b in itertools.chain.from_iterable(built.values()):
                upload = await files.do_store_upload(
                    self.db,
                    storage=self.storage,
                    uploader=author,
                    filename="notes.txt",
                    file=io.BytesIO(b"the answer is 42\n"),
                )
                upload.post_id = b.post_id
                b.attachment_id = upload.id
            await self.db.flush()
        await self.db.commit()
        return built

    async def fresh(self, endpoint: Endpoint, kind: Kind) -> dict[str, Built]:
        """A fresh space of this kind for each persona. They are built for all the kinds of an
        endpoint at once, at its first case, and deleted when another endpoint's turn comes."""
        if self.pool_of is not endpoint or kind not in self.pool:
            await self.release()
            kinds = [k for k in ALL_KINDS if k.state in endpoint.states]
            self.pool = await self.build([(k, len(PERSONAS)) for k in kinds])
            self.pool_of = endpoint
            self.pool_ids = [b.id for b in itertools.chain.from_iterable(self.pool.values())]
        return dict(zip(PERSONAS, self.pool.pop(kind), strict=True))

    async def release(self) -> None:
        """Delete the fresh spaces (with all they hold), so the people's navigation stays small."""
        if self.pool_of is not None:
            await self.db.execute(delete(Space).where(Space.id.in_(self.pool_ids)))
            await self.db.commit()
            self.pool, self.pool_of, self.pool_ids = {}, None, []

    async def _insert(self, model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
        if not hasattr(model, "id"):
            await self.db.execute(insert(model), rows)
            return []
        result = await self.db.execute(
            insert(model).returning(model.id, sort_by_parameter_order=True), rows
        )
        return list(result.scalars())

    def fill(self, text: str, persona: str, kind: Kind, space: Built) -> str:
        return text.format(
            id=space.id,
            slug=space.slug,
            rid=space.request_id,
            post=space.post_id,
            comment=space.comment_id,
            attachment=space.attachment_id,
            visibility=kind.visibility,
            me=self.people.get(persona, self.people["candidate"]),
            bystander=self.people["bystander"],
            candidate=self.people["candidate"],
            owner=self.people["owner"],
            candidate_email=self.emails["candidate"],
        )

    async def call(
        self, endpoint: Endpoint, persona: str, kind: Kind, space: Built
    ) -> httpx.Response:
        url = self.fill(endpoint.path, persona, kind, space)
        if endpoint.face == "api":
            json = {k: self.fill(v, persona, kind, space) for k, v in (endpoint.json or {}).items()}
            return await self.api.request(
                endpoint.method,
                url,
                headers=self.headers.get(persona, {}),
                params=endpoint.params,
                json=json if endpoint.method in ("POST", "PATCH") else None,
            )
        client = self.pages[persona]
        if endpoint.method == "GET":
            return await client.get(url, params=endpoint.params)
        form = {k: self.fill(v, persona, kind, space) for k, v in (endpoint.form or {}).items()}
        return await client.post(url, data={"csrf_token": self.csrf[persona], **form})


def observe(endpoint: Endpoint, response: httpx.Response, space: Built) -> str:
    """The answer, in the words of the expectations."""
    status = response.status_code
    if status == 303:
        location = response.headers["location"]
        if location.startswith("/sign-in"):
            return "303 sign-in"
        return next((f"303 {w}" for w in ("joined", "requested") if f"{w}=1" in location), "303")
    if status != 200:
        return str(status)
    path = endpoint.path
    if endpoint.face == "api":
        if path.endswith("/join"):
            return f"200 {response.json()['status']}"
        if path.endswith("/mentionable"):
            return "200 names" if MEMBER_NAME in response.text else "200 empty"
        if path.endswith("/posts") and endpoint.method == "GET":
            ids = [item["id"] for item in response.json()["items"]]
            return "200 with the question" if str(space.post_id) in ids else "200 without it"
        return "200"
    text = response.text
    if path.endswith("/suggest"):
        return "200 names" if MEMBER_NAME in text else "200 empty"
    if LOCKED in text:
        return "200 locked, showing members" if MEMBER_NAME in text else "200 locked"
    if endpoint.params == {"tab": "members"}:
        return "200 members" if MEMBER_NAME in text else "200 without members"
    return "200"


@pytest.fixture(autouse=True)
async def _empty_tables() -> AsyncIterator[None]:
    """This module keeps its world across its tests; ``world`` empties the tables at the end."""
    yield


@pytest.fixture(scope="module")
async def world(app: Any) -> AsyncIterator[World]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
    pages: dict[str, httpx.AsyncClient] = {}
    async with (
        app.state.sessionmaker() as db,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as api_client,
    ):
        try:
            team = await make_unit(db, "Matrix team")  # the unit of the unit spaces: the member's
            people = {
                "admin": await make_person(db, name="Ada Admin", role="admin"),
                "owner": await make_person(db, name="Olga Owner"),
                "moderator": await make_person(db, name="Moritz Moderator"),
                "member": await make_person(db, name=MEMBER_NAME, unit_id=team.id),
                "insider": await make_person(db, name="Ines Insider"),
                "guest": await make_person(
                    db, name="Gustav Guest", kind="external", organization="Acme Corp"
                ),
                "stranger": await make_person(
                    db,
                    name="Stella Stranger",
                    kind="external",
                    organization="Globex",
                    relation="partner",
                ),
                "bystander": await make_person(db, name="Bob Bystander"),
                "candidate": await make_person(db, name="Cora Candidate"),
                "requester": await make_person(db, name="Rex Requester"),
            }
            headers = {
                p: await auth_headers(api_client, people[p]) for p in PERSONAS if p != "anon"
            }
            csrf: dict[str, str] = {}
            for persona in PERSONAS:
                pages[persona] = client = httpx.AsyncClient(
                    transport=transport, base_url="http://testserver"
                )
                if persona != "anon":
                    await sign_in(client, people[persona].email)
                csrf[persona] = csrf_of(
                    (await client.get("/sign-in" if persona == "anon" else "/spaces")).text
                )
            w = World(
                db=db,
                api=api_client,
                pages=pages,
                csrf=csrf,
                headers=headers,
                people={k: p.id for k, p in people.items()},
                emails={k: p.email for k, p in people.items()},
                unit_id=team.id,
                parallel=app.state.engine.dialect.name == "postgresql",
                spaces={},
                counter=itertools.count(1),
                storage=app.state.storage,
            )
            built = await w.build([(kind, 1) for kind in ALL_KINDS], world=True)
            w.spaces = {kind: spaces[0] for kind, spaces in built.items()}
            yield w
        finally:
            for client in pages.values():
                await client.aclose()
            await empty_all_tables(app.state.engine)


# =============================================================================================
# The cases
# =============================================================================================

CASES = [(e, k) for e in ENDPOINTS for k in ALL_KINDS if k.state in e.states]


@pytest.mark.parametrize(
    ("endpoint", "kind"), CASES, ids=[f"{e.name} @ {k.label}" for e, k in CASES]
)
async def test_endpoint(world: World, endpoint: Endpoint, kind: Kind) -> None:
    """One endpoint on one kind of space, for every persona."""
    if endpoint.fresh:
        spaces = await world.fresh(endpoint, kind)
    else:
        await world.release()
        spaces = dict.fromkeys(PERSONAS, world.spaces[kind])

    async def case(persona: str) -> str | None:
        expected = endpoint.expect(persona, kind)
        response = await world.call(endpoint, persona, kind, spaces[persona])
        got = observe(endpoint, response, spaces[persona])
        if got == expected:
            return None
        detail = response.text[:160].replace("\n", " ") if response.status_code != 200 else ""
        return f"  {persona:<10} expected {expected:<12} got {got:<12} {detail}"

    # The personas' cases share nothing: PostgreSQL answers them side by side; SQLite, with
    # one writer at a time, one after the other.
    if world.parallel:
        answers = await asyncio.gather(*(case(p) for p in PERSONAS))
    else:
        answers = [await case(p) for p in PERSONAS]
    wrong = [a for a in answers if a]
    assert not wrong, f"{endpoint.name} on a {kind.label} space:\n" + "\n".join(wrong)


LISTINGS = {
    "directory": {},  # live spaces the caller may know of
    "archived": {"archived": "true"},  # … archived ones too
    "mine": {"mine": "true"},  # … only those the caller belongs to
}


def listed(persona: str, kind: Kind, listing: str) -> str:
    role = role_of(persona, kind.kind)
    if access(persona, kind) == "none" or (kind.archived and listing != "archived"):
        return "absent"
    if listing == "mine" and role is None:
        return "absent"
    return f"listed, my_role={role}"


@pytest.mark.parametrize("listing", LISTINGS)
async def test_listing(world: World, listing: str) -> None:
    """GET /spaces lists exactly the spaces each persona may know of, with their role."""
    await world.release()
    wrong = []
    for persona in PERSONAS:
        r = await world.api.get(
            "/api/v1/spaces",
            params={"q": "Matrix", "limit": "100", **LISTINGS[listing]},
            headers=world.headers.get(persona, {}),
        )
        assert r.status_code == 200, r.text
        roles = {item["id"]: item["my_role"] for item in r.json()["items"]}
        for kind, space in world.spaces.items():
            got = f"listed, my_role={roles[str(space.id)]}" if str(space.id) in roles else "absent"
            if got != (expected := listed(persona, kind, listing)):
                wrong.append(f"  {persona:<10} {kind.label:<28} expected {expected:<24} got {got}")
    assert not wrong, f"GET /spaces ({listing}):\n" + "\n".join(wrong)


async def test_directory_page(world: World) -> None:
    """The directory page shows the spaces the API's directory lists."""
    await world.release()
    wrong = []
    for persona in PERSONAS:
        r = await world.pages[persona].get("/spaces", params={"q": "Matrix"})
        assert r.status_code == 200
        for kind in world.spaces:
            got = (
                "listed"
                if f"Matrix {kind.kind} {kind.visibility} {kind.state}" in r.text
                else "absent"
            )
            expected = "absent" if listed(persona, kind, "directory") == "absent" else "listed"
            if got != expected:
                wrong.append(f"  {persona:<10} {kind.label:<28} expected {expected} got {got}")
    assert not wrong, "GET /spaces (page):\n" + "\n".join(wrong)


async def test_feed(world: World) -> None:
    """The feed holds the posts of the spaces one belongs to (archived ones too: they stay
    readable) — and the member's own, which are all in spaces she belongs to. Signed out: 401."""
    await world.release()
    assert (await world.api.get("/api/v1/feed")).status_code == 401
    wrong = []
    for persona in PERSONAS[:-1]:
        r = await world.api.get(
            "/api/v1/feed", params={"limit": "100"}, headers=world.headers[persona]
        )
        assert r.status_code == 200, r.text
        ids = {item["id"] for item in r.json()["items"]}
        for kind, space in world.spaces.items():
            got = "in the feed" if str(space.post_id) in ids else "absent"
            expected = "in the feed" if role_of(persona, kind.kind) else "absent"
            if got != expected:
                wrong.append(f"  {persona:<10} {kind.label:<28} expected {expected} got {got}")
    assert not wrong, "GET /feed:\n" + "\n".join(wrong)


async def test_uploads_need_an_account(world: World) -> None:
    """POST /attachments: anyone signed in uploads (the file is theirs until attached); 401."""
    for persona in PERSONAS:
        r = await world.api.post(
            "/api/v1/attachments",
            headers=world.headers.get(persona, {}),
            files={"file": ("a.txt", b"hello\n", "text/plain")},
        )
        assert r.status_code == (401 if persona == "anon" else 201), (persona, r.text)


def test_the_matrix_covers_every_space_route() -> None:
    """A route added to the spaces routers without a row here fails this test."""
    from atoll.spaces import api as spaces_api
    from atoll.spaces import pages as spaces_pages

    def shape(path: str) -> str:
        path = re.sub(r"\{[^}]*\}", "{}", path.removeprefix("/api/v1"))
        return re.sub(r"/(approve|decline)$", "/{}", path)

    covered = {(e.face, e.method, shape(e.path)) for e in ENDPOINTS}
    elsewhere = {  # the directory (test_listing, test_directory_page) and starting a space
        ("api", "GET", "/spaces"),
        ("api", "POST", "/spaces"),
        ("page", "GET", "/spaces"),
        ("page", "GET", "/spaces/new"),
        ("page", "POST", "/spaces/new"),
        # bringing an archived space back: tests/governance/test_matrix_content.py and
        # tests/governance/test_archive.py
        ("api", "POST", "/spaces/{}/unarchive"),
        ("page", "POST", "/spaces/{}/unarchive"),
    }
    routes = {
        (face, method, shape(getattr(route, "path", "")))
        for face, router in (("api", spaces_api.router), ("page", spaces_pages.router))
        for route in router.routes
        for method in getattr(route, "methods", ())
    }
    assert routes - elsewhere - covered == set()
