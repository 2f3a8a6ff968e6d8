"""Who may see and change whom. Visibility is a SQL clause, joined into every people query."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from atoll.people.models import Person


def is_admin(viewer: Person | None) -> bool:
    return viewer is not None and viewer.role == "admin" and viewer.is_active


def visible_people(viewer: Person | None) -> ColumnElement[bool]:
    """Members see everyone; an external sees only themselves until spaces give them
    co-members (the spaces domain widens this clause when it lands)."""
    if viewer is None:
        return false()
    if is_admin(viewer):
        return true()
    if viewer.kind == "member":
        return Person.is_active.is_(True)
    return Person.id == viewer.id


def can_edit_profile(viewer: Person, person: Person) -> bool:
    return viewer.id == person.id or is_admin(viewer)


def can_administer_people(viewer: Person) -> bool:
    return is_admin(viewer)
