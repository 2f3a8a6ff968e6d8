"""The demo's ground truth: THE RULES (README, Analytics) implemented a second time, in plain
Python over the generator's plan (``atoll.demo.plan``: who did what toward whom, where and
when; who sat in which unit each month; the unit tree; the days people used Atoll). It
imports nothing from the analytics domain and shares no code with it, so that the figures the
product computes from its database can be checked against it
(tests/analytics/test_ground_truth.py).

``Truth`` answers for any range and time zone; ``ground_truth`` is what the generator hands
back (``DemoResult.ground_truth``): month by month and for the whole history, the value
matrix, the questions and the posts; week by week the rolling stage; the network and the
adoption figures over the whole history; and month by month (on each month's last day)
which units are ready to go outward."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from atoll.demo.plan import Plan
from atoll.demo.truth import adoption, matrix, network, readiness
from atoll.demo.truth.matrix import Thresholds
from atoll.demo.truth.rules import Timeline, facts

__all__ = ["Bar", "Thresholds", "Truth", "ground_truth"]

Bar = readiness.Bar


class Truth:
    def __init__(
        self,
        plan: Plan,
        *,
        zone: tzinfo = UTC,
        thresholds: Thresholds | None = None,
        min_interactions: int = 2,
    ) -> None:
        self.plan, self.zone = plan, zone
        self.thresholds = thresholds or Thresholds()
        self.min_interactions = min_interactions
        self.log = Timeline(facts(plan))

    def value_matrix(
        self,
        start: datetime,
        end: datetime,
        *,
        period: str = "month",
        unit_id: int | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        return matrix.value_matrix(
            self.plan,
            self.log,
            start=start,
            end=end,
            period=period,
            zone=self.zone,
            th=self.thresholds,
            unit_id=unit_id,
            now=now,
        )

    def network(self, start: datetime, end: datetime) -> dict[str, Any]:
        return network.network(
            self.plan,
            self.log,
            start=start,
            end=end,
            zone=self.zone,
            min_interactions=self.min_interactions,
        )

    def adoption(self, start: datetime, end: datetime) -> dict[str, Any]:
        return adoption.adoption(self.plan, self.log, start=start, end=end, zone=self.zone)

    def readiness(self, as_of: date, bar: readiness.Bar | None = None) -> dict[int, dict[str, Any]]:
        """Each unit at the silo level, ready to go outward or not, on ``as_of``."""
        return readiness.readiness(
            self.plan, self.log, as_of=as_of, zone=self.zone, bar=bar or readiness.Bar()
        )


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _last_day(end: datetime, stop: datetime) -> date:
    """The last day (UTC) of a month of the history, or of the history if it ends first."""
    moment = min(end, stop)
    return (moment - timedelta(microseconds=1)).date()


def ground_truth(plan: Plan, **about: Any) -> dict[str, Any]:
    """The truth over the plan's whole history (UTC, default thresholds), JSON-ready."""
    truth = Truth(plan)
    start, stop = plan.start, plan.stop
    by_month = truth.value_matrix(start, stop, period="month")
    by_week = truth.value_matrix(start, stop, period="week")
    months = by_month.pop("journey")
    for month in months:
        first, last = max(month["start"], start), min(month["end"], stop)
        month["posts"] = sum(1 for at in plan.posts if first <= at < last)
        month["questions"] = adoption.questions(plan, first, last)
    whole = by_month | {
        "posts": len(plan.posts),
        "questions": adoption.questions(plan, start, stop),
        "start": start,
    }
    return _json(
        about
        | {
            "whole": whole,
            "months": months,
            "weeks": [
                {"period": w["period"], "total": w["total"], "rolling_stage": w["rolling_stage"]}
                for w in by_week["journey"]
            ],
            "network": truth.network(start, stop),
            "adoption": truth.adoption(start, stop),
            "readiness": {
                month["period"]: truth.readiness(_last_day(month["end"], stop)) for month in months
            },
        }
    )
