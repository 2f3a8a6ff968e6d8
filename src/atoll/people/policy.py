"""Who may see and change whom. Visibility is a SQL clause, joined into every people query."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from atoll.people.models import Person


def is_admin(viewer: Person | None) -> bool:
    return viewer is not None and viewer.role == "admin" and viewer.is_active


def visible_people(viewer: Person | None) -> ColumnElement[bool]:
    """Members see everyone active; an external sees themselves and the co-members of their
    spaces (the spaces policy decides what sharing a space means)."""
    from atoll.spaces.policy import people_sharing_a_space_with

    if viewer is None:
        return false()
    if is_admin(viewer):
        return true()
    if viewer.kind == "member":
        return Person.is_active.is_(True)
    return or_(
        Person.id == viewer.id,
        and_(Person.is_active.is_(True), people_sharing_a_space_with(viewer)),
    )


def can_see_org_chart(viewer: Person) -> bool:
    """Members (administrators among them) see the organisation's structure: units, paths,
    who holds which role. Guests see names, titles and organisation badges."""
    return viewer.kind == "member"


def can_see_place(viewer: Person, person: Person) -> bool:
    """The person's role and unit: for members, and for a guest about themselves."""
    return can_see_org_chart(viewer) or viewer.id == person.id


def can_edit_profile(viewer: Person, person: Person) -> bool:
    return viewer.id == person.id or is_admin(viewer)


def can_administer_people(viewer: Person) -> bool:
    return is_admin(viewer)
