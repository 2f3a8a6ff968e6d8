"""The page shell's own routes: home, health."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.web.deps import DB, MaybeViewer
from atoll.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz(db: DB) -> dict[str, str]:
    await db.execute(select(1))
    return {"status": "ok"}


@router.get("/")
async def home(request: Request, viewer: MaybeViewer, db: DB) -> Response:
    if viewer is None:
        return RedirectResponse("/sign-in", status_code=303)
    people = await db.scalar(select(func.count()).select_from(Person).where(Person.is_active))
    unit = await db.get(Unit, viewer.unit_id) if viewer.unit_id else None
    return render(request, "home.html", {"people_count": people, "unit": unit})
