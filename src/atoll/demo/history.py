"""The demo's history as rows: posts, comments and replies, reactions, mentions, accepted
answers, idea votes, wiki revisions — and the interaction row each act would have written
had it been done live (``atoll.analytics.service.record_interaction``), with both sides'
unit, kind and organisation at that moment (the analytics domain classifies them: the
generator runs its rebuild of the log once everything is written).

``History`` holds the rows not yet written and the acts not yet logged. Acts are logged in
time order (ids follow time), and each one goes into the ``Plan`` (its plain facts, for the
ground truth) as it is logged."""

from __future__ import annotations

import heapq
import html
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from atoll.analytics.service import tie_key_of
from atoll.demo.org import Ids, Org, PSpace
from atoll.demo.plan import Plan, PlanAct, PlanPost, PlanQuestion
from atoll.kit.markdown import render_markdown
from atoll.spaces.service import slugify

MENTION = "@[0]"  # where a mention goes in a cached rendering


@dataclass
class Side:
    unit_id: int | None
    kind: str
    organization: str | None


@dataclass
class Act:
    at: datetime
    kind: str
    actor: int
    target: int | None
    space: PSpace
    post_id: int | None


@dataclass
class PostRec:
    row: dict[str, Any]
    space: PSpace
    author: int
    comments: list[dict[str, Any]] = field(default_factory=list)
    voters: set[int] = field(default_factory=set)
    reactors: set[int] = field(default_factory=set)


