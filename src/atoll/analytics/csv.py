"""CSV renderings of the analytics answers (``Accept: text/csv`` in the API, the page's
download links). Each has a header row; a withheld or absent figure is an empty cell. Text
that a spreadsheet would take for a formula (starting with = + - @) is prefixed with a quote."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

VALUE_MATRIX_COLUMNS = (
    "section",
    "period",
    "start",
    "end",
    "partial",
    "scope",
    "tie",
    "interactions",
    "ties",
    "share",
    "total",
    "people",
    "suppressed",
    "stage",
    "rolling_stage",
)
NETWORK_COLUMNS = ("from_unit_id", "from_unit", "to_unit_id", "to_unit", "interactions")
ADOPTION_COLUMNS = ("series", "period", "start", "active", "contributors")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _write(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _matrix_rows(section: str, label: str, entry: dict[str, Any]) -> list[list[Any]]:
    head = [section, label, entry["start"], entry["end"], entry.get("partial")]
    tail = [entry["total"], entry["people"], entry["suppressed"], entry["stage"]]
    return [
        [*head, c["scope"], c["tie"], c["interactions"], c["ties"], c["share"], *tail]
        + [entry.get("rolling_stage")]
        for c in entry["cells"]
    ]


def value_matrix_csv(data: dict[str, Any]) -> str:
    """Everything the value matrix shows, a ``section`` per kind of row: "journey", one row
    per period and cell (with ``partial`` and, by week, the ``rolling_stage``); "range", the
    six cells of the whole range (period "total"); "apart", the interactions and people of
    the scopes reported beside the grid; "threshold", each stage's threshold (in ``share``);
    "timezone", the zone the periods are of (in ``period``)."""
    span = {"start": data["from"], "end": data["to"]}
    rows: list[list[Any]] = []
    for entry in data["journey"]:
        rows += _matrix_rows("journey", entry["period"], entry)
    rows += _matrix_rows("range", "total", data | span)
    blank = [None] * 8
    for scope, figures in data["apart"].items():
        shown = figures["people"] is not None or figures["interactions"] is not None
        rows.append(
            ["apart", "total", data["from"], data["to"], None, scope, None]
            + [figures["interactions"], None, None, None, figures["people"], not shown]
            + [None, None]
        )
    for scope, threshold in data["thresholds"].items():
        rows.append(["threshold", None, None, None, None, scope, None, None, None, threshold])
    rows.append(["timezone", data["timezone"], *blank])
    width = len(VALUE_MATRIX_COLUMNS)
    return _write(VALUE_MATRIX_COLUMNS, [row + [None] * (width - len(row)) for row in rows])


def network_csv(data: dict[str, Any]) -> str:
    """The unit × unit matrix: one row per pair of units that interacted."""
    names = {u["id"]: u["name"] for u in data["units"]}
    rows = [
        [
            m["from_unit_id"],
            names.get(m["from_unit_id"]),
            m["to_unit_id"],
            names.get(m["to_unit_id"]),
            m["interactions"],
        ]
        for m in data["matrix"]
    ]
    return _write(NETWORK_COLUMNS, rows)


def adoption_csv(data: dict[str, Any]) -> str:
    """The weekly then the monthly series of active people and contributors."""
    rows = [
        [series, p["period"], p["start"], p["active"], p["contributors"]]
        for series in ("weekly", "monthly")
        for p in data[series]
    ]
    return _write(ADOPTION_COLUMNS, rows)
