"""Who may edit a space's wiki: the rule table of ``can_edit_wiki`` and ``may_edit_now``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.spaces.models import Space
from atoll.wiki.policy import can_edit_wiki, may_edit_now


def _person(kind: str = "member", role: str = "member", active: bool = True) -> Person:
    return Person(id=1, name="P", email="p@example.com", kind=kind, role=role, is_active=active)


def _space(**settings: object) -> Space:
    values: dict[str, object] = {
        "kind": "hybrid",
        "visibility": "private",
        "wiki_moderators_only": False,
        "wiki_externals_may_edit": False,
        "archived_at": None,
        "closes_at": None,
    }
    values.update(settings)
    return Space(**values)


MEMBER, GUEST, ADMIN = _person(), _person("external", "guest"), _person(role="admin")


@pytest.mark.parametrize(
    ("person", "settings", "role", "allowed"),
    [
        (MEMBER, {}, "member", True),
        (MEMBER, {}, "moderator", True),
        (MEMBER, {}, None, False),  # a reader of an open space who has not joined
        (ADMIN, {}, None, True),
        (ADMIN, {"wiki_moderators_only": True}, None, True),
        (MEMBER, {"wiki_moderators_only": True}, "member", False),
        (MEMBER, {"wiki_moderators_only": True}, "moderator", True),
        (MEMBER, {"wiki_moderators_only": True}, "owner", True),
        (GUEST, {}, "member", False),
        (GUEST, {"wiki_externals_may_edit": True}, "member", True),
        (GUEST, {"wiki_externals_may_edit": True}, None, False),
        (GUEST, {"wiki_externals_may_edit": True, "wiki_moderators_only": True}, "member", False),
        (GUEST, {"wiki_externals_may_edit": True, "wiki_moderators_only": True}, "moderator", True),
        (GUEST, {"wiki_moderators_only": True}, "moderator", False),
        (None, {"kind": "public"}, None, False),
        (_person(active=False), {}, "owner", False),
    ],
)
def test_who_may_edit(
    person: Person | None, settings: dict[str, object], role: str | None, allowed: bool
) -> None:
    assert can_edit_wiki(person, _space(**settings), role) is allowed


@pytest.mark.parametrize(
    "settings",
    [
        {"archived_at": utcnow()},
        {"kind": "situation", "closes_at": utcnow() - timedelta(minutes=1)},
    ],
)
def test_read_only_spaces_are_edited_by_nobody(settings: dict[str, object]) -> None:
    space = _space(**settings)
    assert can_edit_wiki(ADMIN, space, "owner")  # the rule itself,
    assert not may_edit_now(ADMIN, space, "owner")  # but not now
    assert may_edit_now(
        ADMIN, _space(kind="situation", closes_at=utcnow() + timedelta(days=1)), None
    )
