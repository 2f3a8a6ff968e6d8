"""The page shell's own routes: health."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from atoll.http.request import DB

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz(db: DB) -> dict[str, str]:
    await db.execute(select(1))
    return {"status": "ok"}
