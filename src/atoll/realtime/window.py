"""The window: the newest events of the log, read once for all the streams of a process.

The hub reads the log after its position, oldest first, whoever the events are for; each
event's frame is rendered once, here, and the newest ``KEEP`` of them are kept in memory. A
stream takes from the window the events after its own position (``after``) and keeps those its
viewer may see; a stream further behind than the window (a client resuming from an old id)
reads the log with its own query until it reaches the window (``reaches``)."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from atoll.events.outbox import decode

KEEP = 5000  # events kept in memory for the streams (up to twice as many between trims)


def frame(event_id: int, type: str, data: str) -> str:
    return f"id: {event_id}\nevent: {type}\ndata: {data}\n\n"


def event_frame(row: Row[Any]) -> str:
    data = decode(row.data)
    if row.space_id is not None:
        data.setdefault("space_id", str(row.space_id))
    return frame(row.id, row.type, json.dumps(data, separators=(",", ":"), ensure_ascii=False))


@dataclass(slots=True)
class Delivery:
    """One event of the window: who it is for and its frame, rendered once."""

    id: int
    type: str
    space_id: int | None
    person_id: int | None
    text: str


class Window:
    """The events with ids in (``floor``, ``position``], oldest first. Both are None until the
    window starts (``start``): meanwhile the streams read the log themselves."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self.floor: int | None = None
        self.position: int | None = None
        self._deliveries: list[Delivery] = []
        self._ids: list[int] = []

    def start(self, newest: int) -> None:
        """Start empty after the newest event of the log."""
        self.floor = self.position = newest
        self._deliveries, self._ids = [], []

    def forget(self) -> None:
        self.floor = self.position = None
        self._deliveries, self._ids = [], []

    def add(self, rows: Sequence[Row[Any]]) -> None:
        """The next events of the log (rows with ``id``, ``type``, ``space_id``,
        ``person_id`` and ``data``, in id order, after the position)."""
        for row in rows:
            self._deliveries.append(
                Delivery(row.id, row.type, row.space_id, row.person_id, event_frame(row))
            )
            self._ids.append(row.id)
        if rows:
            self.position = rows[-1].id
        if len(self._deliveries) >= 2 * self._keep:  # trimmed now and then: lists bisect fast
            cut = len(self._deliveries) - self._keep
            self.floor = self._ids[cut - 1]
            del self._deliveries[:cut], self._ids[:cut]

    def reaches(self, position: int) -> bool:
        """Whether the window holds every event after ``position`` read so far."""
        return self.floor is not None and position >= self.floor

    def after(self, position: int) -> tuple[list[Delivery], int]:
        """The events after ``position`` and the position they bring a stream to (the
        window's). Only when ``reaches(position)``."""
        assert self.position is not None
        if position >= self.position:
            return [], position
        start = bisect_right(self._ids, position)
        return self._deliveries[start:], self.position
