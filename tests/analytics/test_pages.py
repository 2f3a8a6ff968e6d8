"""The Analytics page and its CSV downloads: who may open them, the filters, the figures they
show, and readable answers to bad input."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.words import duration_text, share_text, stage_sentence
from atoll.conversations import reactions
from atoll.conversations import service as conversations
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from tests.analytics.helpers import org
from tests.factories import access_to, make_person
from tests.web.helpers import sign_in

NAMES = {"ana": "Ana </script><b>"}  # a name that would close the data island if not escaped
ISLAND = re.compile(r'<script type="application/json" id="analytics-data">(.*?)</script>', re.S)


def island(html: str) -> dict[str, Any]:
    match = ISLAND.search(html)
    assert match, "the page has no data island"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


async def world(db: AsyncSession) -> dict[str, Any]:
    """Six members in four silos and an external talk in a hybrid space: posts, comments and
    reactions made through the real services. Eli (Platform) talks with two people only."""
    units = await org(db)
    where = {"ana": "team", "bea": "emea", "cid": "apac", "dan": "apac", "eli": "platform"}
    people: dict[str, Person] = {
        name: await make_person(db, name=NAMES.get(name, name.title()), unit_id=units[unit].id)
        for name, unit in where.items()
    }
    people["fay"] = await make_person(db, name="Fay", unit_id=units["sales"].id)
    people["xan"] = await make_person(db, name="Xan", kind="external")
    others = [p.id for n, p in people.items() if n != "ana"]
    space = await spaces.do_create_space(
        db, actor=people["ana"], name="Guild", kind="hybrid", visibility="private", member_ids=[]
    )
    for person_id in others:
        await space_members.do_add_member(
            db, access=await access_to(db, people["ana"], space), person_id=person_id
        )
    await db.commit()

    async def say(author: str, *commenters: str, react: tuple[str, ...] = ()) -> None:
        post = await conversations.do_create_post(
            db, author=people[author], space=space, body=f"News from {author}"
        )
        for name in commenters:
            await conversations.do_comment(
                db, access=await access_to(db, people[name], space), post=post, body="Thanks"
            )
        for name in react:
            await reactions.do_react(
                db, access=await access_to(db, people[name], space), post=post, emoji="👍"
            )
        await db.commit()

    await say("ana", "bea", "cid", "dan", react=("fay", "xan"))
    await say("cid", "dan", "ana", react=("bea",))
    await say("eli", "fay", react=("ana",))
    admin = await make_person(db, name="Ada Admin", role="admin")
    analyst = await make_person(db, name="Ann Analyst")
    analyst.is_analyst = True
    member = await make_person(db, name="Mo Member")
    await db.commit()
    return {"units": units, "people": people, "admin": admin, "analyst": analyst, "member": member}


async def test_signed_out_people_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/analytics", "/analytics/value-matrix.csv"):
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=/analytics")


async def test_members_without_the_analyst_permission_are_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    member = await make_person(db, name="Mo Member")
    await sign_in(client, member.email)
    home = await client.get("/")
    assert 'href="/analytics"' not in home.text
    for path in ("/analytics", "/analytics/network.csv", "/analytics/adoption.csv?period=week"):
        answer = await client.get(path)
        assert answer.status_code == 403, path
        assert "Only administrators and analysts can open Analytics." in answer.text
        assert "text/html" in answer.headers["content-type"]
    api = await client.get("/api/v1/analytics/value-matrix")
    assert api.status_code == 403


async def test_an_analyst_sees_the_matrix_the_journey_the_network_and_adoption(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    w = await world(db)
    await sign_in(client, w["analyst"].email)
    assert 'href="/analytics"' in (await client.get("/")).text
    app.state.settings.ei_min_interactions = 1  # the small world has few repeated pairs
    try:
        page = await client.get("/analytics")
    finally:
        app.state.settings.ei_min_interactions = 2
    assert page.status_code == 200
    html = page.text
    assert "Value matrix" in html and "The journey" in html and "Who works with whom" in html
    assert "People who bridge silos" in html and "Adoption" in html
    data = island(html)
    matrix = data["matrix"]
    assert matrix["suppressed"] is False and matrix["people"] >= 5
    # Three posts, six comments, four reactions: each one row of the log; the grid counts
    # five comments and three reactions (posts are activity, and Fay, in Sales above the
    # silo level, is in no silo: her comment and reaction are reported apart).
    assert matrix["total"] == 5 + 3
    assert sum(c["interactions"] for c in matrix["cells"]) == matrix["total"]
    stage_words = {
        "operational": "operational-improvement",
        "cultural": "cultural-change",
        "transformation": "business-model-transformation",
    }[matrix["stage"]]
    assert f"Company is at the {stage_words} stage" in html
    # The row of the stage is highlighted in the grid, the others not.
    stage_scope = {"operational": "within", "cultural": "across", "transformation": "external"}
    highlighted = re.findall(r'<tr data-scope="(\w+)" class="is-stage">', html)
    assert highlighted == [stage_scope[matrix["stage"]]]
    assert len(re.findall(r'<td data-tie="(?:new|existing)">', html)) == 6
    # Every chart has a caption and a table for those who cannot see it.
    for chart in ("journey", "network", "active", "split", "personas"):
        assert f'aria-labelledby="{chart}-caption"' in html and f'id="{chart}-caption"' in html
    assert len(data["matrix"]["journey"]) >= 12
    assert {"units", "matrix", "bridges"} <= data["network"].keys()
    # At the division level Sales has five people: its cells are listed for screen readers.
    by_division = (await client.get("/analytics", params={"level": "1"})).text
    network = island(by_division)["network"]
    assert [u["name"] for u in network["units"]] == ["Sales"] and network["matrix"]
    pairs = re.search(r'<table id="pairs-table">.*?<tbody>(.*?)</tbody>', by_division, re.S)
    assert pairs and pairs.group(1).count("<tr>") == len(network["matrix"])
    assert "<td>Sales</td><td>Sales</td>" in pairs.group(1)
    adoption = data["adoption"]
    assert adoption["active"] >= 6 and adoption["timezone"] == "UTC"
    assert set(adoption["personas"]) == {
        "engager",
        "catalyst",
        "responder",
        "broadcaster",
        "observer",
    }
    # The new figures, each explained in one sentence.
    assert "<dt>DAU/MAU</dt>" in html and "<dt>Community Health Index</dt>" in html
    assert "on an average day of the last 30 days" in html
    assert "this share was active in the last 30 days" in html
    assert "contributing in at least half of the weeks of the period" in html
    assert "catalysts receive at least twice what they give" in html
    assert "Days, weeks and months are those of UTC." in html
    # Names are data, never markup: a name that closes the data island stays inside it.
    assert "</script><b>" not in html
    assert "Ana </script><b>" in [b["name"] for b in data["network"]["bridges"]]
    assert "Ana &lt;/script&gt;&lt;b&gt;" in html  # in the list of bridges
    # The scripts are static files (the policy allows no inline script).
    assert '<script src="/static/analytics.js" defer></script>' in html
    assert '<script src="/static/vendor/echarts.min.js" defer></script>' in html


async def test_the_page_shows_what_the_api_answers_for_the_same_filters(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    w = await world(db)
    await sign_in(client, w["admin"].email)
    unit = w["units"]["sales"]
    query = {"from": "2026-01-01", "to": "2027-12-31", "unit_id": str(unit.id), "period": "month"}
    data = island((await client.get("/analytics", params=query)).text)
    exact = {**query, "from": "2026-01-01T00:00:00Z", "to": "2028-01-01T00:00:00Z"}
    api = await client.get("/api/v1/analytics/value-matrix", params=exact)
    assert api.status_code == 200, api.text
    assert data["matrix"] == api.json()
    network = await client.get("/api/v1/analytics/network", params={**exact, "level": "2"})
    page_network = island((await client.get("/analytics", params={**query, "level": "2"})).text)
    assert page_network["network"] == network.json()


async def test_filters_change_the_figures(client: httpx.AsyncClient, db: AsyncSession) -> None:
    w = await world(db)
    await sign_in(client, w["admin"].email)
    weekly = await client.get("/analytics", params={"period": "week", "from": "2026-01-01"})
    assert weekly.status_code == 200
    journey = island(weekly.text)["matrix"]["journey"]
    assert journey and all(re.fullmatch(r"\d{4}-W\d\d", p["period"]) for p in journey)
    assert 'value="week" selected' in weekly.text
    months = await client.get("/analytics", params={"from": "2026-01", "to": "2026-03"})
    assert 'name="from" value="2026-01-01"' in months.text
    assert 'name="to" value="2026-03-31"' in months.text
    assert [p["period"] for p in island(months.text)["matrix"]["journey"]] == [
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    deep = await client.get("/analytics", params={"level": "7"})
    assert deep.status_code == 200 and '<option value="7" selected>Level 7</option>' in deep.text
    # A unit whose people talked with too few others: the figures are withheld, and said so.
    platform = w["units"]["platform"]
    small = await client.get("/analytics", params={"unit_id": str(platform.id)})
    assert small.status_code == 200
    assert island(small.text)["matrix"]["suppressed"] is True
    assert "Figures for Platform are hidden: fewer than 5 people were involved" in small.text
    assert f'<option value="{platform.id}" selected>' in small.text
    # The range: nothing happened in 2020.
    empty = await client.get("/analytics", params={"from": "2020-01-01", "to": "2020-12-31"})
    assert island(empty.text)["matrix"]["total"] == 0  # about no one: nothing to withhold
    assert "hidden" in empty.text


async def test_presets_and_download_links_keep_the_filters(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    units = await org(db)
    await sign_in(client, admin.email)
    html = (
        await client.get("/analytics", params={"unit_id": str(units["emea"].id), "period": "week"})
    ).text
    for view in ("value-matrix", "network", "adoption"):
        link = re.search(rf'href="/analytics/{view}\.csv\?([^"]+)"', html)
        assert link, view
        assert f"unit_id={units['emea'].id}" in link.group(1) and "period=week" in link.group(1)
    presets = re.findall(r'<a href="/analytics\?([^"]+)" data-preset="Last (\d+) months">', html)
    assert [n for _, n in presets] == ["3", "6", "12"]
    assert all("period=week" in qs for qs, _ in presets)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_csv_downloads(client: httpx.AsyncClient, db: AsyncSession) -> None:
    w = await world(db)
    await sign_in(client, w["analyst"].email)
    heads = {
        "value-matrix": ["section", "period", "start", "end", "partial", "scope", "tie"],
        "network": ["section", "id", "name", "to_id", "to_name", "people", "interactions"],
        "adoption": ["section", "figure", "period", "start", "end", "value", "partial"],
    }
    for view, head in heads.items():
        answer = await client.get(
            f"/analytics/{view}.csv", params={"from": "2026-01-01", "to": "2030-12-31"}
        )
        assert answer.status_code == 200, (view, answer.text)
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert answer.headers["content-disposition"] == (
            f'attachment; filename="atoll-{view}-2026-01-01-to-2030-12-31.csv"'
        )
        rows = _rows(answer.text)
        assert rows[0][: len(head)] == head
    matrix = _rows((await client.get("/analytics/value-matrix.csv?period=week")).text)
    periods = {row[1] for row in matrix[1:] if row[0] in ("journey", "range")}
    assert "total" in periods and all(p == "total" or "-W" in p for p in periods)
    total = [row for row in matrix[1:] if row[0] == "range"]
    assert len(total) == 6 and sum(int(row[7]) for row in total) == 5 + 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "from: must be a date like 2026-03-31"),
        ("to=2026-02-30", "to: must be a date like 2026-03-31"),
        ("from=2026-05-01&to=2026-04-01", "from: must be on or before the &#39;to&#39; date"),
        ("from=2010-01-01&to=2026-01-01", "from: the range can be at most five years long"),
        ("period=year", "period: must be &#39;month&#39; or &#39;week&#39;"),
        ("unit_id=999999", "unit_id: no such unit; choose one from the list"),
        ("unit_id=-1", "unit_id: no such unit; choose one from the list"),
        ("level=two", "level: must be a whole number"),
        ("level=11", "level: must be between 0 and 10"),
        ("from=" + "9" * 41, "from: String should have at most 40 characters"),
    ],
)
async def test_bad_filters_get_a_readable_422(
    client: httpx.AsyncClient, db: AsyncSession, query: str, message: str
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    await sign_in(client, admin.email)
    page = await client.get(f"/analytics?{query}")
    assert page.status_code == 422
    assert message in page.text
    download = await client.get(f"/analytics/network.csv?{query}")
    assert download.status_code == 422
    assert "text/html" in download.headers["content-type"] and message in download.text


async def test_an_unknown_download_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    await sign_in(client, admin.email)
    answer = await client.get("/analytics/everything.csv")
    assert answer.status_code == 404
    assert "There is no such download" in answer.text


async def test_bridges_go_unnamed_when_the_setting_hides_names(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    w = await world(db)
    await sign_in(client, w["admin"].email)
    settings = app.state.settings
    settings.analytics_show_names = False
    settings.ei_min_interactions = 1
    try:
        html = (await client.get("/analytics")).text
        api = (await client.get("/api/v1/analytics/network")).json()
    finally:
        settings.analytics_show_names = True
        settings.ei_min_interactions = 2
    bridges = island(html)["network"]["bridges"]
    assert bridges and all(b["name"] is None and b["person_id"] is None for b in bridges)
    assert api["bridges"] and all(b["person_id"] is None for b in api["bridges"])
    # No person is identified anywhere on the page: no id in the data, no link to a person.
    assert not re.search(r'"person_id":\s*"', html) and "/people/" not in html.split("<main")[-1]
    assert "Names hidden by the organisation's settings." in html
    listed = re.search(r'<ol class="bridges" id="bridges-list">(.*?)</ol>', html, re.S)
    assert listed and "Name hidden" in listed.group(1)
    assert "Cid" not in listed.group(1) and "Ana" not in listed.group(1)


def test_figures_read_as_words() -> None:
    assert [share_text(s) for s in (None, 0, 0.004, 0.053, 0.125, 0.22, 1)] == [
        "—",
        "0 %",
        "0.4 %",
        "5.3 %",
        "13 %",
        "22 %",
        "100 %",
    ]
    assert [duration_text(s) for s in (None, 20, 90, 5400, 7200, 90000, 172800)] == [
        "no answers yet",
        "20 s",
        "2 min",
        "1 h 30 min",
        "2 h",
        "25 h",
        "2 d",
    ]


@pytest.mark.parametrize(
    ("shares", "stage", "sentence"),
    [
        (
            (0.7, 0.22, 0.08),
            "transformation",
            "Northwind is at the business-model-transformation stage: 22 % of interactions "
            "cross silos and 8 % are with external parties (thresholds 15 % and 5 %).",
        ),
        (
            (0.7, 0.22, 0.02),
            "cultural",
            "Northwind is at the cultural-change stage: 22 % of interactions cross silos "
            "(threshold 15 %); 2 % are with external parties, transformation needs 5 %.",
        ),
        (
            (0.9, 0.08, 0.02),
            "operational",
            "Northwind is at the operational-improvement stage: 8 % of interactions cross "
            "silos; cultural change starts at 15 %.",
        ),
    ],
)
def test_the_stage_sentence(shares: tuple[float, ...], stage: str, sentence: str) -> None:
    cells = [
        {"scope": scope, "tie": tie, "share": share / 2}
        for scope, share in zip(("within", "across", "external"), shares, strict=True)
        for tie in ("existing", "new")
    ]
    matrix = {
        "suppressed": False,
        "total": 100,
        "stage": stage,
        "cells": cells,
        "thresholds": {"across": 0.15, "external": 0.05},
    }
    assert stage_sentence(matrix, "Northwind") == sentence
    assert (
        stage_sentence({**matrix, "total": 0}, "Sales")
        == "No interactions in Sales in this period."
    )
    hidden = stage_sentence({**matrix, "suppressed": True}, "Sales")
    assert (
        hidden == "Figures for Sales are hidden: fewer than 5 people were involved in this period."
    )


async def test_a_new_organisation_gets_empty_states(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    await sign_in(client, admin.email)
    page = await client.get("/analytics")
    assert page.status_code == 200
    assert "No interactions in the organisation in this period." in page.text
    assert "No one lies between other people in this period." in page.text
    assert "No ties between people of the units shown in this period." in page.text
    assert "Readers and contributors are hidden: fewer than 5 people were active." in page.text
    assert island(page.text)["network"]["units"] == []
