"""SCIM 2.0 at ``/scim/v2`` (RFC 7644), for provisioning clients such as Entra ID and Okta: the
client's token, the answers' format, and discovery. Users and Groups are served by
``scim_endpoints``, whose router is included before this one (this one ends with the answers
to paths no route serves). A client presents a bearer token made by ``atoll scim-token``;
every answer, errors included, is ``application/scim+json``."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from atoll.http.request import DB, AppSettings
from atoll.kit.errors import AtollError
from atoll.kit.time import utcnow

from . import scim_schemas as schemas
from .models import ScimToken
from .scim_errors import SCIM_JSON, ScimError, invalid_syntax, invalid_value, scim_response
from .scim_tokens import token_for

PREFIX = "/scim/v2"
DEFAULT_COUNT = 100
TOUCH_EVERY = timedelta(hours=1)  # how often a token's last use is written down


class ScimRoute(APIRoute):
    """Every failure of a SCIM route, whatever raised it, answered in SCIM's format. The
    failure is caught inside the request's dependencies (FastAPI runs this handler within
    them), so the request's transaction would not see it: it is rolled back here, and the
    dependency then commits nothing."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except AtollError as error:
                await _discard(request)
                return scim_response(error)
            except RequestValidationError as error:
                await _discard(request)
                detail = "; ".join(str(e.get("msg", "")) for e in error.errors()[:3])
                return scim_response(invalid_value(detail or "invalid request"))

        return handler


async def _discard(request: Request) -> None:
    session = getattr(request.state, "db_session", None)
    if session is not None:
        await session.rollback()


async def scim_client(request: Request, db: DB) -> ScimToken:
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ScimError(401, "Send Authorization: Bearer <token>, a token from `atoll scim-token`.")
    token = await token_for(db, raw.strip())
    if token is None:
        raise ScimError(401, "This SCIM token is unknown or revoked.")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        token.last_used_at = now
    return token


Client = Annotated[ScimToken, Depends(scim_client)]
router = APIRouter(prefix=PREFIX, route_class=ScimRoute, tags=["scim"], include_in_schema=False)


def base_of(settings: Any) -> str:
    return str(settings.base_url).rstrip("/") + PREFIX


def scim(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=SCIM_JSON, headers=headers)


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise invalid_syntax("the request needs a JSON body")
    try:
        return json.loads(raw)
    except ValueError:
        raise invalid_syntax("the body is not valid JSON") from None


def _int(value: Any, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(str(value))
    except ValueError:
        raise invalid_value(f"{name} must be a whole number") from None


def _paging(start: Any, count: Any) -> tuple[int, int]:
    start_index = max(1, _int(start, "startIndex", 1))
    how_many = min(max(0, _int(count, "count", DEFAULT_COUNT)), schemas.MAX_RESULTS)
    return start_index, how_many


def listing(params: Any) -> dict[str, Any]:
    """The query of a GET on a collection, or the body of a POST .search."""
    if not isinstance(params, dict):
        raise invalid_syntax("send a SearchRequest object")
    filter_text = params.get("filter")
    if filter_text is not None and not isinstance(filter_text, str):
        raise invalid_value("filter must be a string")
    attrs = {}
    for name in ("attributes", "excludedAttributes"):
        value = params.get(name)
        attrs[name] = ",".join(value) if isinstance(value, list) else value
    start, count = _paging(params.get("startIndex"), params.get("count"))
    return {"filter": filter_text, "start": start, "count": count, **attrs}


# --- discovery ------------------------------------------------------------------------


@router.get("/ServiceProviderConfig")
async def service_provider_config(_: Client, settings: AppSettings) -> Response:
    return scim(schemas.service_provider_config(base_of(settings)))


@router.get("/ResourceTypes")
async def resource_types(_: Client, settings: AppSettings) -> Response:
    return scim(schemas.list_response(schemas.resource_types(base_of(settings))))


@router.get("/ResourceTypes/{type_id}")
async def resource_type(type_id: str, _: Client, settings: AppSettings) -> Response:
    for item in schemas.resource_types(base_of(settings)):
        if item["id"] == type_id:
            return scim(item)
    raise ScimError(404, f"No resource type is called {type_id}.")


@router.get("/Schemas")
async def all_schemas(_: Client, settings: AppSettings) -> Response:
    return scim(schemas.list_response(schemas.schemas(base_of(settings))))


@router.get("/Schemas/{schema_id}")
async def one_schema(schema_id: str, _: Client, settings: AppSettings) -> Response:
    for item in schemas.schemas(base_of(settings)):
        if item["id"] == schema_id:
            return scim(item)
    raise ScimError(404, f"No schema has the id {schema_id}.")


@router.api_route(
    "/{discovery:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
async def elsewhere(discovery: str, request: Request, _: Client) -> Response:
    """What no route above serves (this router is included after the Users and Groups one)."""
    top = discovery.split("/")[0]
    if request.method != "GET" and top in ("ServiceProviderConfig", "ResourceTypes", "Schemas"):
        raise ScimError(405, f"/{discovery} can only be read (GET).")
    one = discovery.count("/") == 1 and top in ("Users", "Groups")
    if one or discovery in ("Users", "Groups", ".search"):
        raise ScimError(405, f"{request.method} is not offered on /{discovery}.")
    raise ScimError(404, f"There is nothing at /{discovery}.")
