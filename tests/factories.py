"""Small factories for test data: each makes one thing, committed, with sensible defaults."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.org import service as org_service
from atoll.org.models import Unit
from atoll.people import service as people_service
from atoll.people.models import Person
from atoll.people.passwords import Hashing
from atoll.spaces import service as spaces_service
from atoll.spaces.models import Space
from atoll.spaces.policy import SpaceAccess

PASSWORD = "correct horse battery"
# The argon2 cost the suite's app hashes at (tests/conftest.py: settings_for), cheap on purpose.
HASHING = Hashing(time_cost=1, memory_kib=1024)
# The interaction log's settings of the suite's app (ATOLL_SILO_LEVEL, ATOLL_TIE_LOOKBACK_DAYS:
# tests/conftest.py keeps the defaults), for tests that record interactions themselves.
SILO_LEVEL = 2
LOOKBACK_DAYS = 90
_seq = itertools.count(1)


async def make_unit(db: AsyncSession, name: str | None = None, parent: Unit | None = None) -> Unit:
    if parent is None:
        root = await org_service.root_unit(db)
        if root is None:
            root = await org_service.do_create_unit(db, actor=None, name="Company")
        parent = root
    unit = await org_service.do_create_unit(
        db, actor=None, name=name or f"Unit {next(_seq)}", parent_id=parent.id if parent else None
    )
    await db.commit()
    return unit


async def make_person(db: AsyncSession, **overrides: Any) -> Person:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Person {n}",
        "email": f"person{n}@example.com",
        "password": PASSWORD,
        "kind": "member",
    }
    if overrides.get("kind") == "external":
        values.update(organization="Acme Corp", relation="customer")
    values.update(overrides)
    person = await people_service.do_create_person(db, actor=None, hashing=HASHING, **values)
    await db.commit()
    return person


async def token_for(client: httpx.AsyncClient, person: Person, password: str = PASSWORD) -> str:
    response = await client.post(
        "/api/v1/auth/token", json={"email": person.email, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def auth_headers(client: httpx.AsyncClient, person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for(client, person)}"}


async def access_to(db: AsyncSession, person: Person, space: Space) -> SpaceAccess:
    """The space as ``person`` may use it (their role read from the database), loaded as a
    router loads it: what the ``do_*`` functions that act in a space take."""
    return await spaces_service.access_space(db, viewer=person, space_id=space.id)
