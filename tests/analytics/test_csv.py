"""CSV renderings: header rows, empty cells for withheld figures, no spreadsheet formulas."""

from __future__ import annotations

import csv
import io

from atoll.analytics.csv import adoption_csv, network_csv


def _rows(text: str) -> list[list[str]]:
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text)))


def test_network_carries_every_section_and_defuses_formulas() -> None:
    unit = {
        "id": "1", "name": "=HYPERLINK(1)", "label": "=HYPERLINK(1)", "people": 6,
        "interactions_within": 10, "interactions_across": 4, "internal_ties": 3,
        "external_ties": 1, "ei": -0.5, "ei_index": -0.5, "ei_expected": 0.6,
        "ei_weighted": -0.25, "island": False,
    }  # fmt: skip
    data = {
        "from": "2026-03-01T00:00:00Z",
        "to": "2026-06-01T00:00:00Z",
        "unit_id": None,
        "ei_org": 0.1,
        "ei_org_expected": 0.8,
        "units": [unit, unit | {"id": "2", "name": "Sales", "label": "Sales", "island": True}],
        "matrix": [{"from_unit_id": "1", "to_unit_id": "2", "interactions": 9}],
        "organizations": [{"id": "org:Acme", "name": "Acme", "people": 5, "interactions": 7}],
        "organization_pairs": [{"from_id": "org:Acme", "to_id": "2", "interactions": 7}],
        "bridges": [
            {
                "person_id": None,
                "name": None,
                "unit_id": "2",
                "unit_name": "Sales",
                "betweenness": 0.25,
                "units_reached": 3,
            },
        ],  # fmt: skip
        "breadth": {"buckets": [{"silos": "0", "people": 12}, {"silos": "5+", "people": None}]},
    }
    rows = _rows(network_csv(data))
    head = rows[0]
    assert head[:5] == ["section", "id", "name", "to_id", "to_name"]
    by = [dict(zip(head, row, strict=True)) for row in rows[1:]]
    assert [r["section"] for r in by] == [
        "organisation", "unit", "unit", "organization", "pair", "pair", "bridge", "breadth",
        "breadth",
    ]  # fmt: skip
    assert (by[0]["ei"], by[0]["ei_expected"]) == ("0.1", "0.8")
    assert by[1]["name"] == "'=HYPERLINK(1)"
    assert (by[1]["ei"], by[1]["ei_expected"], by[1]["ei_weighted"]) == ("-0.5", "0.6", "-0.25")
    assert (by[1]["people"], by[1]["island"], by[2]["island"]) == ("6", "false", "true")
    assert (by[4]["name"], by[4]["to_name"], by[4]["interactions"]) == (
        "'=HYPERLINK(1)",
        "Sales",
        "9",
    )
    assert (by[5]["name"], by[5]["to_name"]) == ("Acme", "Sales")
    assert (by[6]["id"], by[6]["name"], by[6]["unit"], by[6]["units_reached"]) == (
        "", "", "Sales", "3",
    )  # fmt: skip
    assert (by[7]["silos"], by[7]["people"], by[8]["silos"], by[8]["people"]) == (
        "0", "12", "5+", "",
    )  # fmt: skip


def test_adoption_carries_every_figure_of_the_view() -> None:
    whole = ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    week = {"period": "2026-W10", "start": "2026-03-02T00:00:00Z", "end": "2026-03-09T00:00:00Z"}
    month = {"period": "2026-03", "start": whole[0], "end": whole[1]}
    questions = {"asked": 6, "answered": None, "median_first_answer_seconds": 120.0, "askers": 6}
    data = {
        "from": whole[0],
        "to": whole[1],
        "timezone": "Europe/Berlin",
        "members": 30,
        "active": 25,
        "contributors": 20,
        "participation": 0.8,
        "split": {
            "readers": 5,
            "occasional": None,
            "regular": None,
            "shares": {"readers": 0.2, "occasional": None, "regular": None},
        },
        "dau_mau": 0.05,
        "health_index": 0.8,
        "windows": {
            "month": {"from": "2026-03-02T00:00:00Z", "to": whole[1]},
            "year": {"from": "2025-04-01T00:00:00Z", "to": whole[1]},
        },
        "personas": {
            "engager": 5,
            "catalyst": None,
            "responder": None,
            "broadcaster": 5,
            "observer": 5,
        },
        "questions": questions | {"suppressed": False},
        "questions_by_externals": dict.fromkeys(questions) | {"suppressed": True},
        "weekly": [week | {"active": 3, "contributors": None, "partial": False}],
        "monthly": [month | {"active": 25, "contributors": 20, "partial": True}],
    }
    rows = _rows(adoption_csv(data))
    assert rows[0] == ["section", "figure", "period", "start", "end", "value", "partial"]
    values = {(r[0], r[1], r[2]): r[5] for r in rows[1:]}
    assert all(r[3:5] == list(whole) for r in rows[1:6])  # the headline: the whole range
    assert {k[1]: v for k, v in values.items() if k[0] == "headline"} == {
        "timezone": "Europe/Berlin",
        "members": "30",
        "active": "25",
        "contributors": "20",
        "participation": "0.8",
    }
    assert {k[1]: v for k, v in values.items() if k[0] == "split"} == {
        "readers": "5",
        "readers_share": "0.2",
        "occasional": "",
        "occasional_share": "",
        "regular": "",
        "regular_share": "",
    }
    rates = [r for r in rows if r[0] == "rates"]
    assert rates == [
        ["rates", "dau_mau", "", "2026-03-02T00:00:00Z", whole[1], "0.05", ""],
        ["rates", "health_index", "", "2025-04-01T00:00:00Z", whole[1], "0.8", ""],
    ]
    assert [values["personas", p, ""] for p in data["personas"]] == ["5", "", "", "5", "5"]
    assert [values["questions", k, ""] for k in questions] == ["6", "", "120.0", "6"]
    assert [values["questions_by_externals", k, ""] for k in questions] == [""] * 4
    assert rows[-4:] == [
        ["weekly", "active", "2026-W10", week["start"], week["end"], "3", "false"],
        ["weekly", "contributors", "2026-W10", week["start"], week["end"], "", "false"],
        ["monthly", "active", "2026-03", whole[0], whole[1], "25", "true"],
        ["monthly", "contributors", "2026-03", whole[0], whole[1], "20", "true"],
    ]
