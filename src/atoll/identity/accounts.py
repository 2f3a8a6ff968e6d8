"""Who an identity provider's account signs in as, for OIDC and SAML alike: the person linked
to it, else the person with its verified e-mail address (then linked), else a new member made
just in time from its claims — name, e-mail, title, unit (by the claim
``ATOLL_SSO_UNIT_CLAIM``) and groups that join spaces (``ATOLL_SSO_GROUP_SPACES``, or a group
named like a space's slug). Refused, with nothing created: an address without a verified
e-mail, a domain not in ``ATOLL_SSO_ALLOWED_DOMAINS``, a deactivated person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.identity.models import SsoLink
from atoll.kit.errors import Forbidden
from atoll.kit.settings import Settings
from atoll.org.service import child_path, do_create_unit, root_unit
from atoll.people.models import Person, Unit
from atoll.people.passwords import Hashing
from atoll.people.service import check_email, do_create_person
from atoll.people.trail import record_person
from atoll.spaces.models import Space
from atoll.spaces.service import do_join_from_directory

from .oidc import SignInFailed

SSO = "single sign-on"  # who acted, in the audit log, when an identity provider did


@dataclass(frozen=True)
class Identity:
    """An account at an identity provider, as its claims (or attributes) describe it."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str
    title: str = ""
    unit_path: str = ""
    groups: tuple[str, ...] = ()


def _first(value: Any) -> str:
    """A claim's text: SAML attributes come as lists of values."""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value).strip() if value is not None else ""


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if isinstance(v, str | int))
    return ()


def identity_from_claims(
    settings: Settings, *, issuer: str, claims: Mapping[str, Any], email_verified: bool
) -> Identity:
    """The identity the claims describe, read as the settings say."""
    email = _first(claims.get("email"))
    name = _first(claims.get("name")) or " ".join(
        part
        for part in (_first(claims.get("given_name")), _first(claims.get("family_name")))
        if part
    )
    unit_claim = settings.sso_unit_claim
    return Identity(
        issuer=issuer,
        subject=_first(claims.get("sub")),
        email=email,
        email_verified=email_verified,
        name=name or email.partition("@")[0],
        title=_first(claims.get(settings.sso_title_claim)) if settings.sso_title_claim else "",
        unit_path=_first(claims.get(unit_claim)) if unit_claim else "",
        groups=_as_list(claims.get(settings.sso_groups_claim)) if settings.sso_groups_claim else (),
    )


def allowed_domains(settings: Settings) -> set[str]:
    return {
        d.strip().lower().lstrip("@") for d in settings.sso_allowed_domains.split(",") if d.strip()
    }


def check_identity(settings: Settings, identity: Identity) -> str:
    """The identity's e-mail address, normalised, when it may sign in through SSO."""
    if not identity.subject:
        raise SignInFailed("The identity provider did not say who signed in (no subject).")
    if not identity.email:
        raise SignInFailed("The identity provider did not share an e-mail address.")
    try:
        email = check_email(identity.email)
    except Exception:
        raise SignInFailed(f"{identity.email!r} is not an e-mail address.") from None
    if not identity.email_verified:
        raise Forbidden(
            f"Your identity provider has not verified the address {email}, so Atoll cannot "
            "sign you in with it. Verify it there, then try again."
        )
    domains = allowed_domains(settings)
    domain = email.rpartition("@")[2]
    if domains and domain not in domains:
        raise Forbidden(f"Addresses at {domain} cannot sign in to this Atoll.")
    return email


async def _unit_for(session: AsyncSession, path: str) -> int | None:
    """The unit at a path like "engineering/platform", each level matched whatever its case
    and created when missing; None for no path, or no organisation tree yet."""
    names = [part.strip() for part in path.strip().split("/") if part.strip()]
    unit = await root_unit(session)
    if not names or unit is None:
        return None
    known = {u.path.lower(): u for u in (await session.execute(select(Unit))).scalars()}
    for name in names:
        found = known.get(child_path(unit, name).lower())
        if found is None:
            found = await do_create_unit(
                session, actor=None, name=name, parent_id=unit.id, actor_label=SSO
            )
        unit = found
    return unit.id


def group_spaces(settings: Settings) -> dict[str, str]:
    """``ATOLL_SSO_GROUP_SPACES`` read: "group=slug, other=slug2" -> {group: slug}."""
    pairs = (entry.partition("=") for entry in settings.sso_group_spaces.split(","))
    return {g.strip(): s.strip() for g, _, s in pairs if g.strip() and s.strip()}


async def _join_group_spaces(
    session: AsyncSession, settings: Settings, *, person: Person, groups: Iterable[str]
) -> None:
    mapping = group_spaces(settings)
    slugs = {mapping.get(group, group) for group in groups}
    if not slugs:
        return
    spaces = list((await session.execute(select(Space).where(Space.slug.in_(slugs)))).scalars())
    await do_join_from_directory(session, person=person, spaces=spaces)


async def do_sso_sign_in(
    session: AsyncSession, settings: Settings, *, identity: Identity
) -> Person:
    """The person this identity signs in as (linked, matched by verified e-mail, or made now),
    after its group spaces are joined; Forbidden for a deactivated person."""
    email = check_identity(settings, identity)
    linked = await session.scalar(
        select(Person)
        .join(SsoLink, SsoLink.person_id == Person.id)
        .where(SsoLink.issuer == identity.issuer, SsoLink.subject == identity.subject[:255])
    )
    person = linked or await session.scalar(select(Person).where(Person.email == email))
    if person is not None and not person.is_active:
        raise Forbidden("This account is deactivated. Ask an administrator to reactivate it.")
    if person is None:
        person = await do_create_person(
            session,
            actor=None,
            hashing=Hashing.of(settings),
            name=identity.name[:200],
            email=email,
            title=identity.title[:200],
            unit_id=await _unit_for(session, identity.unit_path),
            actor_label=SSO,
        )
    if linked is None:
        session.add(
            SsoLink(
                issuer=identity.issuer[:500], subject=identity.subject[:255], person_id=person.id
            )
        )
        await session.flush()
        record_person(
            session,
            actor=None,
            action="person.sso_linked",
            person=person,
            label=SSO,
            issuer=identity.issuer[:500],
            subject=identity.subject[:255],
        )
    await _join_group_spaces(session, settings, person=person, groups=identity.groups)
    return person
