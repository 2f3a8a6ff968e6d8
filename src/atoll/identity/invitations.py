"""Invitations by e-mail: administrators invite members and externals; the owners and
moderators of a hybrid space invite externals into it. The link in the e-mail is single-use
and expires (``ATOLL_INVITATION_DAYS``); it can be resent (a new link: the old one dies) and
revoked while pending. Accepting creates the account and puts the person straight into the
spaces they were invited to, in the name of whoever invited them (who must still be allowed
to add people there)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll import mail
from atoll.audit.service import record_audit
from atoll.identity import links
from atoll.identity.models import Invitation, InvitationSpace
from atoll.kit.errors import Conflict, Forbidden, Gone, Invalid, denied
from atoll.kit.ids import parse_id
from atoll.kit.pagination import clamp_limit, decode_cursor, encode_cursor
from atoll.kit.settings import Settings
from atoll.kit.text import clean_name
from atoll.kit.time import utcnow
from atoll.people import service as people
from atoll.people.models import Person
from atoll.people.passwords import Hashing, check_password
from atoll.people.policy import is_admin
from atoll.people.trail import actor_fields
from atoll.people.units import check_unit
from atoll.spaces import members, policy
from atoll.spaces.models import Space
from atoll.spaces.service import access_space

MAX_SPACES = 20
SPENT = (
    "This invitation has expired, was already used or was withdrawn. "
    "Ask whoever invited you for a new one."
)


@dataclass(frozen=True)
class Invited:
    """What an invitation is about, checked (``check_invitation``)."""

    email: str
    name: str
    kind: str
    organization: str | None
    relation: str | None
    unit_id: int | None
    spaces: list[Space]


def status_of(invitation: Invitation, now: datetime | None = None) -> str:
    """pending, accepted, revoked or expired."""
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= (now or utcnow()):
        return "expired"
    return "pending"


async def _spaces(session: AsyncSession, actor: Person, space_ids: list[str]) -> list[Space]:
    """The spaces named, each one the actor manages (404 for one they may not know)."""
    if len(space_ids) > MAX_SPACES:
        raise Invalid.field("space_ids", f"at most {MAX_SPACES} spaces")
    spaces: dict[int, Space] = {}
    for space_id in space_ids:
        access = await access_space(session, viewer=actor, space_id=space_id)
        if not access.can_manage:
            raise Forbidden(
                f"Only the owners and moderators of {access.space.name} invite into it."
            )
        if not policy.is_open_for_writing(access.space):
            raise Conflict(f"{access.space.name} is archived; nobody can be invited into it.")
        spaces[access.space.id] = access.space
    return list(spaces.values())


async def check_invitation(
    session: AsyncSession,
    *,
    actor: Person,
    email: str,
    name: str = "",
    kind: str = "member",
    organization: str | None = None,
    relation: str | None = None,
    unit_id: str | None = None,
    space_ids: list[str] | tuple[str, ...] = (),
) -> Invited:
    """Who may invite whom where: administrators anyone anywhere they may belong; the owners
    and moderators of hybrid spaces externals into those spaces, and nothing else."""
    admin = is_admin(actor)
    if not admin and (actor.kind != "member" or kind != "external" or not space_ids):
        raise Forbidden(
            "Only administrators invite members; the owners and moderators of a hybrid space "
            "invite external people into it."
        )
    email = people.check_email(email)
    kind, _, organization, relation = people.check_identity(
        kind=kind, role=None, organization=organization, relation=relation
    )
    if unit_id not in (None, "") and not admin:
        raise Forbidden("Only administrators place people in a unit.")
    unit = await check_unit(session, unit_id) if kind == "member" else None
    spaces = await _spaces(session, actor, list(dict.fromkeys(space_ids)))
    if kind == "external" and any(s.kind != "hybrid" for s in spaces):
        raise Invalid.field("space_ids", "external people can only join hybrid spaces")
    if await session.scalar(select(exists().where(Person.email == email))):
        raise Conflict(f"Someone already has the e-mail address {email}.")
    if await session.scalar(select(exists().where(Invitation.email == email, _pending()))):
        raise Conflict(f"{email} has a pending invitation already; resend it instead.")
    return Invited(email, clean_name(name)[:200], kind, organization, relation, unit, spaces)


def _pending(now: datetime | None = None) -> ColumnElement[bool]:
    return and_(
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > (now or utcnow()),
    )


async def do_invite(
    session: AsyncSession, settings: Settings, *, actor: Person, invited: Invited
) -> Invitation:
    """Record the invitation and e-mail its link (after the commit)."""
    now = utcnow()
    raw, digest = links.new_secret()
    invitation = Invitation(
        email=invited.email,
        name=invited.name,
        kind=invited.kind,
        organization=invited.organization,
        relation=invited.relation,
        unit_id=invited.unit_id,
        inviter_id=actor.id,
        token_hash=digest,
        created_at=now,
        sent_at=now,
        expires_at=now + timedelta(days=settings.invitation_days),
    )
    session.add(invitation)
    await session.flush()
    session.add_all(
        InvitationSpace(invitation_id=invitation.id, space_id=s.id) for s in invited.spaces
    )
    await session.flush()
    _record(
        session,
        actor,
        "invitation.sent",
        invitation,
        email=invitation.email,
        kind=invitation.kind,
        organization=invitation.organization,
        space_ids=[s.id for s in invited.spaces],
    )
    message = invitation_message(
        settings, invitation=invitation, inviter=actor, spaces=invited.spaces, secret=raw
    )
    mail.queue(session, message, about=invitation)
    return invitation


def _record(
    session: AsyncSession,
    actor: Person | None,
    action: str,
    invitation: Invitation,
    label: str = "",
    **detail: Any,
) -> None:
    record_audit(
        session,
        action=action,
        target_type="invitation",
        target_id=invitation.id,
        **actor_fields(actor, label),
        **detail,
    )


def accept_url(settings: Settings, secret: str) -> str:
    return mail.absolute(settings, f"/invitations/accept?token={secret}")


def invitation_message(
    settings: Settings,
    *,
    invitation: Invitation,
    inviter: Person,
    spaces: list[Space],
    secret: str,
) -> EmailMessage:
    where = " and ".join(s.name for s in spaces[:3]) + (" and more" if len(spaces) > 3 else "")
    subject = f"{inviter.name} invited you to {where or 'Atoll'}"
    greeting = f"Hello {invitation.name}," if invitation.name else "Hello,"
    into = f", to work together in {where}" if where else ""
    body = (
        f"{greeting}\n\n{inviter.name} invited you to join Atoll{into}.\n\n"
        f"Accept the invitation and choose your password here:\n{accept_url(settings, secret)}\n\n"
        f"The link works once, until {invitation.expires_at:%d %B %Y, %H:%M} UTC.\n\n"
        "If you do not know why you got this, ignore it: nothing happens without you.\n"
    )
    return mail.message(settings, to=invitation.email, subject=subject, body=body)


async def access_invitation(
    session: AsyncSession, *, actor: Person, invitation_id: str
) -> Invitation:
    """An invitation the actor sent (administrators: any), or 404."""
    iid = parse_id(invitation_id)
    stmt = select(Invitation).where(Invitation.id == iid)
    if not is_admin(actor):
        stmt = stmt.where(Invitation.inviter_id == actor.id)
    row = (await session.execute(stmt)).scalar_one_or_none() if iid is not None else None
    if row is None:
        raise denied("invitation", signed_in=True, may_know=False)
    return row


async def spaces_of(session: AsyncSession, invitation_ids: list[int]) -> dict[int, list[Space]]:
    found: dict[int, list[Space]] = {i: [] for i in invitation_ids}
    if invitation_ids:
        rows = await session.execute(
            select(InvitationSpace.invitation_id, Space)
            .join(Space, Space.id == InvitationSpace.space_id)
            .where(InvitationSpace.invitation_id.in_(invitation_ids))
            .order_by(Space.name)
        )
        for invitation_id, space in rows.tuples():
            found[invitation_id].append(space)
    return found


async def do_resend(
    session: AsyncSession, settings: Settings, *, actor: Person, invitation: Invitation
) -> Invitation:
    """A new link for a pending or expired invitation, e-mailed again; the old link dies."""
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise Conflict(f"This invitation was {status_of(invitation)}; it cannot be resent.")
    now = utcnow()
    raw, invitation.token_hash = links.new_secret()
    invitation.sent_at, invitation.expires_at = now, now + timedelta(days=settings.invitation_days)
    await session.flush()
    _record(session, actor, "invitation.resent", invitation, email=invitation.email)
    spaces = (await spaces_of(session, [invitation.id]))[invitation.id]
    message = invitation_message(
        settings, invitation=invitation, inviter=actor, spaces=spaces, secret=raw
    )
    mail.queue(session, message, about=invitation)
    return invitation


async def do_revoke(
    session: AsyncSession, *, invitation: Invitation, actor: Person | None = None
) -> None:
    """Withdraw an invitation that was not accepted: its link stops working at once."""
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was accepted already; deactivate the person instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        _record(session, actor, "invitation.revoked", invitation, email=invitation.email)
    await session.flush()


async def invitations_page(
    session: AsyncSession,
    *,
    actor: Person,
    cursor: str | None = None,
    limit: int | None = None,
    status: str | None = None,
) -> tuple[list[Invitation], str | None]:
    """What the actor sent (administrators: every invitation), newest first."""
    limit = clamp_limit(limit)
    stmt = select(Invitation).order_by(Invitation.id.desc()).limit(limit + 1)
    if not is_admin(actor):
        stmt = stmt.where(Invitation.inviter_id == actor.id)
    after = decode_cursor(cursor)
    if after is not None:
        last = parse_id(str(after[0]))
        if last is None:
            raise Invalid.field("cursor", "is not a cursor this server gave out")
        stmt = stmt.where(Invitation.id < last)
    if status:
        stmt = stmt.where(_status_clause(status))
    rows = list((await session.execute(stmt)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor([rows[-1].id]) if more else None


def _status_clause(status: str) -> ColumnElement[bool]:
    now = utcnow()
    clauses: dict[str, ColumnElement[bool]] = {
        "pending": _pending(now),
        "accepted": Invitation.accepted_at.is_not(None),
        "revoked": Invitation.revoked_at.is_not(None),
        "expired": and_(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at <= now,
        ),
    }
    if status not in clauses:
        raise Invalid.field("status", "must be pending, accepted, revoked or expired")
    return clauses[status]


async def pending_invitation(session: AsyncSession, *, secret: str) -> Invitation:
    """The invitation a link names if it can still be accepted; Gone otherwise."""
    row = (
        await session.execute(
            select(Invitation).where(
                Invitation.token_hash == links.digest(secret), _pending(utcnow())
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise Gone(SPENT)
    return row


async def _spend(session: AsyncSession, invitation: Invitation) -> None:
    """Mark the invitation accepted, in one statement, so that of two concurrent uses of one
    link only one goes on (Gone for the other)."""
    now = utcnow()
    spent = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, _pending(now))
        .values(accepted_at=now)
    )
    if not getattr(spent, "rowcount", 0):
        raise Gone(SPENT)


def uses_single_sign_on(settings: Settings, invitation: Invitation) -> bool:
    """Whether the invited person must arrive through single sign-on (``ATOLL_SSO_ONLY``
    keeps members off passwords) rather than choose a password."""
    return settings.sso_only and invitation.kind == "member"


async def do_accept(
    session: AsyncSession, settings: Settings, *, secret: str, name: str, password: str
) -> tuple[Person, list[Space]]:
    """Create the invited person's account with this name and password, spend the link, and
    put them in the spaces of the invitation; the spaces they joined."""
    check_password(password)
    invitation = await pending_invitation(session, secret=secret)
    if uses_single_sign_on(settings, invitation):
        raise Forbidden(
            f"Members sign in with {settings.oidc_provider_name} here: open the invitation's "
            "link in a browser and sign in with it to accept."
        )
    await _spend(session, invitation)
    person = await people.do_create_person(
        session,
        actor=None,
        hashing=Hashing.of(settings),
        email=invitation.email,
        name=name or invitation.name,
        password=password,
        kind=invitation.kind,
        unit_id=invitation.unit_id,
        organization=invitation.organization,
        relation=invitation.relation,
        actor_label="invitation",
    )
    invitation.person_id = person.id
    _record(session, person, "invitation.accepted", invitation, person_id=person.id)
    joined = await _join_spaces(session, invitation=invitation, person=person)
    return person, joined


async def do_accept_as(session: AsyncSession, *, secret: str, person: Person) -> list[Space]:
    """Accept an invitation as the person signed in (after single sign-on made their account,
    say): it must have been sent to their address. The spaces they joined."""
    invitation = await pending_invitation(session, secret=secret)
    if invitation.email != person.email:
        raise Forbidden(
            f"This invitation was sent to {invitation.email}, and you are signed in as "
            f"{person.email}. Sign out and open the link again."
        )
    await _spend(session, invitation)
    invitation.person_id = person.id
    _record(session, person, "invitation.accepted", invitation, person_id=person.id)
    return await _join_spaces(session, invitation=invitation, person=person)


async def _join_spaces(
    session: AsyncSession, *, invitation: Invitation, person: Person
) -> list[Space]:
    """Add the person to the invitation's spaces in the inviter's name, where the inviter may
    still add them (an inviter deactivated or no longer a manager since adds nobody)."""
    inviter = await session.get(Person, invitation.inviter_id) if invitation.inviter_id else None
    if inviter is None or not inviter.is_active:
        return []
    joined = []
    for space in (await spaces_of(session, [invitation.id]))[invitation.id]:
        role = await members.role_in(session, space_id=space.id, person=inviter)
        access = policy.space_access(inviter, space, role)
        if not (access.can_manage and access.writable and policy.may_belong(person, space)):
            continue
        await members.do_add_member(
            session, access=access, person_id=person.id, confirm_new_organization=True
        )
        joined.append(space)
    return joined
