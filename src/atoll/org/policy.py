"""Who may read and change the organisation tree."""

from __future__ import annotations

from atoll.people.models import Person
from atoll.people.policy import can_see_org_chart


def can_see_tree(viewer: Person) -> bool:
    """The internal structure is for members; externals see the spaces they belong to."""
    return can_see_org_chart(viewer)


def can_change_tree(viewer: Person) -> bool:
    return viewer.role == "admin" and viewer.is_active
