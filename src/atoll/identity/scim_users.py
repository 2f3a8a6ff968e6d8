"""SCIM Users ↔ people (RFC 7643 §4.1): a User is a person; ``userName`` is how the client
names them (usually their e-mail address), ``emails`` their e-mail, ``displayName`` (else
``name.formatted``, else given and family name) their name, ``title`` their title and
``active`` whether they may sign in. Changes go through the people service, as any other
change of a person does; a representation equal to what Atoll has writes nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from atoll.kit.errors import Invalid
from atoll.kit.ids import parse_id
from atoll.people.models import Person
from atoll.people.schemas import EMAIL_PATTERN
from atoll.people.service import check_email

from . import scim_values as values
from .models import ScimUser
from .scim_errors import invalid_syntax, invalid_value, not_found
from .scim_filter import Column, Resolve, parse_filter, strip_urn, to_sql
from .scim_patch import Shape
from .scim_schemas import ENTERPRISE, USER

EMAIL_RE = re.compile(EMAIL_PATTERN)
# Attributes of RFC 7643's User (and its enterprise extension) that Atoll accepts and does not
# keep: a client's default mapping may send them.
IGNORED = frozenset(
    {
        "nickname",
        "profileurl",
        "usertype",
        "preferredlanguage",
        "locale",
        "timezone",
        "password",
        "phonenumbers",
        "ims",
        "photos",
        "addresses",
        "groups",
        "entitlements",
        "roles",
        "x509certificates",
        ENTERPRISE.lower(),
    }
)
NAMES = {
    n.lower(): n
    for n in ("userName", "name", "displayName", "title", "active", "emails", "externalId")
}
SHAPE = Shape(
    names=NAMES, multi=frozenset({"emails"}), complex=frozenset({"name"}), ignored=IGNORED
)
NAME_PARTS = {"formatted", "givenname", "familyname", "middlename"}
NAME_IGNORED = {"middlename", "honorificprefix", "honorificsuffix"}
EMAIL_PARTS = {"value", "type", "primary", "display"}


@dataclass(frozen=True)
class UserState:
    """A User as SCIM sees it: what a PUT sets and a GET answers."""

    user_name: str
    email: str
    active: bool
    email_type: str | None = None
    email_primary: bool | None = None
    external_id: str | None = None
    display_name: str | None = None
    name_formatted: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    title: str | None = None

    def person_name(self, fallback: str) -> str:
        parts = " ".join(p for p in (self.given_name, self.family_name) if p)
        name = self.display_name or self.name_formatted or parts or fallback or self.user_name
        return name[:200]


def state_of(person: Person, row: ScimUser | None) -> UserState:
    if row is None:  # never provisioned: what Atoll knows of them
        return UserState(
            user_name=person.email,
            email=person.email,
            active=person.is_active,
            email_type="work",
            email_primary=True,
            display_name=person.name,
            name_formatted=person.name,
            title=person.title or None,
        )
    return UserState(
        user_name=row.user_name,
        email=person.email,
        active=person.is_active,
        email_type=row.email_type,
        email_primary=row.email_primary,
        external_id=row.external_id,
        display_name=row.display_name,
        name_formatted=row.name_formatted,
        given_name=row.given_name,
        family_name=row.family_name,
        title=person.title or None,
    )


def user_resource(person: Person, row: ScimUser | None, base: str) -> dict[str, Any]:
    state = state_of(person, row)
    doc: dict[str, Any] = {"schemas": [USER], "id": str(person.id)}
    if state.external_id:
        doc["externalId"] = state.external_id
    doc["userName"] = state.user_name
    name = {
        key: value
        for key, value in (
            ("formatted", state.name_formatted),
            ("familyName", state.family_name),
            ("givenName", state.given_name),
        )
        if value
    }
    if name:
        doc["name"] = name
    if state.display_name:
        doc["displayName"] = state.display_name
    if state.title:
        doc["title"] = state.title
    doc["active"] = state.active
    email: dict[str, Any] = {"value": state.email}
    if state.email_type:
        email["type"] = state.email_type
    if state.email_primary is not None:
        email["primary"] = state.email_primary
    doc["emails"] = [email]
    doc["meta"] = {
        "resourceType": "User",
        "created": values.iso(person.created_at),
        "lastModified": values.iso(person.updated_at),
        "location": f"{base}/Users/{person.id}",
    }
    return doc


def _fields(body: Any) -> dict[str, Any]:
    """The body's attributes by canonical name; an attribute no schema defines is an error."""
    if not isinstance(body, dict):
        raise invalid_syntax("send a User object")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or USER not in schemas):
        raise invalid_syntax(f"schemas must include {USER!r}")
    fields: dict[str, Any] = {}
    for key, value in body.items():
        name = strip_urn(str(key))
        if name in ("schemas", "id", "meta") or name in IGNORED:
            continue
        if name.startswith(ENTERPRISE.lower() + ":"):
            continue
        if name not in NAMES:
            raise invalid_syntax(f"User has no attribute {key!r}")
        fields[NAMES[name]] = value
    return fields


