"""The value matrix as CSV: everything the view shows, withheld figures as empty cells."""

from __future__ import annotations

import csv
import io
from typing import Any

from atoll.analytics.csv import VALUE_MATRIX_COLUMNS, value_matrix_csv


def _cells(n: int | None) -> list[dict[str, object]]:
    return [
        {"scope": s, "tie": t, "interactions": n, "ties": n, "share": None if n is None else 0.5}
        for s in ("within", "across", "external")
        for t in ("existing", "new")
    ]


def _data() -> dict[str, Any]:
    shown = {"total": 12, "people": 7, "suppressed": False, "stage": "cultural"}
    hidden = {"total": None, "people": None, "suppressed": True, "stage": None}
    week = {"start": "2026-03-02T00:00:00Z", "end": "2026-03-09T00:00:00Z"}
    return {
        "from": "2026-03-04T00:00:00Z",
        "to": "2026-03-16T00:00:00Z",
        "timezone": "Europe/Berlin",
        **shown,
        "cells": _cells(2),
        "thresholds": {"across": 0.15, "external": 0.05},
        "apart": {
            "externals": {"interactions": 9, "people": 6},
            "no_silo": {"interactions": None, "people": None},
        },
        "journey": [
            {"period": "2026-W10", **week, "partial": True, **hidden, "cells": _cells(None)}
            | {"rolling_stage": None},
            {"period": "2026-W11", "start": "2026-03-09T00:00:00Z"}
            | {"end": "2026-03-16T00:00:00Z", "partial": False, **shown, "cells": _cells(2)}
            | {"rolling_stage": "transformation"},
        ],
    }


def test_the_journey_the_range_apart_thresholds_and_zone() -> None:
    text = value_matrix_csv(_data())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(csv.reader(io.StringIO(text)).__next__()) == VALUE_MATRIX_COLUMNS
    assert len(rows) == 6 * 2 + 6 + 2 + 2 + 1
    first, later = rows[0], rows[6]
    assert (first["section"], first["period"], first["partial"], first["suppressed"]) == (
        "journey",
        "2026-W10",
        "true",
        "true",
    )
    assert first["interactions"] == first["people"] == first["rolling_stage"] == ""
    assert (later["period"], later["partial"], later["interactions"], later["share"]) == (
        "2026-W11",
        "false",
        "2",
        "0.5",
    )
    assert later["rolling_stage"] == "transformation" and later["stage"] == "cultural"
    total = rows[12]
    assert (total["section"], total["period"], total["start"], total["end"]) == (
        "range",
        "total",
        "2026-03-04T00:00:00Z",
        "2026-03-16T00:00:00Z",
    )
    assert (total["total"], total["people"], total["stage"]) == ("12", "7", "cultural")
    externals, no_silo = rows[18], rows[19]
    assert (externals["section"], externals["scope"], externals["interactions"]) == (
        "apart",
        "externals",
        "9",
    )
    assert (externals["people"], externals["suppressed"]) == ("6", "false")
    assert (no_silo["interactions"], no_silo["people"], no_silo["suppressed"]) == ("", "", "true")
    assert [(r["section"], r["scope"], r["share"]) for r in rows[20:22]] == [
        ("threshold", "across", "0.15"),
        ("threshold", "external", "0.05"),
    ]
    assert (rows[22]["section"], rows[22]["period"]) == ("timezone", "Europe/Berlin")
