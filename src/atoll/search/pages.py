"""Search pages: the results page and the navigation bar's type-ahead."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