def _name_parts(value: Any) -> dict[str, str | None]:
    parts = values.obj(value, "name")
    unknown = set(parts) - NAME_PARTS - NAME_IGNORED
    if unknown:
        raise invalid_syntax(f"name has no sub-attribute {sorted(unknown)[0]!r}")
    return {
        "name_formatted": values.text(parts.get("formatted"), "name.formatted"),
        "given_name": values.text(parts.get("givenname"), "name.givenName"),
        "family_name": values.text(parts.get("familyname"), "name.familyName"),
    }


def _email(value: Any) -> tuple[str | None, str | None, bool | None]:
    """The one address Atoll keeps: the primary, else the work one, else the first."""
    emails = values.items(value, "emails")
    for item in emails:
        unknown = set(item) - EMAIL_PARTS
        if unknown:
            raise invalid_syntax(f"emails has no sub-attribute {sorted(unknown)[0]!r}")
    emails = [e for e in emails if e.get("value") not in (None, "")]
    if not emails:
        return None, None, None
    chosen = next(
        (e for e in emails if values.boolean(e.get("primary"), "emails.primary")),
        next((e for e in emails if str(e.get("type", "")).lower() == "work"), emails[0]),
    )
    address = values.text(chosen.get("value"), "emails.value", max_len=320, clean=False)
    kind = values.text(chosen.get("type"), "emails.type", max_len=16)
    primary = values.boolean(chosen.get("primary"), "emails.primary")
    try:
        return check_email(address or ""), kind.lower() if kind else None, primary
    except Invalid as error:  # the people service's words, SCIM's way
        raise invalid_value(f"emails.value: {error.errors[0]['message']}") from error


def parse_user(body: Any, *, current: UserState | None) -> UserState:
    """The User a POST or PUT body (or a patched document) describes. Without ``active``, a new
    person is active and a known one stays as they are; without emails, a userName that is an
    e-mail address is their address, else the address they have."""
    fields = _fields(body)
    user_name = values.text(fields.get("userName"), "userName", max_len=320, clean=False)
    if not user_name:
        raise invalid_value("userName is required")
    email, email_type, primary = _email(fields.get("emails"))
    if email is None:
        if EMAIL_RE.match(user_name.lower()):
            email = check_email(user_name)
        elif current is not None:
            email, email_type, primary = current.email, current.email_type, current.email_primary
        else:
            raise invalid_value("emails: Atoll needs an e-mail address (or a userName that is one)")
    active = values.boolean(fields.get("active"), "active")
    if active is None:
        active = current.active if current is not None else True
    return UserState(
        user_name=user_name,
        email=email,
        active=active,
        email_type=email_type,
        email_primary=primary,
        external_id=values.text(fields.get("externalId"), "externalId", max_len=320, clean=False),
        display_name=values.text(fields.get("displayName"), "displayName"),
        title=values.text(fields.get("title"), "title"),
        **_name_parts(fields.get("name")),
    )


