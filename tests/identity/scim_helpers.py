"""SCIM helpers: a working token for the suite's app (the ``scim`` fixture, which
``conftest.py`` brings in), and helpers to read SCIM answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.models import Event
from atoll.identity.scim_tokens import do_create_token
from atoll.people.models import Person

SCIM = "/scim/v2"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
async def scim(db: AsyncSession) -> dict[str, str]:
    """The headers of a provisioning client with a working token."""
    _, raw = await do_create_token(db, name="test")
    await db.commit()
    return {"Authorization": f"Bearer {raw}", "Content-Type": "application/scim+json"}


def user_body(email: str, **extra: Any) -> dict[str, Any]:
    return {
        "schemas": [USER],
        "userName": email,
        "name": {"givenName": "Ana", "familyName": "Lopez"},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
        **extra,
    }


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def assert_scim_error(answer: httpx.Response, status: int, scim_type: str | None = None) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/scim+json")
    body = answer.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    assert body.get("scimType") == scim_type


async def count_people(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Person)) or 0)


async def count_events(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Event)) or 0)


async def person(db: AsyncSession, person_id: str | int) -> Person:
    db.expire_all()
    found = await db.get(Person, int(person_id), populate_existing=True)
    assert found is not None
    return found
