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
    "text",
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
ADOPTION_COLUMNS = ("section", "figure", "period", "start", "end", "value", "partial")


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
    "timezone", the zone the periods are of (in ``period``); "recommendation", what to do
    next (its kind in ``period``, its words in ``text``)."""
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
    for advice in data.get("recommendations", []):
        rows.append(["recommendation", advice["kind"], *blank, None, None, None, None, None])
        rows[-1] += [None] * (len(VALUE_MATRIX_COLUMNS) - 1 - len(rows[-1])) + [advice["text"]]
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


def _adoption_headline(data: dict[str, Any]) -> list[list[Any]]:
    whole = (data["from"], data["to"])

    def row(section: str, figure: str, value: Any, bounds: tuple[Any, Any] = whole) -> list[Any]:
        return [section, figure, "", bounds[0], bounds[1], value, ""]

    rows = [row("headline", "timezone", data["timezone"])]
    rows += [
        row("headline", k, data[k]) for k in ("members", "active", "contributors", "participation")
    ]
    split = data["split"]
    shares = split["shares"] or {}
    for k in ("readers", "occasional", "regular"):
        rows += [row("split", k, split[k]), row("split", f"{k}_share", shares.get(k))]
    month, year = data["windows"]["month"], data["windows"]["year"]
    rows.append(row("rates", "dau_mau", data["dau_mau"], (month["from"], month["to"])))
    rows.append(row("rates", "health_index", data["health_index"], (year["from"], year["to"])))
    rows += [row("personas", k, v) for k, v in data["personas"].items()]
    for section in ("questions", "questions_by_externals"):
        q = data[section]
        for k in ("asked", "answered", "median_first_answer_seconds", "askers"):
            rows.append(row(section, k, q[k]))
    return rows


def adoption_csv(data: dict[str, Any]) -> str:
    """Everything the adoption view shows, one figure a row (``section``, ``figure``, the
    ``period`` and its ``start`` and ``end``, the ``value``): the headline figures, the split,
    DAU/MAU and the Community Health Index (with the days they look at), the personas, the
    questions by members and by externals, then the weekly and the monthly series (active
    people and contributors, ``partial`` when the period is not over or cut by the range). A
    withheld figure is an empty value."""
    rows = _adoption_headline(data)
    for section in ("weekly", "monthly"):
        for p in data[section]:
            for figure in ("active", "contributors"):
                rows.append(
                    [section, figure, p["period"], p["start"], p["end"], p[figure], p["partial"]]
                )
    return _write(ADOPTION_COLUMNS, rows)


READINESS_COLUMNS = (
    "unit_id",
    "unit_name",
    "members",
    "active_share",
    "active_share_threshold",
    "across_share",
    "across_share_threshold",
    "answer_rate",
    "answer_rate_threshold",
    "time_to_first_answer_hours",
    "first_answer_hours_threshold",
    "questions",
    "has_hybrid_space",
    "organizations",
    "ready",
    "suppressed",
    "suggestions",
    "as_of",
)


def readiness_csv(data: dict[str, Any]) -> str:
    """One row per unit, each figure beside its threshold."""
    th = data["thresholds"]
    rows = [
        [
            u["unit_id"],
            u["unit_name"],
            u["members"],
            u["active_share"],
            th["active_share"],
            u["across_share"],
            th["across_share"],
            u["answer_rate"],
            th["answer_rate"],
            u["time_to_first_answer_hours"],
            th["first_answer_hours"],
            u["questions"],
            u["has_hybrid_space"],
            "; ".join(u["organizations"]),
            u["ready"],
            u["suppressed"],
            " ".join(u["suggestions"]),
            data["as_of"],
        ]
        for u in data["units"]
    ]
    return _write(READINESS_COLUMNS, rows)


CHAMPIONS_COLUMNS = (
    "person_id",
    "name",
    "title",
    "accepted_answers",
    "newcomer_replies",
    "first_replies_to_externals",
    "score",
)


def champions_csv(data: dict[str, Any]) -> str:
    """The champions who opted in, then a line for the others."""
    rows = [[c[k] for k in CHAMPIONS_COLUMNS] for c in data["champions"]]
    if data["not_opted_in_text"]:
        rows.append(["", data["not_opted_in_text"], "", "", "", "", ""])
    return _write(CHAMPIONS_COLUMNS, rows)