# --- finding users --------------------------------------------------------------------


def _linked(column: Any, default: Any) -> Any:
    """A SCIM attribute: the row's value, or the person's for someone never provisioned."""
    return case((ScimUser.person_id.is_(None), default), else_=column)


def _user_name_is(value: str) -> ColumnElement[bool]:
    """userName eq: the row's key, or the e-mail of someone without a row — two conditions
    on the person that each have an index (the lookup a provisioning client makes for
    everyone it syncs)."""
    key = value.lower()
    return or_(
        Person.id.in_(select(_NAMED.person_id).where(_NAMED.user_name_key == key)),
        and_(Person.email == key, ~exists().where(_LINKED.person_id == Person.id)),
    )


_NAMED = aliased(ScimUser, name="scim_named")  # not the outer query's row
_LINKED = aliased(ScimUser, name="scim_linked")


def user_column(attr: str) -> Column | None:
    """The SQL behind each attribute a filter may name."""
    return _USER_COLUMNS.get(attr)


def _user_columns() -> dict[str, Column]:
    return {
        "id": Column(Person.id, "id"),
        "username": Column(
            func.coalesce(ScimUser.user_name_key, Person.email), folded=True, equals=_user_name_is
        ),
        "emails": Column(Person.email, folded=True),
        "emails.value": Column(Person.email, folded=True),
        "emails.type": Column(_linked(ScimUser.email_type, "work")),
        "externalid": Column(ScimUser.external_id, exact=True),
        "displayname": Column(_linked(ScimUser.display_name, Person.name)),
        "name.formatted": Column(_linked(ScimUser.name_formatted, Person.name)),
        "name.givenname": Column(ScimUser.given_name),
        "name.familyname": Column(ScimUser.family_name),
        "title": Column(Person.title),
        "active": Column(Person.is_active, "bool"),
        "meta.resourcetype": Column(literal("User")),
    }


_USER_COLUMNS = _user_columns()


def _visible() -> ColumnElement[bool]:
    return ScimUser.deleted_at.is_(None)  # also true for people without a row (outer join)


async def users_page(
    session: AsyncSession,
    *,
    filter_text: str | None,
    start: int,
    count: int,
    resolve: Resolve = user_column,
) -> tuple[int, list[tuple[Person, ScimUser | None]]]:
    """One page of the Users a filter finds, in id order, and how many it finds in all."""
    where = _visible()
    if filter_text:
        where = and_(where, to_sql(parse_filter(filter_text), resolve))
    joined = select(Person, ScimUser).outerjoin(ScimUser, ScimUser.person_id == Person.id)
    rows: list[tuple[Person, ScimUser | None]] = []
    if count > 0:
        result = await session.execute(
            joined.where(where).order_by(Person.id).offset(start - 1).limit(count)
        )
        rows = [(p, r) for p, r in result.tuples().all()]
    if start == 1 and len(rows) < count:
        return len(rows), rows  # the whole answer is on this page: no need to count it
    total = await session.scalar(
        select(func.count())
        .select_from(Person)
        .outerjoin(ScimUser, ScimUser.person_id == Person.id)
        .where(where)
    )
    return int(total or 0), rows


async def access_user(session: AsyncSession, user_id: str) -> tuple[Person, ScimUser | None]:
    pid = parse_id(user_id)
    found = None
    if pid is not None:
        found = (
            await session.execute(
                select(Person, ScimUser)
                .outerjoin(ScimUser, ScimUser.person_id == Person.id)
                .where(Person.id == pid, _visible())
            )
        ).first()
    if found is None:
        raise not_found("User", user_id)
    return found[0], found[1]


# --- changing users -------------------------------------------------------------------
