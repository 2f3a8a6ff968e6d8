"""The people who bridge the organisation: betweenness centrality on the graph of members joined
by their ties (every tie, within a unit or across: at least ``min_interactions`` interactions
in the range), the length of a tie being 1 / its interactions (a strong tie is a short path).
A person's betweenness is the share of the shortest paths between two other people that run
through them (0 to 1).

It is computed with igraph (its C core computes weighted betweenness from a chosen subset of
sources): pure-Python betweenness (networkx) costs about 0.3 s per source person on 10,000
people and 60,000 ties, igraph about 4 ms; the sources are taken a few at a time, so that a
server computing it in housekeeping keeps answering in between. Up to ``EXACT_LIMIT`` people
every person is a source (exact); above, the figure is estimated from ``sources`` people
drawn with a fixed seed (Brandes & Pich), scaled to the whole graph, and the answer says from
how many.

Each bridge carries the unit they were last in (at the network's level) and the **units
reached**: the distinct units of the people they have a tie with, leaving out every unit they
were in themselves during the range. With a unit filter, the graph is the filtered network and
the bridges are the people of that unit."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from dataclasses import dataclass

import igraph

from atoll.analytics.network_rows import PairRow

BRIDGES = 20
EXACT_LIMIT = 1000  # people: every one a source
SEED = 7
CHUNK = 32  # sources per call: about 0.15 s on 10,000 people and 60,000 ties


@dataclass(frozen=True)
class Bridges:
    top: list[tuple[int, float]]  # (person, betweenness), the highest first
    people: int  # in the graph
    sources: int  # from which the betweenness was computed (people: exact)
    reached: dict[int, int]  # person → units reached


def _ties(pairs: list[PairRow], min_interactions: int) -> dict[tuple[int, int], int]:
    weight: dict[tuple[int, int], int] = defaultdict(int)
    for p in pairs:
        weight[(p.low, p.high)] += p.count
    return {pair: n for pair, n in weight.items() if n >= min_interactions}


async def betweenness(
    ties: dict[tuple[int, int], int], sources: int
) -> tuple[dict[int, float], int]:
    """Normalised betweenness of every person of the graph, and how many sources it used.
    Summed over ``CHUNK`` sources at a time, giving the event loop a turn in between."""
    people = sorted({p for pair in ties for p in pair})
    n = len(people)
    if n < 3:
        return dict.fromkeys(people, 0.0), n
    index = {person: i for i, person in enumerate(people)}
    graph = igraph.Graph(n=n, edges=[(index[a], index[b]) for a, b in ties])
    lengths = [1 / count for count in ties.values()]
    if n <= max(EXACT_LIMIT, sources):
        chosen, scale = list(range(n)), 1.0
    else:
        chosen, scale = random.Random(SEED).sample(range(n), sources), n / sources
    raw = [0.0] * n
    for first in range(0, len(chosen), CHUNK):
        part = graph.betweenness(
            directed=False, weights=lengths, sources=chosen[first : first + CHUNK]
        )
        raw = [a + b for a, b in zip(raw, part, strict=True)]
        await asyncio.sleep(0)
    pairs = (n - 1) * (n - 2) / 2
    return {people[i]: value * scale / pairs for i, value in enumerate(raw)}, len(chosen)


async def bridges(
    pairs: list[PairRow],
    *,
    min_interactions: int,
    sources: int,
    candidates: set[int] | None = None,
) -> Bridges:
    """The ``BRIDGES`` people with the highest betweenness above 0 (among ``candidates``, if
    given) and the units each reaches."""
    ties = _ties(pairs, min_interactions)
    scores, used = await betweenness(ties, sources)
    ranked = sorted(
        (
            (person, score)
            for person, score in scores.items()
            if score > 0 and (candidates is None or person in candidates)
        ),
        key=lambda item: (-item[1], item[0]),
    )
    top = ranked[:BRIDGES]
    return Bridges(top, len(scores), used, _reached(pairs, ties, {p for p, _ in top}))


def _reached(
    pairs: list[PairRow], ties: dict[tuple[int, int], int], people: set[int]
) -> dict[int, int]:
    own: dict[int, set[int]] = defaultdict(set)
    other: dict[int, set[int]] = defaultdict(set)
    for p in pairs:
        for me, mine, theirs in (
            (p.low, p.low_unit, p.high_unit),
            (p.high, p.high_unit, p.low_unit),
        ):
            if me not in people:
                continue
            if mine is not None:
                own[me].add(mine)
            if theirs is not None and (p.low, p.high) in ties:
                other[me].add(theirs)
    return {person: len(other[person] - own[person]) for person in people}
