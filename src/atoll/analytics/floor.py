"""The privacy floor: no figure about fewer than ``MIN_GROUP`` people is shown or derivable.

A count of 1 to ``MIN_GROUP - 1`` people is withheld (``None``). When the parts of a total
that is shown are withheld, more parts go with them (``withhold``) until the withheld ones add
up to ``MIN_GROUP`` or more: subtracting the shown parts from the total then gives only the
sum of several withheld parts, never one of them, and never a group under the floor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from atoll.analytics.policy import MIN_GROUP


def small(people: int | None) -> bool:
    """1 to ``MIN_GROUP - 1`` people: too few to show (zero is shown)."""
    return people is not None and 0 < people < MIN_GROUP


def shown(value: int) -> int | None:
    return None if small(value) else value


def withhold(
    parts: Mapping[str, int],
    *,
    also: Iterable[str] = (),
    first: Iterable[str] = (),
) -> dict[str, int | None]:
    """The parts of a shown total, each a count of people: those under the floor withheld,
    and the ``also`` ones (withheld for the sake of another figure), then the smallest others
    — among those named in ``first`` before the rest, and never an empty one while another
    will do — until what is withheld is at least two parts adding up to ``MIN_GROUP`` or
    more. A total under the floor withholds every part."""
    total = sum(parts.values())
    if small(total):
        return dict.fromkeys(parts)
    hidden = {k for k, v in parts.items() if small(v)} | set(also)
    if hidden:
        preferred = set(first)
        rest = sorted(
            (k for k in parts if k not in hidden),
            key=lambda k: (parts[k] == 0, k not in preferred, parts[k], k),
        )
        while rest and (len(hidden) < 2 or sum(parts[k] for k in hidden) < MIN_GROUP):
            hidden.add(rest.pop(0))
    return {k: None if k in hidden else v for k, v in parts.items()}
