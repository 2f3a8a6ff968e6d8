"""The Analytics page's words: the sentences and labels drawn on the server (the same as
``static/analytics.js`` draws when a filter changes)."""

from __future__ import annotations

import math
from typing import Any

from atoll.analytics.policy import MIN_GROUP
from atoll.org.models import Unit

SCOPES = (
    ("within", "Within a silo", "operational", "operational improvement"),
    ("across", "Across silos", "cultural", "cultural change"),
    ("external", "With external parties", "transformation", "business-model transformation"),
)
ADVICE_LINKS = {  # the words of each recommendation's link (also in static/analytics.js)
    "island": "Start a community",
    "inward": "See the unit",
    "external_questions": "Answer the first",
    "falling_community": "Open the community",
    "ready_outward": "Open a hybrid space",
    "not_ready": "See what would help",
}
STAGE_SCOPE = {stage: scope for scope, _, stage, _ in SCOPES}
STAGE_WORDS = {stage: words for _, _, stage, words in SCOPES}


def share_text(share: float | None) -> str:
    """22 % — or 0.4 % when small."""
    if share is None:
        return "—"
    percent = share * 100
    if percent == 0 or percent >= 10:
        return f"{math.floor(percent + 0.5)} %"  # half up, as the page's script rounds
    return f"{percent:.1f}".rstrip("0").rstrip(".") + " %"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "no answers yet"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min" if seconds >= 30 else f"{round(seconds)} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def row_shares(matrix: dict[str, Any]) -> dict[str, float]:
    shares = dict.fromkeys(STAGE_SCOPE.values(), 0.0)
    for cell in matrix["cells"]:
        shares[cell["scope"]] += cell["share"] or 0.0
    return shares


def stage_sentence(matrix: dict[str, Any], name: str) -> str:
    sentence = _stage_sentence(matrix, name)
    return sentence[:1].upper() + sentence[1:]


def _stage_sentence(matrix: dict[str, Any], name: str) -> str:
    """ "Northwind is at the cultural-change stage: 22 % of interactions cross silos
    (threshold 15 %); 3 % are with external parties, transformation needs 5 %." The stage is
    cumulative: transformation needs both thresholds."""
    if matrix["suppressed"]:
        return (
            f"Figures for {name} are hidden: fewer than {MIN_GROUP} people were involved "
            "in this period."
        )
    if not matrix["total"]:
        return f"No interactions in {name} in this period."
    stage = matrix["stage"]
    shares = row_shares(matrix)
    limits = matrix["thresholds"]
    across, external = share_text(shares["across"]), share_text(shares["external"])
    at = f"{name} is at the {STAGE_WORDS[stage].replace(' ', '-')} stage"
    if stage == "transformation":
        return (
            f"{at}: {across} of interactions cross silos and {external} are with external "
            f"parties (thresholds {share_text(limits['across'])} and "
            f"{share_text(limits['external'])})."
        )
    if stage == "cultural":
        return (
            f"{at}: {across} of interactions cross silos (threshold "
            f"{share_text(limits['across'])}); {external} are with external parties, "
            f"transformation needs {share_text(limits['external'])}."
        )
    return (
        f"{at}: {across} of interactions cross silos; cultural change starts at "
        f"{share_text(limits['across'])}."
    )


def apart_sentence(matrix: dict[str, Any]) -> str:
    """What the grid leaves out, said beside it."""
    apart = matrix["apart"]

    def told(figures: dict[str, Any], what: str) -> str:
        if figures["interactions"] is None:
            return f"{what}: hidden (fewer than {MIN_GROUP} people)"
        people = figures["people"]
        return (
            f"{what}: {figures['interactions']} ({people} {'person' if people == 1 else 'people'})"
        )

    return (
        "Not in the grid — "
        + told(apart["externals"], "interactions between externals")
        + "; "
        + told(apart["no_silo"], "of members in no silo")
        + "."
    )


