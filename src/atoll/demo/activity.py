"""Month by month, who writes what where: the adoption journey of the demo organisation.

Each month a number of posts is drawn (growing as people adopt Atoll); each post first picks
the value-matrix row it aims at — early mostly within silos, later across silos and with
externals — then an author who can post there, a space of that kind the author belongs to,
and a time when the space is open. Comments, replies, reactions, mentions, votes and
accepted answers follow from the people of that space; wiki pages grow by revisions."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from atoll.demo import words
from atoll.demo.history import History, PostRec
from atoll.demo.org import ADMIN_EMAIL, MEMBER_EMAIL, Org, PPerson, PSpace

REACTIONS = ("👍", "❤️", "🎉", "😄", "😮", "🙏", "👀", "🚀", "✅", "💡")
MAX_REVISIONS = 8
CUSTOMER_TALK = 0.45  # updates (0.3 to 0.95) below this in a unit space name a customer
LANDMARK_ROOM_MINUTES = 180  # the landmarks' last act is at 120 minutes: two thirds of this
SCOPE_KINDS = {
    "within": ("unit",),
    "across": ("community", "situation"),
    "external": ("hybrid", "public"),
}


def mix(t: float) -> tuple[float, float, float]:
    """The share of posts aimed within silos, across silos and with externals at ``t`` (0 in
    the first month, 1 in the last): from 94/5/1 to 45/33/22. Threads in communities and
    hybrid spaces draw more people in, so the interactions come out at about 88/11/1 in the
    first month and 42/40/18 in the last."""
    return 0.94 - 0.49 * t, 0.05 + 0.28 * t, 0.01 + 0.21 * t


class _Pool:
    """People to draw from, each by their weight (bisection over cumulative weights)."""

    def __init__(self, people: Sequence[PPerson]) -> None:
        self.ids = [p.id for p in people]
        self.cum = list(accumulate(p.weight for p in people))

    def __bool__(self) -> bool:
        return bool(self.ids) and self.cum[-1] > 0

    def pick(self, rng: random.Random) -> int:
        return rng.choices(self.ids, cum_weights=self.cum, k=1)[0]


class Simulation:
    def __init__(
        self,
        rng: random.Random,
        org: Org,
        history: History,
        *,
        posts: int,
        end: datetime,
        shares: Sequence[float],
    ) -> None:
        self.rng, self.org, self.h, self.end = rng, org, history, end
        months = len(org.months)
        # Each month's posts grow with adoption and shrink with the part of the month the
        # history covers (``shares``: 1 for a whole month, 2.5 / 31 on the 3rd at noon).
        weights = [
            (0.5 + (m / (months - 1) if months > 1 else 1.0)) * shares[m] for m in range(months)
        ]
        total = sum(weights) or 1.0
        share = [posts * w / total for w in weights]
        self.posts_per_month = [int(s) for s in share]
        for m in sorted(range(months), key=lambda m: int(share[m]) - share[m])[
            : posts - sum(self.posts_per_month)
        ]:
            self.posts_per_month[m] += 1
        self.people = {p.id: p for p in org.people}
        self.unit_space = {s.unit_id: s for s in org.spaces if s.kind == "unit"}
        self.parent = {u.id: u.parent_id for u in org.units}
        self.level = {u.id: u.level for u in org.units}
        self.spaces_of: dict[int, list[PSpace]] = {}
        for space in org.spaces:
            if space.kind != "unit":
                for pid in space.members:
                    self.spaces_of.setdefault(pid, []).append(space)
        self.public = next(s for s in org.spaces if s.kind == "public")
        self.pages: dict[int, list[dict[str, Any]]] = {}
        self.organizations = history.organizations or [""]

    # --- who may act where, month by month --------------------------------------------------

    def _active(self, person: PPerson, month: int) -> bool:
        return person.adopt is not None and person.adopt <= month and person.weight > 0

    def _unit_spaces(self, person: PPerson, month: int) -> list[PSpace]:
        unit = person.units[month] if person.kind == "member" else None
        out = []
        while unit is not None and self.level[unit] >= 2:
            if unit in self.unit_space:
                out.append(self.unit_space[unit])
            unit = self.parent[unit]
        return out

    def _prepare(self, month: int) -> None:
        start, end = self.org.months[month]
        self.month, self.start, self.stop = month, start, end
        writers = [p for p in self.org.people if self._active(p, month)]
        live = {
            s.id
            for s in self.org.spaces
            if s.created_at < end and (s.closes_at is None or s.closes_at > start)
        }
        self.choices: dict[int, dict[str, list[PSpace]]] = {}
        members: dict[int, list[PPerson]] = {}
        for person in writers:
            by_scope: dict[str, list[PSpace]] = {}
            for space in self._unit_spaces(person, month) + self.spaces_of.get(person.id, []):
                if space.id not in live:
                    continue
                members.setdefault(space.id, []).append(person)
                for scope, kinds in SCOPE_KINDS.items():
                    if space.kind in kinds:
                        by_scope.setdefault(scope, []).append(space)
            self.choices[person.id] = by_scope
        self.participants = {sid: _Pool(people) for sid, people in members.items()}
        self.participants[self.public.id] = _Pool(writers)  # anyone may answer in public
        self.pools = {
            scope: _Pool([p for p in writers if self.choices[p.id].get(scope)])
            for scope in SCOPE_KINDS
        }

    # --- one month ----------------------------------------------------------------------------

    def run_month(self, month: int) -> None:
        self._prepare(month)
        t = month / (len(self.org.months) - 1) if len(self.org.months) > 1 else 1.0
        weights = mix(t)
        scopes = list(SCOPE_KINDS)
        for _ in range(self.posts_per_month[month]):
            scope = self.rng.choices(scopes, weights=weights, k=1)[0]
            self._one_post(scope)
        for _ in range(max(1, self.posts_per_month[month] // 10)):
            scope = self.rng.choices(scopes, weights=weights, k=1)[0]
            self._one_wiki_edit("within" if scope == "external" else scope)

    def _when(self, space: PSpace) -> datetime | None:
        low = max(self.start, space.created_at + timedelta(hours=1))
        high = min(self.stop, space.closes_at or self.stop)
        seconds = int((high - low).total_seconds())
        if seconds <= 0:
            return None
        return (low + timedelta(seconds=self.rng.randrange(seconds))).replace(microsecond=0)

    def _in_time(self, space: PSpace, at: datetime) -> bool:
        return at < self.end and (space.closes_at is None or at < space.closes_at)

    def _author_and_space(self, scope: str) -> tuple[int, PSpace] | None:
        pool = self.pools[scope] or self.pools["within"]
        if not pool:
            return None
        author = pool.pick(self.rng)
        spaces = self.choices[author].get(scope) or next(
            (v for v in self.choices[author].values() if v), []
        )
        if not spaces:
            return None
        if scope == "within" and len(spaces) > 1 and self.rng.random() < 0.7:
            return author, spaces[0]  # the team's own space more often than the department's
        return author, self.rng.choice(spaces)

    def _one_post(self, scope: str) -> None:
        picked = self._author_and_space(scope)
        if picked is None:
            return
        author, space = picked
        at = self._when(space)
        if at is None:
            return
        rng = self.rng
        roll = rng.random()
        kind = "question" if roll < 0.2 else "idea" if roll < 0.3 else "update"
        if roll > 0.95 and space.members.get(author) in ("owner", "moderator"):
            kind = "announcement"
        template = {
            "question": words.QUESTIONS,
            "idea": words.IDEAS,
            "update": words.UPDATES,
            "announcement": words.ANNOUNCEMENTS,
        }[kind]
        # Some updates inside a team are about a customer or partner (the same draws).
        about = kind == "update" and space.kind == "unit" and roll < CUSTOMER_TALK
        if about and self.organizations[0]:
            template = words.CUSTOMER_UPDATES
        org = self.organizations[self.h.ids.last.get("post", 0) % len(self.organizations)]
        text = rng.choice(template).format(topic=rng.choice(words.TOPICS), org=org)
        crowd = self.participants[space.id]
        mention = self._other(crowd, author) if rng.random() < 0.12 else None
        rec = self.h.post(author=author, space=space, kind=kind, text=text, at=at, mention=mention)
        self._thread(rec, crowd, at)
        if kind == "question":
            self.h.asked(rec)

    def _other(self, crowd: _Pool, not_: int) -> int | None:
        for _ in range(4):
            pid = crowd.pick(self.rng)
            if pid != not_:
                return pid
        return None

    def _thread(self, rec: PostRec, crowd: _Pool, at: datetime) -> None:
        rng, space = self.rng, rec.space
        question = rec.row["kind"] == "question"
        count = rng.choices(
            range(7), weights=(15, 25, 22, 15, 10, 8, 5) if question else (30, 25, 18, 12, 7, 5, 3)
        )[0]
        tops: list[dict[str, Any]] = []
        when = at
        for _ in range(count):
            when = (when + timedelta(seconds=int(rng.expovariate(1 / 14_400)) + 60)).replace(
                microsecond=0
            )
            if not self._in_time(space, when):
                break
            author = crowd.pick(rng)
            parent = rng.choice(tops) if tops and rng.random() < 0.3 else None
            pool = words.ANSWERS if question and not tops else words.COMMENTS
            mention = self._other(crowd, author) if rng.random() < 0.06 else None
            row = self.h.comment(
                rec, author=author, text=rng.choice(pool), at=when, parent=parent, mention=mention
            )
            if parent is None:
                tops.append(row)
        for _ in range(rng.choices(range(7), weights=(30, 22, 16, 12, 9, 6, 5))[0]):
            person = self._other(crowd, rec.author)
            react_at = (at + timedelta(seconds=rng.randrange(60, 172_800))).replace(microsecond=0)
            if person is not None and self._in_time(space, react_at):
                self.h.react(rec, person=person, emoji=rng.choice(REACTIONS), at=react_at)
        if rec.row["kind"] == "idea":
            for _ in range(rng.randrange(0, 8)):
                person = self._other(crowd, rec.author)
                vote_at = (at + timedelta(seconds=rng.randrange(60, 259_200))).replace(
                    microsecond=0
                )
                if person is not None and self._in_time(space, vote_at):
                    self.h.vote(rec, person=person, at=vote_at)
            if rec.voters and rng.random() < 0.3:
                rec.row["idea_status"] = rng.choice(("reviewing", "adopted", "declined"))
        answers = [c for c in rec.comments if c["author_id"] != rec.author]
        if question and answers and rng.random() < 0.6:
            answer = rng.choice(answers)
            accept_at = answer["created_at"] + timedelta(seconds=rng.randrange(300, 86_400))
            if self._in_time(space, accept_at):
                self.h.accept(rec, comment=answer, at=accept_at)

    def _one_wiki_edit(self, scope: str) -> None:
        picked = self._author_and_space(scope)
        if picked is None or self.people[picked[0]].kind != "member":
            return
        author, space = picked
        at = self._when(space)
        if at is None:
            return
        pages = self.pages.setdefault(space.id, [])
        # A page takes a few revisions, then people start another one: every edit is logged
        # toward each earlier editor of the page, as the wiki service does.
        open_pages = [p for p in pages if p["revision"] < MAX_REVISIONS]
        page = None
        if open_pages and self.rng.random() < 0.7:
            page = self.rng.choice(open_pages)
            at = max(at, page["updated_at"] + timedelta(minutes=5))
            if not self._in_time(space, at) or at >= self.stop:
                return
        title = page["title"] if page else self._new_title(pages)
        line = self.rng.choice(words.WIKI_LINES)
        made = self.h.wiki_edit(page, space=space, author=author, title=title, line=line, at=at)
        if page is None:
            pages.append(made)

    def _new_title(self, pages: list[dict[str, Any]]) -> str:
        used = {p["title"] for p in pages}
        n = 1
        while True:
            titles = [t if n == 1 else f"{t} {n}" for t in words.WIKI_TITLES]
            free = [t for t in titles if t not in used]
            if free:
                return self.rng.choice(free)
            n += 1

    # --- the landmarks -----------------------------------------------------------------------

    def landmarks(self) -> None:
        """The threads the docs and the browser tests know, in the last days of the history:
        an update with reactions, a question answered and accepted, an idea with votes, a
        customer's question in a hybrid space, and news in the public space. They take two
        hours from three days before the end — or, when the last month began less than
        three days before the end, from its start, squeezed into the first two thirds of what
        there is of it when that is less than three hours: all before the end, in order."""
        org, h = self.org, self.h
        base = max(org.months[-1][0], self.end - timedelta(days=3)).replace(microsecond=0)
        room = self.end - base

        def at(minutes: int) -> datetime:
            offset = min(timedelta(minutes=minutes), room * minutes / LANDMARK_ROOM_MINUTES)
            return (base + offset).replace(microsecond=0)

        ana, ada = org.person(MEMBER_EMAIL).id, org.person(ADMIN_EMAIL).id
        guild = org.space("Python Guild")
        crew = [pid for pid in guild.members if pid not in (ana, ada)][:4]
        update = h.post(
            author=ana,
            space=guild,
            kind="update",
            at=at(0),
            text="We moved the build to **Python 3.11** — test runs are 30 % faster. "
            "Thanks to everyone who reviewed the changes!",
        )
        for i, pid in enumerate(crew):
            h.react(update, person=pid, emoji="🎉", at=at(5 + i))
        question = h.post(
            author=crew[0],
            space=guild,
            kind="question",
            at=at(30),
            text="What do you use to profile async code? `cProfile` shows mostly the event loop.",
        )
        answer = h.comment(
            question,
            author=ana,
            at=at(40),
            text="Try **py-spy** with `--idle`, or pyinstrument's async mode: "
            "both show the awaits.",
        )
        h.comment(
            question,
            author=crew[1],
            at=at(45),
            text="+1 for pyinstrument, its HTML report is great.",
            parent=answer,
        )
        h.accept(question, comment=answer, at=at(50))
        h.asked(question)
        idea = h.post(
            author=crew[2],
            space=guild,
            kind="idea",
            at=at(60),
            text="Monthly lightning talks: 5 minutes each, anyone can present.",
        )
        for i, pid in enumerate([crew[0], crew[1], ana]):
            h.vote(idea, person=pid, at=at(65 + i))
        acme = org.space("Acme Corp collaboration")
        ask = h.post(
            author=org.person("marta@acme.example").id,
            space=acme,
            kind="question",
            at=at(90),
            text="Can we get the Q3 rollout plan before our steering meeting on Friday?",
        )
        h.comment(
            ask,
            author=ana,
            at=at(100),
            text="Yes — I will share it here on Thursday, with the migration checklist.",
        )
        h.asked(ask)
        h.post(
            author=ada,
            space=self.public,
            kind="announcement",
            at=at(120),
            text="Welcome to Northwind's open house: ask us anything about working here.",
        )

    # --- activity days ---------------------------------------------------------------------------

    def activity_days(self, start: datetime) -> list[dict[str, Any]]:
        """Every day someone wrote, and reading days: each week, each person who has adopted
        Atoll opens it on one to three days with a chance that grows with their engagement
        and with time (readers who never write are active too)."""
        days = set(self.h.written_days)
        chance = {"reader": 0.35, "occasional": 0.6, "regular": 0.9}
        week = start
        total = max(1, len(self.org.months) - 1)
        while week < self.end:
            month = self.h.month_of(week)
            grow = 0.6 + 0.4 * month / total
            for person in self.org.people:
                if person.adopt is None or person.adopt > month:
                    continue
                if self.rng.random() < chance[person.engagement] * grow:
                    for _ in range(self.rng.randint(1, 3)):
                        day = week + timedelta(days=self.rng.randrange(7))
                        if day < self.end:
                            days.add((person.id, day.date()))
            week += timedelta(days=7)
        return [{"person_id": pid, "day": day} for pid, day in sorted(days)]
