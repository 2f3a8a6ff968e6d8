"""Alembic migrations run up and down on both databases, and match the models exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, insert, inspect, select, text

from atoll import migrate
from atoll.conversations.models import Comment, Follow, Mention, Post
from atoll.db.base import Base, UtcDateTime
from atoll.db.engine import make_engine
from atoll.kit.settings import Settings
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces.models import JoinRequest, Membership, Space
from atoll.wiki.models import WikiPage

PERSON = ("id", "email", "name", "title", "bio", "kind", "role", "is_active", "is_analyst")
AUTH = ("id", "token_hash", "person_id", "kind", "user_agent", "address")


async def test_upgrade_downgrade_upgrade(fresh_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = await fresh_database("migrations")
    engine = make_engine(Settings(database_url=database.url, var_dir=tmp_path))
    try:
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) is not None
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            assert {t.name for t in Base.metadata.sorted_tables} <= tables
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"include_name": migrate.include_name}),
                    Base.metadata,
                )
            )
            assert diff == [], f"models and migrations disagree: {diff}"
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            assert tables <= {"alembic_version"}
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) is not None
    finally:
        await engine.dispose()


async def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(Settings(database_url="", var_dir=tmp_path))
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
            assert (await conn.execute(text("PRAGMA cache_size"))).scalar() == -65536
        assert (tmp_path / "atoll.db").exists()
    finally:
        await engine.dispose()


async def test_0009_takes_from_externals_what_only_members_may_hold(
    fresh_database, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Externals left by earlier versions with internal memberships, follows, a pending
    request, the admin role or analytics lose them; nothing else changes."""
    database = await fresh_database("repair")
    engine = make_engine(Settings(database_url=database.url, var_dir=tmp_path))
    person, space = Person.__table__, Space.__table__
    try:
        await migrate.upgrade(engine, "0008")
        async with engine.begin() as conn:
            await conn.execute(
                insert(Unit.__table__), [{"id": 1, "name": "Company", "path": "", "level": 0}]
            )
            await conn.execute(
                insert(person),
                [
                    _person(1, "admin", "member", "admin"),
                    _person(2, "ex", "external", "admin", is_analyst=True, unit_id=1),
                    _person(3, "mod", "member", "member"),
                    _person(4, "far", "member", "member", is_analyst=True),
                    _person(5, "guest", "external", "guest"),
                ],
            )
            await conn.execute(
                insert(space),
                [
                    _space(10, "circle", "community", "private"),
                    _space(11, "acme", "hybrid", "private"),
                    _space(12, "house", "public", "open"),
                    _space(13, "board", "community", "private"),
                ],
            )
            await conn.execute(
                insert(Membership.__table__),
                [
                    _membership(10, 2, "owner"),
                    _membership(10, 3, "moderator"),
                    _membership(10, 4, "member"),
                    _membership(11, 2, "owner"),
                    _membership(11, 3, "member"),
                    _membership(11, 5, "member"),
                    _membership(12, 2, "member"),
                    _membership(13, 1, "owner"),
                ],
            )
            await conn.execute(
                insert(JoinRequest.__table__),
                [{"id": 1, "space_id": 13, "person_id": 2, "status": "pending", "message": ""}],
            )
            await conn.execute(
                insert(Follow.__table__),
                [
                    {"follower_id": 2, "target_type": "space", "target_id": 10},
                    {"follower_id": 2, "target_type": "space", "target_id": 12},
                    {"follower_id": 2, "target_type": "person", "target_id": 3},
                    {"follower_id": 2, "target_type": "person", "target_id": 4},
                    {"follower_id": 4, "target_type": "space", "target_id": 13},
                ],
            )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            people = {
                r.id: (r.kind, r.role, bool(r.is_analyst), r.unit_id)
                for r in await conn.execute(select(person).order_by(person.c.id))
            }
            memberships = set(
                (
                    await conn.execute(
                        select(Membership.space_id, Membership.person_id, Membership.role)
                    )
                ).tuples()
            )
            follows = set(
                (
                    await conn.execute(
                        select(Follow.follower_id, Follow.target_type, Follow.target_id)
                    )
                ).tuples()
            )
            requests = (await conn.execute(select(func.count()).select_from(JoinRequest))).scalar()
    finally:
        await engine.dispose()
    assert people == {
        1: ("member", "admin", False, None),
        2: ("external", "guest", False, None),
        3: ("member", "member", False, None),
        4: ("member", "member", True, None),  # a member keeps analytics
        5: ("external", "guest", False, None),
    }
    assert memberships == {
        (10, 3, "owner"),  # the circle passes to its moderator
        (10, 4, "member"),
        (11, 2, "owner"),  # hybrid: kept as it was
        (11, 3, "member"),
        (11, 5, "member"),
        (13, 1, "owner"),
    }
    assert follows == {(2, "space", 12), (2, "person", 3), (4, "space", 13)}
    assert requests == 0


