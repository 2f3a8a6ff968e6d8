"""The SCIM filter and path parser on its own: precedence, values, paths with filters and
extension URNs, and the errors it raises."""

from __future__ import annotations

import pytest

from atoll.identity.scim_errors import ScimError
from atoll.identity.scim_filter import (
    Compare,
    Logic,
    Not,
    Path,
    ValuePath,
    matches,
    parse_filter,
    parse_path,
)


def test_and_binds_tighter_than_or_and_parentheses_group() -> None:
    a, b, c = Compare("a", "eq", "1"), Compare("b", "eq", "2"), Compare("c", "eq", "3")
    assert parse_filter('a eq "1" or b eq "2" and c eq "3"') == Logic("or", a, Logic("and", b, c))
    assert parse_filter('(a eq "1" or b eq "2") and c eq "3"') == Logic("and", Logic("or", a, b), c)
    assert parse_filter('not (a eq "1")') == Not(a)


def test_values_and_names() -> None:
    assert parse_filter("active eq False") == Compare("active", "eq", False)
    assert parse_filter("meta.count gt 2.5") == Compare("meta.count", "gt", 2.5)
    assert parse_filter('userName EQ "a \\"b\\""') == Compare("username", "eq", 'a "b"')
    assert parse_filter("title pr") == Compare("title", "pr")
    assert parse_filter('emails[type eq "work"]') == ValuePath(
        "emails", Compare("type", "eq", "work")
    )


def test_paths() -> None:
    assert parse_path("name.givenName") == Path("name", None, "givenname")
    assert parse_path('emails[type eq "work"].value') == Path(
        "emails", Compare("type", "eq", "work"), "value"
    )
    department = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
    assert parse_path(department) == Path(department.lower())
    assert parse_path("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName") == Path(
        "name", None, "familyname"
    )


@pytest.mark.parametrize(
    "text", ["", "a eq", "a foo 1", '(a eq "1"', 'a eq "1")', "a eq unquoted", "x" * 3000]
)
def test_bad_filters(text: str) -> None:
    with pytest.raises(ScimError) as caught:
        parse_filter(text)
    assert caught.value.scim_type == "invalidFilter"


def test_bad_paths_are_invalid_path() -> None:
    for text in ("", 'emails[type eq "work"', 'emails[type eq "work"]value', "a b"):
        with pytest.raises(ScimError) as caught:
            parse_path(text)
        assert caught.value.scim_type == "invalidPath"


def test_matching_a_value_of_a_multi_valued_attribute() -> None:
    work = {"value": "Ana@Example.com", "type": "work", "primary": True}
    assert matches(parse_filter('type eq "WORK" and value ew "example.com"'), work)
    assert matches(parse_filter("primary eq true"), work)
    assert not matches(parse_filter('type eq "home" or not (value co "ana")'), work)
