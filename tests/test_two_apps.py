"""Settings reach the code as arguments (for subscribers, bound when the app wires them; for
e-mail, with the sessions the app makes): two apps with different settings in one process
each keep to their own (nothing is configured globally when an app is made)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll import mail
from atoll.analytics.models import Interaction
from atoll.app import create_app
from atoll.conversations.models import Attachment
from atoll.kit.settings import Settings
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from tests.conversations.helpers import comment, make_post, make_space
from tests.factories import access_to, auth_headers, make_person, make_unit
from tests.mailbox import Inbox, _free_port

API = "/api/v1"


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    """A real SMTP server (aiosmtpd) for the second app."""
    handler = Inbox()
    handler.port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        await mail.drain()
        controller.stop()


@pytest.fixture
async def second(settings: Settings, tmp_path: Path, inbox: Inbox) -> AsyncIterator[FastAPI]:
    """A second app on the same database, made after the suite's, with another argon2 cost,
    another attachments directory, a smaller upload limit, and e-mail (the suite's has none)."""
    made = create_app(
        settings.model_copy(
            update={
                "argon2_time_cost": 2,
                "argon2_memory_kib": 2048,
                "attachments_dir": tmp_path / "other-files",
                "max_upload_mb": 1,
                "smtp_host": "127.0.0.1",
                "smtp_port": inbox.port,
                "base_url": "https://two.example.org",
            }
        )
    )
    async with made.router.lifespan_context(made):
        yield made


@pytest.fixture
async def other(second: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the second app."""
    transport = httpx.ASGITransport(app=second, client=("203.0.113.8", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def _add_person(client: httpx.AsyncClient, headers: dict[str, str], email: str) -> str:
    answer = await client.post(
        f"{API}/people",
        json={"name": email, "email": email, "password": "long enough secret"},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _hash_of(db: AsyncSession, person_id: str) -> str:
    await db.rollback()
    found = await db.scalar(select(Person.password_hash).where(Person.id == int(person_id)))
    assert found is not None
    return found


async def test_each_app_hashes_at_its_own_cost(
    app: FastAPI, client: httpx.AsyncClient, other: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    here_h, there_h = await auth_headers(client, admin), await auth_headers(other, admin)
    here = await _add_person(client, here_h, "here@example.com")
    there = await _add_person(other, there_h, "there@example.com")
    assert "$m=1024,t=1," in await _hash_of(db, here)
    assert "$m=2048,t=2," in await _hash_of(db, there)
    again = await _add_person(client, here_h, "again@example.com")
    assert "$m=1024,t=1," in await _hash_of(db, again)  # the first app's cost is unchanged


async def test_each_app_stores_files_where_and_as_large_as_its_settings_say(
    client: httpx.AsyncClient,
    other: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    tmp_path: Path,
) -> None:
    person = await make_person(db)
    files = {"file": ("notes.txt", b"x" * (1024 * 1024 + 1), "text/plain")}
    here = await client.post(
        f"{API}/attachments", files=files, headers=await auth_headers(client, person)
    )
    there = await other.post(
        f"{API}/attachments", files=files, headers=await auth_headers(other, person)
    )
    assert here.status_code == 201, here.text  # within the suite's 25 MB
    assert there.status_code == 413 and "limit of 1 MB" in there.json()["detail"]

    small = {"file": ("notes.txt", b"a few words", "text/plain")}
    stored = await other.post(
        f"{API}/attachments", files=small, headers=await auth_headers(other, person)
    )
    assert stored.status_code == 201, stored.text
    await db.rollback()
    keys = dict((await db.execute(select(Attachment.id, Attachment.storage_key))).tuples().all())
    in_other = {p.name for p in (tmp_path / "other-files").rglob("*") if p.is_file()}
    assert in_other == {keys[int(stored.json()["id"])]}
    big_key = keys[int(here.json()["id"])]
    big = settings.attachments_path / big_key[:2] / big_key
    assert big.stat().st_size == 1024 * 1024 + 1
    big.unlink()  # other tests look at the sizes of the stored files


async def test_each_app_mails_with_its_own_settings(
    app: FastAPI, second: FastAPI, inbox: Inbox
) -> None:
    """The same change, made through each app's sessions: only the one with an SMTP host
    mails, and its links name its own base URL."""
    for n, made in enumerate((app, second)):
        async with made.state.sessionmaker() as db:
            owner = await make_person(db, name="Olga")
            guest = await make_person(db, name="Max", email=f"max{n}@example.com")
            space = await spaces.do_create_space(
                db, actor=owner, name=f"Guild {n}", kind="community", visibility="open"
            )
            access = await access_to(db, owner, space)
            await space_members.do_add_member(db, access=access, person_id=guest.id)
            await db.commit()
    await mail.drain()
    [(recipients, message)] = inbox.received
    assert recipients == ["max1@example.com"]
    assert "https://two.example.org/spaces/guild-1" in str(message)


@pytest.fixture
async def teams_are_silos(settings: Settings) -> AsyncIterator[FastAPI]:
    """A second app on the same database that counts teams as silos (the suite's counts
    departments: ``ATOLL_SILO_LEVEL`` 2)."""
    made = create_app(settings.model_copy(update={"silo_level": 3}))
    async with made.router.lifespan_context(made):
        yield made


async def test_each_app_records_interactions_at_its_own_silo_level(
    app: FastAPI, teams_are_silos: FastAPI, db: AsyncSession
) -> None:
    """Two people in two teams of one department: a comment is within a silo through the
    suite's app, across silos through the one whose silos are teams."""
    emea = await make_unit(db, "EMEA", parent=await make_unit(db, "Sales"))
    north = await make_unit(db, "North", parent=emea)
    south = await make_unit(db, "South", parent=emea)
    ana = await make_person(db, name="Ana", unit_id=north.id)
    ben = await make_person(db, name="Ben", unit_id=south.id)
    for n, made in enumerate((app, teams_are_silos)):
        transport = httpx.ASGITransport(app=made, client=("203.0.113.9", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            a, b = await auth_headers(client, ana), await auth_headers(client, ben)
            space = await make_space(client, a, name=f"Guild {n}")
            question = await make_post(client, a, space["id"], "Who knows?")
            assert (await comment(client, b, question["id"], "I do")).status_code == 201
    await db.rollback()
    rows = await db.scalars(
        select(Interaction).where(Interaction.kind == "comment").order_by(Interaction.id)
    )
    assert [(row.scope, row.actor_silo_id, row.target_silo_id) for row in rows] == [
        ("within", emea.id, emea.id),
        ("across", south.id, north.id),
    ]
