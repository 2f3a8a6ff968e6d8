"""Migration 0017 adds the reporting line in place: nothing that refers to a person is lost,
up or down, on either database."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from atoll import migrate
from atoll.db.engine import make_engine
from atoll.kit.settings import Settings
from atoll.people.models import Person, PersonSkill
from atoll.spaces.models import Membership, Space
from tests.db.test_migrations import _membership, _person, _space


async def test_0017_keeps_everything_that_refers_to_a_person(fresh_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = await fresh_database("reporting_lines")
    engine = make_engine(Settings(database_url=database.url, var_dir=tmp_path))

    async def counts() -> tuple[int, int, int]:
        async with engine.connect() as conn:
            return (
                int(await conn.scalar(select(func.count()).select_from(Person.__table__)) or 0),
                int(await conn.scalar(select(func.count()).select_from(Membership.__table__)) or 0),
                int(
                    await conn.scalar(select(func.count()).select_from(PersonSkill.__table__)) or 0
                ),
            )

    try:
        await migrate.upgrade(engine, "0012")
        async with engine.begin() as conn:
            await conn.execute(
                insert(Person.__table__),
                [_person(1, "ana", "member", "member"), _person(2, "ben", "member", "admin")],
            )
            await conn.execute(insert(Space.__table__), [_space(1, "guild", "community", "open")])
            await conn.execute(
                insert(Membership.__table__),
                [_membership(1, 1, "owner"), _membership(1, 2, "member")],
            )
            await conn.execute(
                insert(PersonSkill.__table__), [{"person_id": 1, "name": "SQL", "key": "sql"}]
            )
        await migrate.upgrade(engine, "0017")
        assert await counts() == (2, 2, 1)
        async with engine.begin() as conn:
            await conn.execute(Person.__table__.update().where(Person.id == 1).values(manager_id=2))
            managers = dict(
                (await conn.execute(select(Person.id, Person.manager_id))).tuples().all()
            )
        assert managers == {1: 2, 2: None}
        await migrate.downgrade(engine, "0012")
        assert await counts() == (2, 2, 1)
    finally:
        await engine.dispose()
