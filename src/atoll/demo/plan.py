"""The demo's plan: the plain facts of everything the generator made, kept for the ground
truth (``atoll.demo.truth``) — nothing classified.

- the organisation: each unit's parent and level; each person's kind and organisation; each
  member's unit month by month (people move at the start of a month);
- every act, in the order the log writes it (time, then as made): its kind, the actor, the
  person it went toward (None for a new post or a wiki page's first revision), the space and
  the time;
- the days each person used Atoll (the ``activity_day`` rows), the questions asked (where,
  and when someone other than the asker commented) and the posts;
- each space's kind, opening time and owners; the posts whose text names a customer's or
  partner's organisation, with their text.

Which silo a person sat in, which scope an interaction had, whether a tie was new: none of it
is here. The truth derives all of it from these facts by THE RULES (README, Analytics)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class PlanAct:
    kind: str
    actor: int
    target: int | None
    space: int
    at: datetime


@dataclass(frozen=True)
class PlanQuestion:
    at: datetime
    author: int
    answered: bool
    space: int = 0
    answers: tuple[datetime, ...] = ()  # when someone other than the asker commented


@dataclass(frozen=True)
class PlanSpace:
    kind: str
    created_at: datetime
    owners: frozenset[int]


@dataclass(frozen=True)
class PlanPost:
    """A post whose text names a customer's or partner's organisation (no other post does)."""

    at: datetime
    author: int
    text: str


@dataclass
class Plan:
    silo_level: int
    lookback_days: int
    start: datetime  # the first instant of the history
    stop: datetime  # the end of the history (exclusive)
    month_starts: list[datetime]  # when each month of the history begins (people move then)
    units: dict[int, tuple[int | None, int]]  # unit id -> (parent id, level)
    kinds: dict[int, str]  # person id -> "member" | "external"
    organizations: dict[int, str | None]  # person id -> organisation (externals)
    unit_by_month: dict[int, list[int | None]]  # member id -> their unit in each month
    acts: list[PlanAct] = field(default_factory=list)  # in log order
    days: set[tuple[int, date]] = field(default_factory=set)  # (person, day) activity rows
    questions: list[PlanQuestion] = field(default_factory=list)
    posts: list[datetime] = field(default_factory=list)
    spaces: dict[int, PlanSpace] = field(default_factory=dict)  # space id -> its facts
    talk: list[PlanPost] = field(default_factory=list)

    def unit_at(self, person: int, at: datetime) -> int | None:
        """The unit a member was in at ``at`` (None for an external or a member in none)."""
        months = self.unit_by_month.get(person)
        if months is None:
            return None
        month = max(0, bisect_right(self.month_starts, at) - 1)
        return months[month]
