"""People JSON API: tokens, me, the directory, profiles and admin changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from atoll.http.client import client_address
from atoll.http.idempotency import IdempotentRoute, answer_holds_a_secret
from atoll.http.request import DB, AppSettings
from atoll.kit.errors import Unauthorized
from atoll.kit.pagination import MAX_LIMIT, Page
from atoll.kit.time import rfc3339
from atoll.people import auth, service, tokens, totp
from atoll.people.deps import CurrentCredential, Viewer, VisiblePeople
from atoll.people.models import Person
from atoll.people.passwords import Hashing
from atoll.people.policy import can_see_place, is_admin
from atoll.people.schemas import (
    NO_NUL,
    PasswordChangeIn,
    PersonCreate,
    PersonOut,
    PersonPatch,
    SessionOut,
    TokenIn,
    TokenOut,
)

router = APIRouter(tags=["people"], route_class=IdempotentRoute)


def person_out(person: Person, skills: list[str], viewer: Person) -> PersonOut:
    """``is_analyst`` is told to administrators and to the person themselves only; ``role``
    and ``unit_id`` (the organisation chart) to members, and to a guest about themselves."""
    chart = can_see_place(viewer, person)
    return PersonOut(
        id=str(person.id),
        name=person.name,
        email=person.email,
        title=person.title,
        bio=person.bio,
        kind=person.kind,
        role=person.role if chart else None,
        unit_id=str(person.unit_id) if chart and person.unit_id is not None else None,
        organization=person.organization,
        relation=person.relation,
        skills=skills,
        is_active=person.is_active,
        is_analyst=person.is_analyst if is_admin(viewer) or viewer.id == person.id else None,
        coach_opt_in=person.coach_opt_in if is_admin(viewer) or viewer.id == person.id else None,
        manager_id=str(person.manager_id) if chart and person.manager_id is not None else None,
    )


async def _one(db: DB, person: Person, viewer: Person) -> PersonOut:
    skills = await service.skills_by_person(db, [person.id])
    return person_out(person, skills[person.id], viewer)


@router.post(
    "/auth/token",
    response_model=TokenOut,
)
@answer_holds_a_secret
async def create_token(body: TokenIn, request: Request, db: DB, settings: AppSettings) -> TokenOut:
    """Exchange an e-mail and password (and, with two-step sign-in on, a code as `totp`) for
    a bearer token with its owner's full power. It expires after
    `ATOLL_TOKEN_DAYS` without use (each use moves `expires_at` on); a person keeps at most
    `ATOLL_TOKENS_PER_PERSON` live tokens, the least recently used going first. Repeated
    failures, and many sign-ins from one address, are answered 429 with `Retry-After`."""
    address = client_address(request)
    person = await auth.do_sign_in(
        db, settings, email=body.email, password=body.password, address=address
    )
    if person is None:
        raise Unauthorized("Wrong e-mail or password.")
    await _second_step(db, settings, person=person, code=body.totp, address=address)
    started = await auth.do_start_session(
        db,
        settings,
        person=person,
        kind=auth.TOKEN,
        user_agent=request.headers.get("user-agent", ""),
        address=address,
    )
    return TokenOut(access_token=started.secret, expires_at=rfc3339(started.auth.expires_at) or "")


async def _second_step(
    db: DB, settings: AppSettings, *, person: Person, code: str | None, address: str
) -> None:
    """With TOTP on, the password is not enough: a code (``totp``) must come with it. The
    password's success is kept (committed) whatever follows, as on the sign-in page, so a
    wrong code counts once on the throttle, like a wrong password, and a missing one not."""
    if not await totp.is_on(db, person.id):
        return
    await db.commit()
    if not code:
        raise Unauthorized(
            'Two-step sign-in is on: send a code of your authenticator app as "totp".',
            errors=[{"field": "totp", "message": "a code is needed"}],
        )
    if not await totp.do_check_code(db, settings, person=person, code=code, address=address):
        raise Unauthorized(
            "Wrong or used code.", errors=[{"field": "totp", "message": "is not a valid code"}]
        )


@router.post("/auth/logout", status_code=204)
async def logout(credential: CurrentCredential, db: DB) -> Response:
    """Revoke the token or session used by this call; its open event streams end."""
    await auth.do_revoke(db, auth=credential.auth)
    return Response(status_code=204)


@router.get("/me", response_model=PersonOut)
async def me(viewer: Viewer, db: DB) -> PersonOut:
    return await _one(db, viewer, viewer)


@router.get("/people", response_model=Page[PersonOut])
async def list_people(
    viewer: Viewer,
    visible: VisiblePeople,
    db: DB,
    q: Annotated[str, Query(max_length=200, pattern=NO_NUL)] = "",
    unit_id: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
    skill: Annotated[str, Query(max_length=100, pattern=NO_NUL)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 25,
) -> Page[PersonOut]:
    """People the caller may see, in alphabetical order (a directory reads best that way)."""
    people, next_cursor = await service.people_page(
        db,
        viewer=viewer,
        visible=visible,
        q=q,
        unit_id=int(unit_id) if unit_id else None,
        skill=skill,
        cursor=cursor,
        limit=limit,
    )
    skills = await service.skills_by_person(db, [p.id for p in people])
    return Page(
        items=[person_out(p, skills[p.id], viewer) for p in people], next_cursor=next_cursor
    )


@router.get(
    "/people/{person_id}",
    response_model=PersonOut,
)
async def get_person(person_id: str, viewer: Viewer, visible: VisiblePeople, db: DB) -> PersonOut:
    person = await service.access_person(db, visible=visible, person_id=person_id)
    return await _one(db, person, viewer)


@router.post(
    "/people",
    response_model=PersonOut,
    status_code=201,
)
async def create_person(
    body: PersonCreate, viewer: Viewer, db: DB, settings: AppSettings
) -> PersonOut:
    hashing = Hashing.of(settings)
    person = await service.do_create_person(db, actor=viewer, hashing=hashing, **body.model_dump())
    return await _one(db, person, viewer)


@router.patch(
    "/people/{person_id}",
    response_model=PersonOut,
)
async def update_person(
    person_id: str,
    body: PersonPatch,
    viewer: Viewer,
    visible: VisiblePeople,
    db: DB,
    settings: AppSettings,
) -> PersonOut:
    person = await service.access_person(db, visible=visible, person_id=person_id)
    changes = body.model_dump(exclude_unset=True)
    person = await service.do_update_person(
        db, actor=viewer, person=person, changes=changes, hashing=Hashing.of(settings)
    )
    return await _one(db, person, viewer)


@router.post("/people/{person_id}/deactivate", response_model=PersonOut)
async def deactivate_person(
    person_id: str, viewer: Viewer, visible: VisiblePeople, db: DB, settings: AppSettings
) -> PersonOut:
    """Administrators: the person is signed out everywhere (their open event streams end) and
    can no longer sign in; what they wrote stays, shown as a former member's. They get no
    notifications, cannot be mentioned and are not suggested. The last active administrator
    cannot be deactivated (409)."""
    person = await service.access_person(db, visible=visible, person_id=person_id)
    await service.do_set_active(
        db, actor=viewer, person=person, active=False, hashing=Hashing.of(settings)
    )
    return await _one(db, person, viewer)


@router.post("/people/{person_id}/reactivate", response_model=PersonOut)
async def reactivate_person(
    person_id: str, viewer: Viewer, visible: VisiblePeople, db: DB, settings: AppSettings
) -> PersonOut:
    """Administrators: the person may sign in again (with a new sign-in: every old one was
    revoked) and is back in the directory, suggestions and notifications."""
    person = await service.access_person(db, visible=visible, person_id=person_id)
    await service.do_set_active(
        db, actor=viewer, person=person, active=True, hashing=Hashing.of(settings)
    )
    return await _one(db, person, viewer)


@router.get("/me/sessions", response_model=list[SessionOut])
async def my_sessions(credential: CurrentCredential, db: DB) -> list[SessionOut]:
    """The caller's live browser sessions and API tokens (at most 200, most recent first)."""
    rows = await auth.live_sessions(db, person=credential.person)
    return [
        SessionOut(
            id=str(row.id),
            kind="session" if row.kind == auth.SESSION else "token",
            name=row.name,
            scopes=tokens.scopes_of(row),
            created_at=rfc3339(row.created_at) or "",
            last_seen_at=rfc3339(row.last_seen_at) or "",
            last_used_at=rfc3339(row.last_seen_at) or "",
            expires_at=rfc3339(row.expires_at) or "",
            user_agent=row.user_agent,
            address=row.address,
            current=row.id == credential.auth.id,
        )
        for row in rows
    ]


@router.delete("/me/sessions/{session_id}", status_code=204)
async def revoke_my_session(session_id: str, credential: CurrentCredential, db: DB) -> Response:
    """Sign out one of the caller's sessions or tokens (the one in use included)."""
    await auth.do_revoke_own(db, person=credential.person, auth_id=session_id)
    return Response(status_code=204)


@router.post("/me/password", status_code=204)
async def change_my_password(
    body: PasswordChangeIn,
    request: Request,
    credential: CurrentCredential,
    db: DB,
    settings: AppSettings,
) -> Response:
    """Change your own password (the current one is required); every other session and token
    of yours is signed out. A wrong current password counts as a failed sign-in."""
    await auth.do_change_password(
        db,
        settings,
        credential=credential,
        current=body.current_password,
        new=body.new_password,
        address=client_address(request),
    )
    return Response(status_code=204)
