"""Who may read and change the organisation tree.

Members (administrators among them) see the tree: its units, their paths and who sits where;
externals see the spaces they belong to instead. Administrators change it: add units, import
the org chart. Whoever may not gets 403 (the tree is no secret: everyone signed in knows
there is one). Routers ask ``access_tree``; the use cases ask ``can_change_tree``.
"""

from __future__ import annotations

from dataclasses import dataclass

from atoll.kit.errors import denied
from atoll.people.models import Person
from atoll.people.policy import can_see_org_chart, is_admin


def can_see_tree(viewer: Person) -> bool:
    """The internal structure is for members; externals see the spaces they belong to."""
    return can_see_org_chart(viewer)


def can_change_tree(viewer: Person) -> bool:
    """Administrators (active ones) add units and import the org chart."""
    return is_admin(viewer)


@dataclass(frozen=True)
class TreeAccess:
    """The organisation tree as one signed-in viewer may use it."""

    viewer: Person
    can_change: bool


def access_tree(viewer: Person, *, to_change: bool = False) -> TreeAccess:
    """The tree for ``viewer``, who may see it — and, ``to_change``, change it (403 if not)."""
    if not can_see_tree(viewer):
        raise denied(
            "organisation tree",
            signed_in=True,
            may_know=True,
            detail="The organisation tree is visible to members only.",
        )
    can_change = can_change_tree(viewer)
    if to_change and not can_change:
        raise denied(
            "organisation tree",
            signed_in=True,
            may_know=True,
            detail="Only administrators can change the organisation tree.",
        )
    return TreeAccess(viewer=viewer, can_change=can_change)
