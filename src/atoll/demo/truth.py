"""The ground truth the demo generator planted: its own tally of every interaction it wrote,
kept while planning — never read back from the database, never computed by the analytics
code — so that the analytics figures can be checked against it.

A tie is new when no interaction on the same tie key happened within the look-back window
before (``at - previous_at >= lookback``); two interactions at the same instant are taken in
the order they were written, as the log's ids order them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

SCOPES = ("within", "across", "external")
CELLS = [(scope, tie) for scope in SCOPES for tie in ("existing", "new")]


@dataclass
class _Period:
    label: str
    start: datetime
    interactions: dict[tuple[str, str], int] = field(
        default_factory=lambda: {cell: 0 for cell in CELLS}
    )
    ties: dict[tuple[str, str], set[str]] = field(
        default_factory=lambda: {cell: set() for cell in CELLS}
    )
    people: set[int] = field(default_factory=set)
    asked: int = 0
    answered: int = 0
    # Questions by the asker's kind: "member" and "external".
    by_kind: dict[str, list[int]] = field(
        default_factory=lambda: {"member": [0, 0], "external": [0, 0]}
    )
    posts: int = 0

    def add(self, cell: tuple[str, str], tie: str, actor: int, target: int | None) -> None:
        self.interactions[cell] += 1
        self.ties[cell].add(tie)
        self.people.add(actor)
        if target is not None:
            self.people.add(target)

    def as_json(self) -> dict[str, Any]:
        total = sum(self.interactions.values())
        return {
            "period": self.label,
            "start": self.start.isoformat().replace("+00:00", "Z"),
            "total": total,
            "people": len(self.people),
            "posts": self.posts,
            "questions": {
                "asked": self.asked,
                "answered": self.answered,
                **{
                    f"by_{kind}s": {"asked": asked, "answered": answered}
                    for kind, (asked, answered) in self.by_kind.items()
                },
            },
            "cells": [
                {
                    "scope": scope,
                    "tie": tie,
                    "interactions": self.interactions[(scope, tie)],
                    "ties": len(self.ties[(scope, tie)]),
                    "share": (self.interactions[(scope, tie)] / total) if total else 0,
                }
                for scope, tie in CELLS
            ],
        }


class Tally:
    """Interactions per month and per value-matrix cell, in the order they are written."""

    def __init__(self, months: list[tuple[datetime, datetime]], lookback_days: int) -> None:
        self.lookback = timedelta(days=lookback_days)
        self.months = [_Period(start.strftime("%Y-%m"), start) for start, _ in months]
        self.whole = _Period("whole", months[0][0])
        self._last: dict[str, datetime] = {}

    def add(
        self, *, month: int, at: datetime, scope: str, tie: str, actor: int, target: int | None
    ) -> bool:
        """Count one interaction (in log order) when it is of the grid; True when its tie is
        new."""
        last = self._last.get(tie)
        new = last is None or at - last >= self.lookback
        self._last[tie] = at
        if scope not in SCOPES:  # activity, and the scopes reported apart from the grid
            return new
        cell = (scope, "new" if new else "existing")
        self.months[month].add(cell, tie, actor, target)
        self.whole.add(cell, tie, actor, target)
        return new

    def question(self, *, month: int, answered: bool, kind: str) -> None:
        """A question asked by a person of this kind; answered when someone other than the
        asker commented on it."""
        for period in (self.months[month], self.whole):
            period.asked += 1
            period.by_kind[kind][0] += 1
            if answered:
                period.answered += 1
                period.by_kind[kind][1] += 1

    def post(self, *, month: int) -> None:
        self.months[month].posts += 1
        self.whole.posts += 1

    def as_json(self, **about: Any) -> dict[str, Any]:
        whole = self.whole.as_json()
        del whole["period"]
        return {**about, "whole": whole, "months": [m.as_json() for m in self.months]}