def _person(pid: int, name: str, kind: str, role: str, **extra: object) -> dict[str, object]:
    values: dict[str, object] = {
        "id": pid,
        "email": f"{name}@example.com",
        "name": name,
        "title": "",
        "bio": "",
        "kind": kind,
        "role": role,
        "is_active": True,
        "is_analyst": False,
        "organization": "Acme Corp" if kind == "external" else None,
        "relation": "customer" if kind == "external" else None,
    }
    return {**values, **extra}


def _space(sid: int, slug: str, kind: str, visibility: str) -> dict[str, object]:
    return {
        "id": sid,
        "name": slug.title(),
        "slug": slug,
        "description": "",
        "kind": kind,
        "visibility": visibility,
        "wiki_moderators_only": False,
        "wiki_externals_may_edit": False,
    }


def _membership(space_id: int, person_id: int, role: str) -> dict[str, object]:
    return {"space_id": space_id, "person_id": person_id, "role": role, "source": "manual"}


async def test_tokens_made_before_expiry_existed_expire_30_days_after_their_last_use(
    fresh_database, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    database = await fresh_database("token_expiry")
    engine = make_engine(Settings(database_url=database.url, var_dir=tmp_path))
    last_used = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    session_ends = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)

    def table(name: str, columns: tuple[str, ...], times: tuple[str, ...]) -> sa.TableClause:
        return sa.table(name, *map(sa.column, columns), *(sa.column(t, UtcDateTime) for t in times))

    people = table("person", PERSON, ("created_at", "updated_at"))
    auth = table("auth_session", AUTH, ("created_at", "last_seen_at", "expires_at"))
    try:
        await migrate.upgrade(engine, "0008")
        async with engine.begin() as conn:
            await conn.execute(
                people.insert().values(
                    id=1, email="ana@example.com", name="Ana", title="", bio="", kind="member",
                    role="member", is_active=True, is_analyst=False, created_at=last_used,
                    updated_at=last_used,
                )
            )  # fmt: skip
            for n, (kind, expires) in enumerate((("token", None), ("session", session_ends))):
                await conn.execute(
                    auth.insert().values(
                        id=n + 1, token_hash=f"{n}" * 64, person_id=1, kind=kind,
                        created_at=last_used, last_seen_at=last_used, expires_at=expires,
                        user_agent="", address="",
                    )
                )  # fmt: skip
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            rows = dict(
                (await conn.execute(sa.select(auth.c.kind, auth.c.expires_at))).tuples().all()
            )
        assert rows == {"token": last_used + timedelta(days=30), "session": session_ends}
        await migrate.downgrade(engine, "0008")  # and back: the expiries stay
    finally:
        await engine.dispose()


