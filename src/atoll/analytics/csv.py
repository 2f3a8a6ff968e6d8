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
NETWORK_COLUMNS = (
    "section",
    "id",
    "name",
    "to_id",
    "to_name",
    "people",
    "interactions",
    "interactions_within",
    "interactions_across",
    "internal_ties",
    "external_ties",
    "ei",
    "ei_expected",
    "ei_weighted",
    "island",
    "unit_id",
    "unit",
    "betweenness",
    "units_reached",
    "silos",
)
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


def _line(**values: Any) -> list[Any]:
    return list((dict.fromkeys(NETWORK_COLUMNS) | values).values())


def _network_nodes(data: dict[str, Any]) -> tuple[list[list[Any]], dict[str, Any]]:
    """The rows of the units and the organisations, and the label of each node by id."""
    rows, names = [], {}
    for u in data["units"]:
        label = u.get("label") or u["name"]
        names[u["id"]] = label
        figures = {k: u.get(k) for k in NETWORK_COLUMNS if k in u and k not in ("id", "name")}
        rows.append(_line(section="unit", id=u["id"], name=label, **figures))
    for o in data.get("organizations", []):
        names[o["id"]] = o["name"]
        rows.append(
            _line(
                section="organization",
                id=o["id"],
                name=o["name"],
                people=o["people"],
                interactions=o["interactions"],
            )
        )
    return rows, names


def network_csv(data: dict[str, Any]) -> str:
    """Everything the network view shows, one section after another (first column):
    ``organisation`` (the range, the organisation's E-I and its expected value),
    ``unit`` (each unit shown), ``organization`` (customers' and partners' organisations),
    ``pair`` (the heatmap's cells: from a unit or organisation to another), ``bridge``
    (the people who bridge, without name or id when names are hidden) and ``breadth``
    (people by the number of other silos they worked with in the last 4 weeks)."""
    rows = [
        _line(
            section="organisation",
            name=f"{data['from']} to {data['to']}",
            ei=data.get("ei_org"),
            ei_expected=data.get("ei_org_expected"),
        )
    ]
    nodes, names = _network_nodes(data)
    rows += nodes
    pairs = [(m["from_unit_id"], m["to_unit_id"], m["interactions"]) for m in data["matrix"]]
    pairs += [
        (m["from_id"], m["to_id"], m["interactions"]) for m in data.get("organization_pairs", [])
    ]
    rows += [
        _line(
            section="pair", id=a, name=names.get(a), to_id=b, to_name=names.get(b), interactions=n
        )
        for a, b, n in pairs
    ]
    rows += [
        _line(
            section="bridge",
            id=b["person_id"],
            name=b["name"],
            unit_id=b["unit_id"],
            unit=b["unit_name"],
            betweenness=b["betweenness"],
            units_reached=b["units_reached"],
        )
        for b in data["bridges"]
    ]
    breadth = data.get("breadth") or {"buckets": []}
    rows += [
        _line(section="breadth", silos=bucket["silos"], people=bucket["people"])
        for bucket in breadth["buckets"]
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
