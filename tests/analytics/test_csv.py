"""CSV renderings: header rows, empty cells for withheld figures, no spreadsheet formulas."""

from __future__ import annotations

import csv
import io

from atoll.analytics.csv import adoption_csv, network_csv


def _rows(text: str) -> list[list[str]]:
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text)))


def test_network_names_units_and_defuses_formulas() -> None:
    data = {
        "units": [{"id": "1", "name": "=HYPERLINK(1)"}, {"id": "2", "name": "Sales"}],
        "matrix": [{"from_unit_id": "1", "to_unit_id": "2", "interactions": 9}],
    }
    assert _rows(network_csv(data)) == [
        ["from_unit_id", "from_unit", "to_unit_id", "to_unit", "interactions"],
        ["1", "'=HYPERLINK(1)", "2", "Sales", "9"],
    ]


def test_adoption_weekly_then_monthly() -> None:
    week = {"period": "2026-W10", "start": "2026-03-02T00:00:00Z", "active": 3}
    month = {"period": "2026-03", "start": "2026-03-01T00:00:00Z", "active": 40}
    data = {"weekly": [week | {"contributors": None}], "monthly": [month | {"contributors": 8}]}
    assert _rows(adoption_csv(data)) == [
        ["series", "period", "start", "active", "contributors"],
        ["weekly", "2026-W10", "2026-03-02T00:00:00Z", "3", ""],
        ["monthly", "2026-03", "2026-03-01T00:00:00Z", "40", "8"],
    ]