def unit_options(units: list[Unit]) -> list[dict[str, Any]]:
    """The organisation tree as an indented list (a parent before its children)."""
    return [
        {"id": str(u.id), "label": "\u00a0\u00a0\u00a0" * max(u.level - 1, 0) + u.name}
        for u in units
        if u.parent_id is not None
    ]


def node_labels(network: dict[str, Any]) -> dict[str, str]:
    """The heatmap's nodes by id: the units (unique labels) and the organisations of
    externals, marked as such."""
    names = {u["id"]: u.get("label") or u["name"] or f"Unit {u['id']}" for u in network["units"]}
    for o in network.get("organizations", []):
        names[o["id"]] = f"{o['name']} (organisation)"
    return names


def unit_pairs(network: dict[str, Any]) -> list[dict[str, Any]]:
    """The heatmap's cells as rows, the busiest pair first, each with its share of the
    interactions of its row (what the heatmap shows by default)."""
    names = node_labels(network)
    cells = [(m["from_unit_id"], m["to_unit_id"], m["interactions"]) for m in network["matrix"]]
    cells += [
        (m["from_id"], m["to_id"], m["interactions"]) for m in network.get("organization_pairs", [])
    ]
    cells = [(a, b, n) for a, b, n in cells if a in names and b in names]
    rows: dict[str, int] = {}
    for a, _, n in cells:
        rows[a] = rows.get(a, 0) + n
    pairs = [
        {
            "from_name": names[a],
            "to_name": names[b],
            "interactions": n,
            "share": n / rows[a] if rows[a] else 0.0,
        }
        for a, b, n in cells
    ]
    return sorted(pairs, key=lambda p: -p["interactions"])


def signed(value: float | None) -> str:
    """+0.53, −0.85 (a true minus sign), — for none."""
    if value is None:
        return "—"
    text = f"{abs(value):.2f}"
    return ("−" if value < 0 and text != "0.00" else "+") + text


def ei_reading(ei: float | None, expected: float | None) -> str:
    """What an E-I index says next to its expected value under random mixing: never
    "outward" for a unit below what chance would give, whatever the sign."""
    if ei is None:
        return "no ties"
    if expected is None:
        return ""
    if ei < expected - 0.005:
        return "more inward than random mixing"
    if ei > expected + 0.005:
        return "more outward than random mixing"
    return "as random mixing would give"


def network_sentence(network: dict[str, Any], name: str) -> str:
    """The network's headline: the organisation's E-I beside its expected value."""
    if network.get("suppressed"):
        return (
            f"The network of {name} is hidden: fewer than {MIN_GROUP} of its people took "
            "part in this period."
        )
    ei, expected = network.get("ei_org"), network.get("ei_org_expected")
    if ei is None:
        return "No ties between people of the units shown in this period."
    return (
        f"E-I index {signed(ei)} (random mixing would give {signed(expected)}): people work "
        f"{ei_reading(ei, expected)}."
    )


def bridges_note(network: dict[str, Any]) -> str:
    """When the bridges were computed, and from how many people."""
    when = network.get("computed_at", "")
    moment = f"{when[:10]} {when[11:16]} UTC" if when else ""
    people, sources = network.get("betweenness_people", 0), network.get("betweenness_sources", 0)
    if not people:
        return f"Computed {moment}." if moment else ""
    if network.get("betweenness_sampled"):
        return (
            f"Estimated {moment} from the shortest paths starting at {sources:,} of the "
            f"{people:,} people, drawn at random."
        )
    return f"Computed {moment} from every shortest path between the {people:,} people."


def network_context(network: dict[str, Any], name: str) -> dict[str, Any]:
    """What the page's network and bridges sections read besides the figures."""
    return {
        "pairs": unit_pairs(network),
        "network_sentence": network_sentence(network, name),
        "bridges_note": bridges_note(network),
        "ei_reading": ei_reading,
        "signed": signed,
    }
