"""The caller's own credentials, JSON: personal access tokens (``/me/tokens``) and the TOTP
second factor (``/me/totp``; an administrator resets someone's with
``DELETE /people/{id}/totp``). Listing and revoking tokens is ``/me/sessions`` (``api.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from atoll.http.client import client_address
from atoll.http.idempotency import IdempotentRoute, answer_holds_a_secret
from atoll.http.request import DB, AppSettings
from atoll.kit.time import rfc3339
from atoll.people import service, tokens, totp
from atoll.people.deps import CurrentCredential, Viewer, VisiblePeople
from atoll.people.schemas import (
    PersonalTokenIn,
    PersonalTokenOut,
    TotpCodeIn,
    TotpConfirmOut,
    TotpDisableIn,
    TotpSetupOut,
    TotpStatusOut,
)

router = APIRouter(tags=["people"], route_class=IdempotentRoute)


@router.post("/me/tokens", response_model=PersonalTokenOut, status_code=201)
@answer_holds_a_secret
async def create_personal_token(
    body: PersonalTokenIn, credential: CurrentCredential, db: DB, settings: AppSettings
) -> PersonalTokenOut:
    """Make a personal access token. Its secret is in this answer only. `read` allows safe
    methods; `write` every method; `admin` also its owner's administrator rights (only an
    administrator may ask for it). It ends after `expires_in_days` (null: `ATOLL_PAT_MAX_DAYS`)
    whether used or not. List and revoke it with `/me/sessions`."""
    started = await tokens.do_create_token(
        db,
        settings,
        credential=credential,
        name=body.name,
        scopes=body.scopes,
        expires_in_days=body.expires_in_days,
    )
    row = started.auth
    return PersonalTokenOut(
        id=str(row.id),
        token=started.secret,
        name=row.name,
        scopes=list(tokens.scopes_of(row) or ()),
        expires_at=rfc3339(row.expires_at) or "",
    )


@router.get("/me/totp", response_model=TotpStatusOut)
async def totp_status(viewer: Viewer, db: DB, settings: AppSettings) -> TotpStatusOut:
    """Whether the caller's two-step sign-in (TOTP) is on, and whether it is required."""
    state = await totp.status(db, person=viewer)
    return TotpStatusOut(
        enabled=state.enabled,
        required=settings.require_totp and bool(viewer.password_hash),
        recovery_codes_left=state.recovery_codes_left,
    )


@router.post("/me/totp/setup", response_model=TotpSetupOut, status_code=201)
@answer_holds_a_secret
async def totp_setup(viewer: Viewer, db: DB, settings: AppSettings) -> TotpSetupOut:
    """Begin setting up TOTP: a new secret and its `otpauth://` address for an authenticator
    app. It is not on until confirmed with a code (`/me/totp/confirm`); 409 when it is on."""
    setup = await totp.do_start_setup(db, settings, person=viewer)
    return TotpSetupOut(secret=setup.secret, uri=setup.uri)


@router.post("/me/totp/confirm", response_model=TotpConfirmOut)
@answer_holds_a_secret
async def totp_confirm(
    body: TotpCodeIn, viewer: Viewer, db: DB, settings: AppSettings
) -> TotpConfirmOut:
    """Turn TOTP on with a current code of the new secret. The answer holds ten single-use
    recovery codes, shown this once."""
    codes = await totp.do_confirm_setup(db, settings, person=viewer, code=body.code)
    return TotpConfirmOut(enabled=True, recovery_codes=codes)


@router.post("/me/totp/recovery-codes", response_model=TotpConfirmOut)
@answer_holds_a_secret
async def totp_new_recovery_codes(
    body: TotpCodeIn, request: Request, viewer: Viewer, db: DB, settings: AppSettings
) -> TotpConfirmOut:
    """Ten new recovery codes for a current code (or an unused recovery code); the old ones
    stop working. Shown this once."""
    codes = await totp.do_renew_recovery_codes(
        db, settings, person=viewer, code=body.code, address=client_address(request)
    )
    return TotpConfirmOut(enabled=True, recovery_codes=codes)


@router.post("/me/totp/disable", status_code=204)
async def totp_disable(
    body: TotpDisableIn, request: Request, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    """Turn TOTP off: your password and a current code (or a recovery code). A wrong one
    counts as a failed sign-in."""
    await totp.do_disable(
        db,
        settings,
        person=viewer,
        password=body.password,
        code=body.code,
        address=client_address(request),
    )
    return Response(status_code=204)


@router.delete("/people/{person_id}/totp", status_code=204)
async def reset_totp(person_id: str, viewer: Viewer, visible: VisiblePeople, db: DB) -> Response:
    """Administrators: turn a person's two-step sign-in off (a lost phone and lost recovery
    codes), so that they sign in with their password and set it up again."""
    person = await service.access_person(db, visible=visible, person_id=person_id)
    await totp.do_reset(db, actor=viewer, person=person)
    return Response(status_code=204)
