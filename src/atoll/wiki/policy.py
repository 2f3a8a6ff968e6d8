"""Who reads and who edits a space's wiki.

Reading follows the space (``atoll.spaces.policy``): whoever may read the space's posts may
read its wiki, and an unreadable space's wiki does not exist for them (404). Editing:
- administrators always;
- otherwise only members of the space (a reader of an open or public space who has not
  joined may read but not edit);
- when the space sets ``wiki_moderators_only``, only its owners and moderators;
- externals (hybrid spaces) only when the space sets ``wiki_externals_may_edit``.
A page locked to moderators (``locked_at``) is edited, renamed, moved and deleted only by the
space's owners and moderators and administrators, who also lock and unlock it
(``can_lock``, ``may_edit_page``).
An archived space or a closed situation room is read-only for everyone (``is_open_for_writing``
in the spaces policy; the service answers that with a Conflict, as posts do).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from atoll.people.models import Person
from atoll.people.policy import is_admin
from atoll.spaces.models import Space
from atoll.spaces.policy import MANAGERS, can_read, is_open_for_writing, readable_space_ids
from atoll.wiki.models import WikiPage

__all__ = [
    "can_edit_wiki",
    "can_lock",
    "can_read",
    "may_edit_now",
    "may_edit_page",
    "readable_wiki_pages",
]


def can_edit_wiki(person: Person | None, space: Space, role: str | None) -> bool:
    """May this person change the wiki of this space (setting aside whether it is open)?"""
    if person is None or not person.is_active:
        return False
    if is_admin(person):
        return True
    if role is None:
        return False
    if person.kind == "external" and not space.wiki_externals_may_edit:
        return False
    if space.wiki_moderators_only:
        return role in MANAGERS
    return True


def can_lock(person: Person | None, role: str | None) -> bool:
    """The space's owners and moderators and administrators lock a page to themselves."""
    return person is not None and person.is_active and (is_admin(person) or role in MANAGERS)


def may_edit_page(person: Person | None, space: Space, role: str | None, page: WikiPage) -> bool:
    """``may_edit_now`` for this page: a locked page only for those who ``can_lock``."""
    if page.locked_at is not None and not can_lock(person, role):
        return False
    return may_edit_now(person, space, role)


def may_edit_now(person: Person | None, space: Space, role: str | None) -> bool:
    """``can_edit_wiki`` and the space is open for writing: show the edit buttons."""
    return is_open_for_writing(space) and can_edit_wiki(person, space, role)


def readable_wiki_pages(viewer: Person | None) -> ColumnElement[bool]:
    """Live wiki pages of the spaces the viewer may read (for search and other listings)."""
    return and_(WikiPage.deleted_at.is_(None), WikiPage.space_id.in_(readable_space_ids(viewer)))
