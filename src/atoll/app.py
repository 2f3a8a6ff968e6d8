"""The ASGI application: create_app(settings) wires domains, errors, pages and the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from atoll import __version__, tasks
from atoll.analytics import api as analytics_api
from atoll.analytics import first_steps_api, first_steps_pages
from atoll.analytics import pages as analytics_pages
from atoll.analytics import pages_readiness as analytics_readiness_pages
from atoll.analytics.activity import note_activity
from atoll.analytics.policy import can_view_analytics
from atoll.conversations import api as conversations_api
from atoll.conversations import attachments
from atoll.conversations import comfort_pages as conversations_comfort_pages
from atoll.conversations import composed as conversations_composed
from atoll.conversations import drafts_api as conversations_drafts_api
from atoll.conversations import drafts_pages as conversations_drafts_pages
from atoll.conversations import moderation_api as conversations_moderation_api
from atoll.conversations import moderation_pages as conversations_moderation_pages
from atoll.conversations import pages as conversations_pages
from atoll.db.engine import make_engine
from atoll.discover import api as discover_api
from atoll.discover import pages as discover_pages
from atoll.events.broker import make_broker
from atoll.governance import api as governance_api
from atoll.governance import audit_api, audit_pages, insights_api, insights_pages
from atoll.governance import pages as governance_pages
from atoll.http.idempotency import Idempotency
from atoll.http.query import query_values_once
from atoll.http.templating import WEB_DIR, templates
from atoll.identity import api as identity_api
from atoll.identity import pages as identity_pages
from atoll.identity import scim_api, scim_endpoints, sso_pages
from atoll.kit.settings import Settings
from atoll.notifications import api as notifications_api
from atoll.notifications import pages as notifications_pages
from atoll.org import api as org_api
from atoll.org import importer
from atoll.org import pages as org_pages
from atoll.people import account_api as people_account_api
from atoll.people import account_pages as people_account_pages
from atoll.people import api as people_api
from atoll.people import pages as people_pages
from atoll.realtime import api as realtime_api
from atoll.realtime.hub import Hub
from atoll.realtime.signins import SignIns
from atoll.search import api as search_api
from atoll.search import pages as search_pages
from atoll.spaces import api as spaces_api
from atoll.spaces import pages as spaces_pages
from atoll.spaces.policy import visible_people
from atoll.web import chrome, errors, shell
from atoll.web.gate import Allowance, RequestGate
from atoll.web.openapi import docs_page, problem_responses
from atoll.web.security import SecurityHeaders
from atoll.wiki import api as wiki_api
from atoll.wiki import history_pages as wiki_history_pages
from atoll.wiki import pages as wiki_pages
from atoll.wiring import make_sessions

API_PREFIX = "/api/v1"
FORM_OVERHEAD = 64 * 1024  # a multipart body's field names and boundaries around its files


def upload_allowances(settings: Settings) -> list[Allowance]:
    """The paths that take files, and how large their bodies may be (ATOLL_MAX_UPLOAD_MB a file;
    the org-chart importer's own cap); every other body is held to ATOLL_MAX_REQUEST_KB."""
    upload = settings.max_upload_bytes + FORM_OVERHEAD
    chart = importer.MAX_BYTES + FORM_OVERHEAD
    return [
        Allowance(f"{API_PREFIX}/attachments", "multipart/form-data", upload),
        # the composer page sends its files with the post
        Allowance("/posts", "multipart/form-data", upload * attachments.MAX_PER_POST),
        Allowance(f"{API_PREFIX}/admin/import/org", "", chart),  # text/csv, or anything
        Allowance("/admin/import", "multipart/form-data", chart),
    ]


@asynccontextmanager
async def running(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """The app's life: its database, its broker, the hub of its event streams and the checks
    of their sign-ins, made with them, and the housekeeping loop (``ATOLL_HOUSEKEEPING_SECONDS``,
    0: none)."""
    engine = make_engine(settings)
    broker = make_broker(settings.redis_url)
    await broker.start()
    app.state.engine = engine
    app.state.sessionmaker = make_sessions(engine, settings, broker=broker)
    app.state.broker = broker
    app.state.hub = Hub(broker, engine)
    app.state.sign_ins = SignIns(app.state.sessionmaker, settings)
    await app.state.hub.start()
    try:
        if settings.housekeeping_seconds:
            async with tasks.running(
                app.state.sessionmaker,
                settings.housekeeping_seconds,
                event_retention_hours=settings.event_retention_hours,
                login_window_seconds=settings.login_window_seconds,
                restore_days=settings.restore_days,
                storage=app.state.storage,
                zone=settings.zone,
            ):
                yield
        else:
            yield
    finally:
        await app.state.hub.stop()
        await broker.stop()
        await engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    app = FastAPI(
        title="Atoll",
        version=__version__,
        description="The JSON API of Atoll. Errors are RFC 9457 problem details.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # our own page below: FastAPI's needs an inline script and a CDN
        redoc_url=None,
        lifespan=lambda app: running(app, settings),
        # any signed-in request counts as activity
        dependencies=[Depends(note_activity, scope="function")],
    )
    app.state.settings = settings
    app.state.storage = attachments.Storage(settings.attachments_path, settings.max_upload_bytes)
    app.state.chrome = chrome.load
    app.state.visible_people = visible_people  # the rule the people routers take (people.deps)
    # The navigation asks the domain policies rather than repeating their rules.
    templates.env.globals["can_view_analytics"] = can_view_analytics
    templates.env.globals["restore_days"] = settings.restore_days  # "restore it for 30 days"
    errors.install(app)
    app.add_middleware(Idempotency)  # innermost of the three: sees bounded, signed-in writes
    app.add_middleware(
        RequestGate, max_bytes=settings.max_request_bytes, allowances=upload_allowances(settings)
    )
    app.add_middleware(SecurityHeaders, https=settings.secure_cookies)

    include_routers(app)
    app.get(f"{API_PREFIX}/docs", include_in_schema=False)(docs_page(f"{API_PREFIX}/openapi.json"))
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app


def include_routers(app: FastAPI) -> None:
    """Every domain's JSON API under ``API_PREFIX``, then the pages."""
    api = APIRouter(
        prefix=API_PREFIX,
        responses=problem_responses(),
        dependencies=[Depends(query_values_once)],
    )
    api.include_router(people_api.router)
    api.include_router(people_account_api.router)
    api.include_router(org_api.router)
    api.include_router(spaces_api.router)
    api.include_router(identity_api.router)
    api.include_router(conversations_api.router)
    api.include_router(conversations_moderation_api.router)
    api.include_router(conversations_drafts_api.router)
    api.include_router(realtime_api.router)
    api.include_router(notifications_api.router)
    api.include_router(wiki_api.router)
    api.include_router(analytics_api.router)
    api.include_router(first_steps_api.router)
    api.include_router(audit_api.router)
    api.include_router(insights_api.router)
    api.include_router(discover_api.router)
    api.include_router(search_api.router)
    api.include_router(governance_api.router)
    # SCIM provisioning, outside the API: Users and Groups, then discovery and the answers to
    # paths nothing serves. First: a provisioning client sends thousands of requests in a
    # sync, and routes are matched in order (these fail fast on any other path's prefix).
    app.include_router(scim_endpoints.router)
    app.include_router(scim_api.router)
    app.include_router(api)

    app.include_router(shell.router)
    app.include_router(people_pages.router)
    app.include_router(identity_pages.router)
    app.include_router(people_account_pages.router)
    app.include_router(sso_pages.router)
    app.include_router(org_pages.router)
    app.include_router(spaces_pages.router)
    app.include_router(conversations_pages.router)
    app.include_router(conversations_moderation_pages.router)
    app.include_router(conversations_drafts_pages.router)
    app.include_router(conversations_composed.router)  # after spaces: /spaces/new first
    app.include_router(conversations_comfort_pages.router)
    app.include_router(notifications_pages.router)
    app.include_router(wiki_pages.router)
    app.include_router(wiki_history_pages.router)
    app.include_router(analytics_pages.router)
    app.include_router(first_steps_pages.router)
    app.include_router(analytics_readiness_pages.router)
    app.include_router(audit_pages.router)
    app.include_router(insights_pages.router)
    app.include_router(discover_pages.router)
    app.include_router(search_pages.router)
    app.include_router(governance_pages.router)
