"""SCIM Users and Groups: list (filter, paging, attributes), search (of one type, or of both at
``/.search``), read, create, replace, patch and delete. Each change is one transaction (the
request's); a PATCH is applied to the resource as the client sees it and then read like a PUT
(``scim_patch``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from atoll.http.request import DB, AppSettings
from atoll.kit.settings import Settings
from atoll.people.passwords import Hashing

from . import scim_groups as groups
from . import scim_user_writes as user_writes
from . import scim_users as users
from .scim_api import PREFIX, Client, ScimRoute, base_of, listing, read_json, scim
from .scim_filter import Resolve, across
from .scim_patch import apply_patch
from .scim_schemas import list_response
from .scim_tokens import label_of
from .scim_values import project

router = APIRouter(prefix=PREFIX, route_class=ScimRoute, tags=["scim"], include_in_schema=False)


def _shown(request: Request, resource: dict[str, Any]) -> dict[str, Any]:
    q = request.query_params
    return project(resource, q.get("attributes"), q.get("excludedAttributes"))


def _wants_members(params: dict[str, Any]) -> bool:
    """Whether the members of groups are asked for (loading them costs a query)."""
    names = [n.strip().lower() for n in (params.get("attributes") or "").split(",") if n.strip()]
    excluded = (params.get("excludedAttributes") or "").lower()
    if names:
        return any(n.split(":")[-1].startswith("members") for n in names)
    return "members" not in excluded


# --- Users and Groups at once ---------------------------------------------------------


@router.post("/.search")
async def search_everything(request: Request, _: Client, db: DB, settings: AppSettings) -> Response:
    """A search of every resource (RFC 7644 §3.4.3): the Users it finds, then the Groups, paged
    as one list. An attribute of one type only is, on the other, one without a value; the
    attributes asked for that a type lacks are left out of its resources."""
    params = listing(await read_json(request))
    base, start, count = base_of(settings), params["start"], params["count"]
    user_total, found = await _users(
        db, base, params, across(users.user_column, groups.group_column)
    )
    # the Groups' part of the page: after the Users' last one, or where the page starts past them
    rest = {**params, "start": max(1, start - user_total), "count": count - len(found)}
    group_total, more = await _groups(
        db, base, rest, across(groups.group_column, users.user_column)
    )
    return scim(list_response(found + more, total=user_total + group_total, start=start))


# --- Users ----------------------------------------------------------------------------


async def _users(
    db: DB, base: str, params: dict[str, Any], resolve: Resolve = users.user_column
) -> tuple[int, list[dict[str, Any]]]:
    """How many Users the search finds, and those of its page as the client asked for them."""
    total, rows = await users.users_page(
        db,
        filter_text=params["filter"],
        start=params["start"],
        count=params["count"],
        resolve=resolve,
    )
    found = [
        project(users.user_resource(p, r, base), params["attributes"], params["excludedAttributes"])
        for p, r in rows
    ]
    return total, found


async def _list_users(db: DB, settings: Settings, params: dict[str, Any]) -> Response:
    total, found = await _users(db, base_of(settings), params)
    return scim(list_response(found, total=total, start=params["start"]))


@router.get("/Users")
async def list_users(request: Request, _: Client, db: DB, settings: AppSettings) -> Response:
    return await _list_users(db, settings, listing(dict(request.query_params)))


@router.post("/Users/.search")
async def search_users(request: Request, _: Client, db: DB, settings: AppSettings) -> Response:
    return await _list_users(db, settings, listing(await read_json(request)))


@router.get("/Users/{user_id}")
async def get_user(
    user_id: str, request: Request, _: Client, db: DB, settings: AppSettings
) -> Response:
    person, row = await users.access_user(db, user_id)
    return scim(_shown(request, users.user_resource(person, row, base_of(settings))))


@router.post("/Users")
async def create_user(request: Request, client: Client, db: DB, settings: AppSettings) -> Response:
    state = users.parse_user(await read_json(request), current=None)
    person, row = await user_writes.do_create_user(
        db, state=state, hashing=Hashing.of(settings), actor_label=label_of(client)
    )
    resource = users.user_resource(person, row, base_of(settings))
    headers = {"Location": resource["meta"]["location"]}
    return scim(_shown(request, resource), 201, headers)


@router.put("/Users/{user_id}")
async def replace_user(
    user_id: str, request: Request, client: Client, db: DB, settings: AppSettings
) -> Response:
    person, row = await users.access_user(db, user_id)
    body = await read_json(request)
    state = users.parse_user(body, current=users.state_of(person, row))
    row, _changed = await user_writes.do_apply_user(
        db,
        person=person,
        row=row,
        state=state,
        hashing=Hashing.of(settings),
        actor_label=label_of(client),
    )
    return scim(_shown(request, users.user_resource(person, row, base_of(settings))))


@router.patch("/Users/{user_id}")
async def patch_user(
    user_id: str, request: Request, client: Client, db: DB, settings: AppSettings
) -> Response:
    person, row = await users.access_user(db, user_id)
    base = base_of(settings)
    current = users.user_resource(person, row, base)
    patched = apply_patch(current, await read_json(request), users.SHAPE)
    state = users.parse_user(patched, current=users.state_of(person, row))
    row, _changed = await user_writes.do_apply_user(
        db,
        person=person,
        row=row,
        state=state,
        hashing=Hashing.of(settings),
        actor_label=label_of(client),
    )
    return scim(_shown(request, users.user_resource(person, row, base)))


@router.delete("/Users/{user_id}", status_code=204)
async def delete_user(user_id: str, client: Client, db: DB, settings: AppSettings) -> Response:
    person, row = await users.access_user(db, user_id)
    await user_writes.do_delete_user(
        db, person=person, row=row, hashing=Hashing.of(settings), actor_label=label_of(client)
    )
    return Response(status_code=204)


# --- Groups ---------------------------------------------------------------------------


async def _groups(
    db: DB, base: str, params: dict[str, Any], resolve: Resolve = groups.group_column
) -> tuple[int, list[dict[str, Any]]]:
    total, rows = await groups.groups_page(
        db,
        filter_text=params["filter"],
        start=params["start"],
        count=params["count"],
        resolve=resolve,
    )
    members = await groups.members_of(db, [u.id for u, _ in rows]) if _wants_members(params) else {}
    found = [
        project(
            groups.group_resource(u, r, members.get(u.id), base),
            params["attributes"],
            params["excludedAttributes"],
        )
        for u, r in rows
    ]
    return total, found


async def _list_groups(db: DB, settings: Settings, params: dict[str, Any]) -> Response:
    total, found = await _groups(db, base_of(settings), params)
    return scim(list_response(found, total=total, start=params["start"]))


@router.get("/Groups")
async def list_groups(request: Request, _: Client, db: DB, settings: AppSettings) -> Response:
    return await _list_groups(db, settings, listing(dict(request.query_params)))


@router.post("/Groups/.search")
async def search_groups(request: Request, _: Client, db: DB, settings: AppSettings) -> Response:
    return await _list_groups(db, settings, listing(await read_json(request)))


async def _group(db: DB, unit_id: int, settings: Settings, request: Request) -> dict[str, Any]:
    unit, row = await groups.access_group(db, groups.group_id(unit_id))
    members = (await groups.members_of(db, [unit.id]))[unit.id]
    return _shown(request, groups.group_resource(unit, row, members, base_of(settings)))


@router.get("/Groups/{group_id}")
async def get_group(
    group_id: str, request: Request, _: Client, db: DB, settings: AppSettings
) -> Response:
    unit, row = await groups.access_group(db, group_id)
    members = None
    if _wants_members(dict(request.query_params)):
        members = (await groups.members_of(db, [unit.id]))[unit.id]
    return scim(_shown(request, groups.group_resource(unit, row, members, base_of(settings))))


@router.post("/Groups")
async def create_group(request: Request, client: Client, db: DB, settings: AppSettings) -> Response:
    state = groups.parse_group(await read_json(request))
    unit, _row = await groups.do_create_group(db, state=state, actor_label=label_of(client))
    resource = await _group(db, unit.id, settings, request)
    return scim(resource, 201, {"Location": resource["meta"]["location"]})


@router.put("/Groups/{group_id}")
async def replace_group(
    group_id: str, request: Request, client: Client, db: DB, settings: AppSettings
) -> Response:
    unit, row = await groups.access_group(db, group_id)
    state = groups.parse_group(await read_json(request))
    await groups.do_apply_group(db, unit=unit, row=row, state=state, actor_label=label_of(client))
    return scim(await _group(db, unit.id, settings, request))


@router.patch("/Groups/{group_id}")
async def patch_group(
    group_id: str, request: Request, client: Client, db: DB, settings: AppSettings
) -> Response:
    unit, row = await groups.access_group(db, group_id)
    members = (await groups.members_of(db, [unit.id]))[unit.id]
    current = groups.group_resource(unit, row, members, base_of(settings))
    patched = apply_patch(current, await read_json(request), groups.SHAPE)
    state = groups.parse_group(patched)
    await groups.do_apply_group(db, unit=unit, row=row, state=state, actor_label=label_of(client))
    return scim(await _group(db, unit.id, settings, request))


@router.delete("/Groups/{group_id}", status_code=204)
async def delete_group(group_id: str, client: Client, db: DB, settings: AppSettings) -> Response:
    unit, _row = await groups.access_group(db, group_id)
    await groups.do_delete_group(db, unit=unit, actor_label=label_of(client))
    return Response(status_code=204)