async def test_0012_renders_stored_images_elsewhere_as_links(fresh_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Posts, comments and wiki pages rendered before images elsewhere became links show the
    link too; images of this site and HTML without images stay exactly as they were."""
    database = await fresh_database("images")
    engine = make_engine(Settings(database_url=database.url, var_dir=tmp_path))
    pixel = '<p>Hi <img src="https://t.example/p.gif" alt="pixel"></p>'
    ours = '<p><img src="/attachments/abc" alt="chart"></p>'
    plain = "<p>No image &lt;img here</p>"
    link = '<a href="https://t.example/p.gif" rel="noopener noreferrer nofollow ugc">'
    try:
        await migrate.upgrade(engine, "0011")
        async with engine.begin() as conn:
            await conn.execute(insert(Person.__table__), [_person(1, "ana", "member", "member")])
            await conn.execute(insert(Space.__table__), [_space(1, "guild", "community", "open")])
            await conn.execute(
                insert(Post.__table__),
                [
                    {"id": n, "space_id": 1, "author_id": 1, "body": "b", "html": html}
                    for n, html in ((1, pixel), (2, ours), (3, plain))
                ],
            )
            await conn.execute(
                insert(Comment.__table__),
                [{"id": 1, "post_id": 3, "author_id": 1, "body": "b", "html": pixel}],
            )
            await conn.execute(
                insert(WikiPage.__table__),
                [{"id": 1, "space_id": 1, "slug": "home", "title": "Home", "html": pixel}],
            )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            posts = dict((await conn.execute(select(Post.id, Post.html))).tuples().all())
            comment = await conn.scalar(select(Comment.html))
            page = await conn.scalar(select(WikiPage.html))
    finally:
        await engine.dispose()
    moved = f"<p>Hi {link}pixel (image on t.example)</a></p>"
    assert posts == {1: moved, 2: ours, 3: plain}
    assert comment == moved and page == moved


async def test_0027_remembers_who_wrote_to_outsiders_before(fresh_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Members who already wrote in a hybrid or public space, or mentioned an external person,
    are not asked "the first time" again; the others, and guests, have nothing recorded."""
    database = await fresh_database("outsiders")
    engine = make_engine(Settings(database_url=database.url, var_dir=tmp_path))
    try:
        await migrate.upgrade(engine, "0026")
        async with engine.begin() as conn:
            await conn.execute(
                insert(Person.__table__),
                [
                    _person(1, "ana", "member", "member"),  # posted in a hybrid space
                    _person(2, "bo", "member", "member"),  # commented in the public one
                    _person(3, "cy", "member", "member"),  # posted in the public space
                    _person(4, "di", "member", "member"),  # mentioned an external, inside
                    _person(5, "xan", "external", "guest"),
                ],
            )
            await conn.execute(
                insert(Space.__table__),
                [
                    _space(1, "acme", "hybrid", "private"),
                    _space(2, "house", "public", "open"),
                    _space(3, "guild", "community", "open"),
                ],
            )
            await conn.execute(
                insert(Post.__table__),
                [
                    {"id": n, "space_id": s, "author_id": a, "body": "b", "html": "<p>b</p>"}
                    for n, s, a in ((1, 1, 1), (2, 1, 5), (3, 2, 3), (4, 3, 3))
                ],
            )
            await conn.execute(
                insert(Comment.__table__),
                [
                    {"id": n, "post_id": p, "author_id": a, "body": "c", "html": "<p>c</p>"}
                    for n, p, a in ((1, 3, 2), (2, 4, 4), (3, 2, 5))
                ],
            )
            await conn.execute(
                insert(Mention.__table__),
                [{"id": 1, "post_id": 4, "comment_id": 2, "person_id": 5}],
            )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT person_id, what FROM outsider_confirmation"))
            found = set(rows.tuples().all())
    finally:
        await engine.dispose()
    # cy's post in the public space (3) counts for cy, bo's comment on it for bo.
    assert found == {(1, "audience"), (2, "audience"), (3, "audience"), (4, "mention")}
