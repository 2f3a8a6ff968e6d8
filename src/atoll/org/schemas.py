"""What the organisation API takes and gives."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from atoll.people.schemas import NO_NUL


class UnitOut(BaseModel):
    id: str
    name: str
    parent_id: str | None
    level: int
    path: str
    member_count: int


class UnitList(BaseModel):
    items: list[UnitOut]
    next_cursor: str | None = None
    silo_level: int


class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
    ]
    parent_id: Annotated[str, Field(pattern=r"^[0-9]{1,18}$")] | None = None


class UnitPatch(BaseModel):
    """Rename a unit, move it below another (its sub-tree follows), or both."""

    model_config = ConfigDict(extra="forbid")

    name: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL),
        ]
        | None
    ) = None
    parent_id: Annotated[str, Field(pattern=r"^[0-9]{1,18}$")] | None = None


class ImportReportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    units_created: int
    rejected: list[dict[str, Any]]
    applied: bool
    # Added with reporting lines and deactivate_missing: who and what, by name.
    deactivated: int = 0
    people_created: list[dict[str, Any]] = []
    people_changed: list[dict[str, Any]] = []
    people_moved: list[dict[str, Any]] = []
    people_deactivated: list[dict[str, Any]] = []
    units_new: list[str] = []
    warnings: list[dict[str, Any]] = []