class History:
    def __init__(self, org: Org, ids: Ids, plan: Plan, end: datetime) -> None:
        self.org, self.ids, self.plan, self.end = org, ids, plan, end
        self.people = {p.id: p for p in org.people}
        self._starts = [start for start, _ in org.months]
        self._acts: list[tuple[datetime, int, Act]] = []  # a heap: by time, then as made
        self._seq = 0
        self._html: dict[str, str] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.written_days: set[tuple[int, Any]] = set()
        self.wiki_pages: list[dict[str, Any]] = []
        self.wiki_revisions: list[dict[str, Any]] = []
        self._editors: dict[int, set[int]] = {}
        # The customers' and partners' organisations: a post that names one is kept, with
        # its text, in the plan (``Plan.talk``).
        self.organizations = sorted(
            {p.organization for p in org.people if p.kind == "external" and p.organization}
        )

    # --- time and sides -------------------------------------------------------------------

    def month_of(self, at: datetime) -> int:
        return bisect_right(self._starts, at) - 1

    def side(self, person_id: int, month: int) -> Side:
        person = self.people[person_id]
        if person.kind != "member":
            return Side(None, person.kind, person.organization)
        return Side(person.units[month], "member", None)

    # --- rows ------------------------------------------------------------------------------

    def add_row(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def take_rows(self) -> dict[str, list[dict[str, Any]]]:
        rows, self.rows = self.rows, {}
        return rows

    def render(self, text: str, mention: int | None) -> tuple[str, str]:
        """Body and HTML, as the conversations service would store them: a mention is written
        ``@[id]`` and rendered as a link to the person."""
        key = text + (" — cc " + MENTION if mention is not None else "")
        cached = self._html.get(key)
        if cached is None:
            cached = self._html[key] = render_markdown(key)
        if mention is None:
            return text, cached
        person = self.people[mention]
        link = (
            f'<a href="/people/{person.id}" rel="noopener noreferrer nofollow ugc">'
            f"@{html.escape(person.name, quote=False)}</a>"
        )
        return key.replace(MENTION, f"@[{person.id}]"), cached.replace(MENTION, link)

    def act(
        self,
        kind: str,
        actor: int,
        target: int | None,
        space: PSpace,
        post_id: int | None,
        at: datetime,
    ) -> None:
        """An act of collaboration at ``at``; toward oneself it is none (nothing logged)."""
        self.written_days.add((actor, at.date()))
        if target == actor:
            return
        self._seq += 1
        heapq.heappush(self._acts, (at, self._seq, Act(at, kind, actor, target, space, post_id)))

    # --- conversations ----------------------------------------------------------------------

    def post(
        self,
        *,
        author: int,
        space: PSpace,
        kind: str,
        text: str,
        at: datetime,
        mention: int | None = None,
    ) -> PostRec:
        body, rendered = self.render(text, mention)
        row: dict[str, Any] = {
            "id": self.ids.next("post"),
            "space_id": space.id,
            "author_id": author,
            "kind": kind,
            "body": body,
            "html": rendered,
            "created_at": at,
            "edited_at": None,
            "deleted_at": None,
            "deleted_by_id": None,
            "accepted_comment_id": None,
            "idea_status": "new" if kind == "idea" else None,
            "comment_count": 0,
            "vote_count": 0,
            "last_activity_at": at,
        }
        self.add_row("post", row)
        rec = PostRec(row, space, author)
        self.plan.posts.append(at)
        if any(name.lower() in body.lower() for name in self.organizations):
            self.plan.talk.append(PlanPost(at, author, body))
        self.act("post", author, None, space, row["id"], at)
        if mention is not None:
            self._mention(rec, None, author, mention, at)
        return rec

    def _mention(
        self, rec: PostRec, comment_id: int | None, actor: int, person: int, at: datetime
    ) -> None:
        self.add_row(
            "mention",
            {
                "id": self.ids.next("mention"),
                "post_id": rec.row["id"],
                "comment_id": comment_id,
                "person_id": person,
                "created_at": at,
            },
        )
        self.act("mention", actor, person, rec.space, rec.row["id"], at)

    def comment(
        self,
        rec: PostRec,
        *,
        author: int,
        text: str,
        at: datetime,
        parent: dict[str, Any] | None = None,
        mention: int | None = None,
    ) -> dict[str, Any]:
        body, rendered = self.render(text, mention)
        row: dict[str, Any] = {
            "id": self.ids.next("comment"),
            "post_id": rec.row["id"],
            "parent_id": parent["id"] if parent else None,
            "author_id": author,
            "body": body,
            "html": rendered,
            "created_at": at,
            "edited_at": None,
            "deleted_at": None,
        }
        self.add_row("comment", row)
        rec.comments.append(row)
        rec.row["comment_count"] += 1
        rec.row["last_activity_at"] = max(rec.row["last_activity_at"], at)
        if parent is not None:
            self.act("reply", author, parent["author_id"], rec.space, rec.row["id"], at)
        else:
            self.act("comment", author, rec.author, rec.space, rec.row["id"], at)
        if mention is not None and mention != author:
            self._mention(rec, row["id"], author, mention, at)
        return row

    def react(self, rec: PostRec, *, person: int, emoji: str, at: datetime) -> None:
        if person in rec.reactors:
            return
        rec.reactors.add(person)
        self.add_row(
            "reaction",
            {"post_id": rec.row["id"], "person_id": person, "emoji": emoji, "created_at": at},
        )
        self.act("reaction", person, rec.author, rec.space, rec.row["id"], at)

    def vote(self, rec: PostRec, *, person: int, at: datetime) -> None:
        if person in rec.voters:
            return
        rec.voters.add(person)
        rec.row["vote_count"] += 1
        self.add_row("idea_vote", {"post_id": rec.row["id"], "person_id": person, "created_at": at})
        self.act("vote", person, rec.author, rec.space, rec.row["id"], at)

    def accept(self, rec: PostRec, *, comment: dict[str, Any], at: datetime) -> None:
        rec.row["accepted_comment_id"] = comment["id"]
        self.act("accept", rec.author, comment["author_id"], rec.space, rec.row["id"], at)

    # --- the interaction log ----------------------------------------------------------------

    def log_until(self, boundary: datetime | None) -> list[dict[str, Any]]:
        """The interaction rows of every act before ``boundary`` (all when None), in time
        order, each kept in the plan."""
        out = []
        while self._acts and (boundary is None or self._acts[0][0] < boundary):
            out.append(self._interaction(heapq.heappop(self._acts)[2]))
        return out

    def _interaction(self, act: Act) -> dict[str, Any]:
        """The row record_interaction would write live, with what it knows from the world
        then: both sides' unit, kind and organisation at that moment. How the row is
        classified (silos, scope, tie, new or not) is the analytics domain's to decide: the
        generator has it rebuild the whole log once written. The plain facts of the act go
        into the plan, for the ground truth."""
        month = self.month_of(act.at)
        me = self.side(act.actor, month)
        them = self.side(act.target, month) if act.target is not None else None
        self.plan.acts.append(PlanAct(act.kind, act.actor, act.target, act.space.id, act.at))
        return {
            "id": self.ids.next("interaction"),
            "at": act.at,
            "kind": act.kind,
            "actor_id": act.actor,
            "target_id": act.target,
            "space_id": act.space.id,
            "post_id": act.post_id,
            "actor_unit_id": me.unit_id,
            "actor_silo_id": None,
            "actor_kind": me.kind,
            "actor_organization": me.organization,
            "target_unit_id": them.unit_id if them else None,
            "target_silo_id": None,
            "target_kind": them.kind if them else None,
            "target_organization": them.organization if them else None,
            # Decided by the rebuild: left empty (scope) or as a first guess (new_tie).
            "scope": "",
            "tie_key": tie_key_of(act.actor, act.target, act.space.id),
            "new_tie": True,
            "cell_prev_at": None,
            "actor_prev_at": None,
            "target_prev_at": None,
        }

    def asked(self, rec: PostRec) -> None:
        """Count a question once its thread is complete: answered when someone other than
        the asker commented on it."""
        answers = tuple(c["created_at"] for c in rec.comments if c["author_id"] != rec.author)
        self.plan.questions.append(
            PlanQuestion(rec.row["created_at"], rec.author, bool(answers), rec.space.id, answers)
        )

    # --- wiki -------------------------------------------------------------------------------

    def wiki_edit(
        self,
        page: dict[str, Any] | None,
        *,
        space: PSpace,
        author: int,
        title: str,
        line: str,
        at: datetime,
    ) -> dict[str, Any]:
        """Create a page (``page`` None) or add a line to it: a new revision, the page row
        made the latest revision, and the wiki edits the wiki service records — toward the
        space for a page's first revision, else one toward each distinct earlier editor."""
        if page is None:
            page = {
                "id": self.ids.next("wiki_page"),
                "space_id": space.id,
                "slug": slugify(title),
                "title": title,
                "parent_id": None,
                "revision": 0,
                "body": f"What we keep on {title.lower()}, edited by everyone here.",
                "html": "",
                "created_at": at,
                "created_by_id": author,
                "updated_at": at,
                "updated_by_id": author,
                "deleted_at": None,
            }
            self.wiki_pages.append(page)
            self._editors[page["id"]] = set()
        editors = self._editors[page["id"]]
        page["revision"] += 1
        # A table needs blank lines around it, or it runs into the list before it.
        table = line.startswith("|") or page["body"].endswith("|")
        page["body"] = page["body"] + ("\n\n" if table else "\n") + line
        page["updated_at"], page["updated_by_id"] = at, author
        self.wiki_revisions.append(
            {
                "id": self.ids.next("wiki_revision"),
                "page_id": page["id"],
                "number": page["revision"],
                "title": title,
                "body": page["body"],
                "summary": "Created the page" if page["revision"] == 1 else "Added a point",
                "author_id": author,
                "restored_from": None,
                "created_at": at,
            }
        )
        self.written_days.add((author, at.date()))
        if page["revision"] == 1:
            self.act("wiki_edit", author, None, space, None, at)
        for earlier in sorted(editors - {author}):
            self.act("wiki_edit", author, earlier, space, None, at)
        editors.add(author)
        return page

    def wiki_rows(self) -> dict[str, list[dict[str, Any]]]:
        """The pages (each as its latest revision, rendered) and all their revisions."""
        for page in self.wiki_pages:
            page["html"] = render_markdown(page["body"])
        return {"wiki_page": self.wiki_pages, "wiki_revision": self.wiki_revisions}
