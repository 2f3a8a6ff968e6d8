"""Identity JSON API: password reset by e-mail and invitations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from atoll.http.client import client_address
from atoll.http.idempotency import IdempotentRoute, answer_holds_a_secret
from atoll.http.request import DB, AppSettings
from atoll.identity import invitations, reset
from atoll.identity.models import Invitation
from atoll.identity.schemas import (
    AcceptIn,
    AcceptOut,
    InvitationIn,
    InvitationOut,
    ResetConfirmIn,
    ResetRequestIn,
    ResetRequestOut,
    Status,
)
from atoll.kit.pagination import MAX_LIMIT, Page
from atoll.kit.time import rfc3339
from atoll.people import auth
from atoll.people.deps import Viewer
from atoll.spaces.models import Space

router = APIRouter(tags=["identity"], route_class=IdempotentRoute)

RESET_SENT = (
    "If an account has this address, a link to choose a new password is on its way to it. "
    "It works once, within an hour."
)


@router.post("/auth/password-reset", status_code=202, response_model=ResetRequestOut)
async def request_reset(
    body: ResetRequestIn, request: Request, db: DB, settings: AppSettings
) -> ResetRequestOut:
    """E-mail a single-use link, valid one hour, that sets a new password. The answer is the
    same whether or not anyone has this address; 429 after repeated requests."""
    await reset.do_request_reset(db, settings, email=body.email, client=client_address(request))
    return ResetRequestOut(detail=RESET_SENT)


@router.post("/auth/password-reset/confirm", status_code=204)
async def confirm_reset(body: ResetConfirmIn, db: DB, settings: AppSettings) -> Response:
    """Set the new password with the link's token: every session and token of that person is
    signed out. 410 for a link that was used, has expired or is unknown."""
    await reset.do_confirm_reset(db, settings, secret=body.token, new_password=body.new_password)
    return Response(status_code=204)


def invitation_out(invitation: Invitation, spaces: list[Space]) -> InvitationOut:
    return InvitationOut(
        id=str(invitation.id),
        email=invitation.email,
        name=invitation.name,
        kind=invitation.kind,
        organization=invitation.organization,
        relation=invitation.relation,
        unit_id=str(invitation.unit_id) if invitation.unit_id is not None else None,
        space_ids=[str(s.id) for s in spaces],
        status=invitations.status_of(invitation),
        invited_by=str(invitation.inviter_id) if invitation.inviter_id is not None else None,
        created_at=rfc3339(invitation.created_at) or "",
        sent_at=rfc3339(invitation.sent_at) or "",
        expires_at=rfc3339(invitation.expires_at) or "",
        person_id=str(invitation.person_id) if invitation.person_id is not None else None,
    )


@router.post("/invitations", status_code=201, response_model=InvitationOut)
async def invite(
    body: InvitationIn, viewer: Viewer, db: DB, settings: AppSettings
) -> InvitationOut:
    """Administrators invite anyone, into any spaces; the owners and moderators of a hybrid
    space invite external people into it. The invited person gets an e-mail with a
    single-use link that expires after `ATOLL_INVITATION_DAYS`."""
    invited = await invitations.check_invitation(
        db,
        actor=viewer,
        email=body.email,
        name=body.name,
        kind=body.kind,
        organization=body.organization,
        relation=body.relation,
        unit_id=body.unit_id,
        space_ids=body.space_ids,
    )
    invitation = await invitations.do_invite(db, settings, actor=viewer, invited=invited)
    return invitation_out(invitation, invited.spaces)


@router.get("/invitations", response_model=Page[InvitationOut])
async def list_invitations(
    viewer: Viewer,
    db: DB,
    status: Status | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 25,
) -> Page[InvitationOut]:
    """The invitations the caller sent (administrators: all), newest first."""
    rows, next_cursor = await invitations.invitations_page(
        db, actor=viewer, cursor=cursor, limit=limit, status=status
    )
    spaces = await invitations.spaces_of(db, [r.id for r in rows])
    return Page(items=[invitation_out(r, spaces[r.id]) for r in rows], next_cursor=next_cursor)


@router.post("/invitations/accept", status_code=201, response_model=AcceptOut)
@answer_holds_a_secret
async def accept(body: AcceptIn, request: Request, db: DB, settings: AppSettings) -> AcceptOut:
    """Accept an invitation: the account is created with this name and password, joins the
    spaces it was invited to, and a bearer token is returned. 410 for a link that was used,
    has expired or was revoked."""
    person, joined = await invitations.do_accept(
        db, settings, secret=body.token, name=body.name, password=body.password
    )
    started = await auth.do_start_session(
        db,
        settings,
        person=person,
        kind=auth.TOKEN,
        user_agent=request.headers.get("user-agent", ""),
        address=client_address(request),
    )
    return AcceptOut(
        access_token=started.secret,
        expires_at=rfc3339(started.auth.expires_at) or "",
        person_id=str(person.id),
        space_ids=[str(s.id) for s in joined],
    )


@router.post("/invitations/{invitation_id}/resend", response_model=InvitationOut)
async def resend(
    invitation_id: str, viewer: Viewer, db: DB, settings: AppSettings
) -> InvitationOut:
    """E-mail a new link (valid `ATOLL_INVITATION_DAYS` again); the old link stops working."""
    invitation = await invitations.access_invitation(db, actor=viewer, invitation_id=invitation_id)
    await invitations.do_resend(db, settings, actor=viewer, invitation=invitation)
    spaces = await invitations.spaces_of(db, [invitation.id])
    return invitation_out(invitation, spaces[invitation.id])


@router.delete("/invitations/{invitation_id}", status_code=204)
async def revoke(invitation_id: str, viewer: Viewer, db: DB) -> Response:
    """Withdraw a pending invitation: its link answers 410 from now on."""
    invitation = await invitations.access_invitation(db, actor=viewer, invitation_id=invitation_id)
    await invitations.do_revoke(db, invitation=invitation, actor=viewer)
    return Response(status_code=204)
