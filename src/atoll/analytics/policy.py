"""Who may see the organisation's analytics: administrators and people given the analyst
permission. Figures about a group of fewer than ``MIN_GROUP`` people are never shown."""

from __future__ import annotations

from atoll.people.models import Person
from atoll.people.policy import is_admin

MIN_GROUP = 5


def can_view_analytics(viewer: Person | None) -> bool:
    return viewer is not None and viewer.is_active and (is_admin(viewer) or viewer.is_analyst)


def may_show(people: int) -> bool:
    """A figure computed from this many distinct people may be shown."""
    return people >= MIN_GROUP
