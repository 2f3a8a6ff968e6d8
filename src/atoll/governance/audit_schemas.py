"""The audit log's JSON out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class AuditActorOut(BaseModel):
    id: str
    name: str | None  # None: a person no longer in the directory


class AuditEntryOut(BaseModel):
    id: str
    at: str
    actor: AuditActorOut | None  # None: the system (housekeeping, SCIM, the command line)
    actor_label: str
    action: str
    target_type: str
    target_id: str
    space_id: str | None
    detail: dict[str, Any]
