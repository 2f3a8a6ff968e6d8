"""Search latency on a corpus of 1,000,000 posts (``--rows`` changes it), SQLite and PostgreSQL.

The corpus is an organisation of 10,000 people (600 of them externals, 5 admins) in 320
spaces of every kind and visibility (unit spaces, communities with some private and secret
ones, hybrid spaces with externals as members, situation rooms, public spaces) and ``--rows``
posts spread over 12 months, most in a few busy spaces, each by a member of its space. A post
is one sentence the demo generator writes (a template and a topic from
:mod:`atoll.demo.words`) followed by a few sentences of words drawn with a Zipf distribution
(s = 1) from a vocabulary whose head is every word of the demo's sentences, by frequency, and
whose tail is 80,000 made-up words: a handful of words are in a third of the posts, most in a
few dozen, as in real text — which is what an inverted index pays for.

Building it takes minutes, so it is cached: a SQLite file ``bench/.cache/search-<rows>.db``
and a PostgreSQL database ``atoll_bench_search_<rows>``, each with a marker row written last
(its parameters, the hash of the search migration and the build's figures). A cache whose
marker is missing or different is rebuilt. Posts and their ``search_doc`` rows are written by
bulk Core INSERTs of 10,000 rows, one transaction each, as ``reindex`` does: the FTS5
triggers (SQLite) and the generated ``tsvector`` column and GIN indexes (PostgreSQL) index
them. Then SQLite merges the FTS5 segments (``optimize``) and both analyse.

Cases: 50 queries per persona (an admin; a member of four spaces; an external member of
one hybrid space) — common, mid-frequency and rare words, two words, quoted phrases, name
prefixes (type-ahead), a type filter, a space filter, the second page of a common word, and
no hit — each warmed up once and then timed ``REPEAT`` times through
:func:`atoll.search.query.search` on a fresh session per call (as a request has), and a
smaller run through the HTTP API (``GET /api/v1/search`` through httpx's ASGI transport with
a bearer token). The table shows p50 per class (the note p50/p95/p99/max); the baseline is
the p50 of a primary-key lookup of a post through the same engine. Each query's p50 and hit
count go to ``bench/results/search-queries-<db>-<timestamp>.json``. Last, ``reindex()`` (what
``atoll reindex`` runs) is timed on a throw-away copy of the corpus."""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import math
import os
import random
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from atoll import migrate
from atoll.conversations.models import Post
from atoll.db.engine import make_engine
from atoll.demo import words
from atoll.kit.settings import Settings
from atoll.people.models import Person
from atoll.search.models import SearchDoc
from atoll.spaces.models import Membership, Space
from atoll.wiring import make_sessions
from bench import Figure, Options, benchmark
from bench.databases import DEFAULT_PG, _pg_admin

DEFAULT_ROWS = 1_000_000
VERSION = 1  # of the corpus; a change rebuilds every cache
SEED = 20261125
PEOPLE = 10_000
EXTERNALS = 600
ADMINS = 5
TAIL = 80_000  # made-up words after the demo's own
CHUNK = 10_000
END = datetime(2026, 11, 1, tzinfo=UTC)
START = datetime(2025, 11, 1, tzinfo=UTC)
REPEAT = 5
HTTP_REPEAT = 2
PK_LOOKUPS = 300
CACHE = Path(__file__).parent / ".cache"
MIGRATION = (
    Path(__file__).parent.parent / "src/atoll/migrations/versions/0007_search.py"
).resolve()
WORD = re.compile(r"[^\W\d_]+")
MARKER = "bench_search_corpus"


# --- the text -----------------------------------------------------------------------------


def _demo_sentences() -> list[str]:
    templates = words.UPDATES + words.QUESTIONS + words.IDEAS + words.ANNOUNCEMENTS
    out = [t.format(topic=topic) for t in templates for topic in words.TOPICS]
    out += words.COMMENTS + words.ANSWERS + words.WIKI_LINES
    out += [d for _, _, d in words.COMMUNITIES] + [d for _, d in words.SITUATIONS]
    for skills in words.SKILLS.values():
        out += skills
    for titles in words.TITLES.values():
        out += titles
    return out


def vocabulary() -> list[str]:
    """The demo's words, most frequent first, then the made-up tail (same on every run)."""
    counts = Counter(w for s in _demo_sentences() for w in WORD.findall(s.lower()))
    head = sorted(counts, key=lambda w: (-counts[w], w))
    rng = random.Random(SEED)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    taken, tail = set(head), list[str]()
    while len(tail) < TAIL:
        word = "".join(rng.choice(syllables) for _ in range(rng.choice((2, 3, 3, 4))))
        word += rng.choice(("", "", "n", "r", "s", "l"))
        if word not in taken:
            taken.add(word)
            tail.append(word)
    return head + tail


class Writer:
    """Post bodies: one demo sentence and Zipf-distributed words."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.vocab = vocabulary()
        weights = [1 / (rank + 1) for rank in range(len(self.vocab))]
        self.cum = list(_accumulate(weights))
        self.templates = words.UPDATES * 3 + words.QUESTIONS * 2 + words.IDEAS
        self.templates += words.ANNOUNCEMENTS

    def body(self) -> str:
        rng = self.rng
        first = rng.choice(self.templates).format(topic=rng.choice(words.TOPICS))
        length = min(200, max(3, int(rng.lognormvariate(math.log(22), 0.6))))
        drawn = rng.choices(self.vocab, cum_weights=self.cum, k=length)
        sentences, at = [first], 0
        while at < length:
            size = rng.randint(5, 14)
            part = drawn[at : at + size]
            at += size
            sentences.append(part[0].capitalize() + " " + " ".join(part[1:]) + ".")
        return " ".join(sentences)


def _accumulate(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


# --- the organisation ---------------------------------------------------------------------


@dataclass
class Org:
    people: list[dict[str, Any]]
    spaces: list[dict[str, Any]]
    members: dict[int, list[int]]  # space id -> person ids
    roles: dict[tuple[int, int], str]


def _slug(name: str, n: int) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + f"-{n}"


def plan_org(rng: random.Random) -> Org:
    now = START - timedelta(days=30)
    people = []
    titles = [t for ts in words.TITLES.values() for t in ts]
    for n in range(1, PEOPLE + 1):
        external = n > PEOPLE - EXTERNALS
        company = words.ORGANIZATIONS[n % len(words.ORGANIZATIONS)]
        people.append(
            {
                "id": n,
                "email": f"p{n}@bench.example",
                "name": f"{rng.choice(words.FIRST)} {rng.choice(words.LAST)}",
                "title": rng.choice(words.EXTERNAL_TITLES if external else titles),
                "bio": "",
                "kind": "external" if external else "member",
                "role": "admin" if n <= ADMINS else "guest" if external else "member",
                "unit_id": None,
                "organization": company[0] if external else None,
                "relation": company[1] if external else None,
                "is_active": True,
                "is_analyst": False,
                "created_at": now,
                "updated_at": now,
            }
        )
    staff = list(range(1, PEOPLE - EXTERNALS + 1))
    externals = list(range(PEOPLE - EXTERNALS + 1, PEOPLE + 1))
    spaces: list[dict[str, Any]] = []
    members: dict[int, list[int]] = {}
    roles: dict[tuple[int, int], str] = {}

    def add(name: str, kind: str, visibility: str, description: str) -> int:
        sid = len(spaces) + 1
        spaces.append(
            {
                "id": sid,
                "name": name,
                "slug": _slug(name, sid),
                "description": description,
                "kind": kind,
                "visibility": visibility,
                "unit_id": None,
                "closes_at": None,
                "archived_at": None,
                "created_by_id": None,
                "wiki_moderators_only": False,
                "wiki_externals_may_edit": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        members[sid] = []
        return sid

    def join(sid: int, person: int) -> None:
        if (sid, person) not in roles:
            roles[(sid, person)] = "owner" if not members[sid] else "member"
            members[sid].append(person)

    # 160 unit spaces, one per team; every staff member in one.
    departments = [(d, p) for d, ps in words.DIVISIONS.items() for p in ps]
    units = []
    for i in range(160):
        division, department = departments[i % len(departments)]
        team = words.TEAMS[i // len(departments) % len(words.TEAMS)]
        name = f"{division} {department} {team}"
        units.append(
            add(name, "unit", rng.choice(("open",) * 7 + ("private",) * 3), f"The {name} team.")
        )
    for person in staff:
        join(rng.choice(units), person)
    # 80 communities: a fifth private, one in ten secret; popular ones are much bigger.
    communities = []
    skills = sorted({s for ss in words.SKILLS.values() for s in ss})
    for i in range(80):
        if i < len(words.COMMUNITIES):
            name, visibility, description = words.COMMUNITIES[i]
        else:
            skill = skills[i % len(skills)]
            name = f"{skill} {('Guild', 'Network', 'Circle')[i % 3]}"
            description = f"Everything about {skill}: questions, tips and talks."
            visibility = rng.choices(("open", "private", "secret"), (70, 20, 10))[0]
        communities.append(add(name, "community", visibility, description))
    popularity = [1 / (rank + 3) for rank in range(len(communities))]
    for person in staff:
        for _ in range(rng.choices(range(7), (25, 25, 20, 12, 8, 6, 4))[0]):
            join(rng.choices(communities, popularity)[0], person)
    # 50 hybrid spaces with customers and partners: mostly private, a quarter secret.
    hybrids = []
    for i in range(50):
        org, relation = words.ORGANIZATIONS[i % len(words.ORGANIZATIONS)]
        name = f"{org} {('project', 'programme', 'pilot', 'support')[i % 4]} {i // 16 + 1}"
        visibility = rng.choices(("open", "private", "secret"), (15, 60, 25))[0]
        hybrids.append(add(name, "hybrid", visibility, f"Working with our {relation} {org}."))
        for person in rng.sample(staff, rng.randint(10, 40)):
            join(hybrids[-1], person)
    for person in externals:
        for sid in rng.sample(hybrids, rng.choices((1, 2, 3), (70, 20, 10))[0]):
            join(sid, person)
    # 15 situation rooms and 15 public spaces.
    for i in range(15):
        name, description = words.SITUATIONS[i % len(words.SITUATIONS)]
        sid = add(f"{name} {i + 1}", "situation", rng.choice(("open", "private")), description)
        for person in rng.sample(staff, rng.randint(20, 80)):
            join(sid, person)
    for i in range(15):
        sid = add(f"Company news {i + 1}", "public", "open", "News for everyone, inside and out.")
        for person in rng.sample(staff, 3):
            join(sid, person)
    return Org(people, spaces, members, roles)


def personas(org: Org) -> dict[str, int]:
    """An admin; a member of exactly four spaces, one of them not open; an external member
    of exactly one hybrid space."""
    count: Counter[int] = Counter(p for (_, p) in org.roles)
    closed: set[int] = set()
    for (sid, person), _ in org.roles.items():
        if org.spaces[sid - 1]["visibility"] != "open":
            closed.add(person)
    member = next(
        p
        for p in range(ADMINS + 100, PEOPLE - EXTERNALS)
        if count[p] == 4 and p in closed and org.people[p - 1]["kind"] == "member"
    )
    external = next(p for p in range(PEOPLE - EXTERNALS + 1, PEOPLE + 1) if count[p] == 1)
    return {"admin": 1, "member": member, "external": external}


# --- the databases ------------------------------------------------------------------------


def _params(rows: int) -> dict[str, Any]:
    migration = hashlib.sha256(MIGRATION.read_bytes()).hexdigest()[:16]
    return {"version": VERSION, "rows": rows, "seed": SEED, "migration_0007": migration}


def _settings(url: str, var: Path) -> Settings:
    return Settings(
        database_url=url,
        var_dir=var,
        redis_url="",
        secret_key="bench-secret-key-" + "x" * 32,
        housekeeping_seconds=0,
    )


def _pg_url(name: str) -> str:
    admin = make_url(os.environ.get("ATOLL_TEST_POSTGRES_URL") or DEFAULT_PG)
    return admin.set(database=name).render_as_string(hide_password=False)


async def _marker(engine: AsyncEngine) -> dict[str, Any] | None:
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(text(f"SELECT value FROM {MARKER} WHERE key = 'corpus'"))  # noqa: S608
            ).first()
    except Exception:  # noqa: BLE001 - no marker table: not a complete corpus
        return None
    return None if row is None else dict(json.loads(row[0]))


async def _write_marker(engine: AsyncEngine, value: dict[str, Any]) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {MARKER} (key VARCHAR(40) PRIMARY KEY, value TEXT)"))
        await conn.execute(
            text(f"INSERT INTO {MARKER} (key, value) VALUES ('corpus', :v)"),  # noqa: S608
            {"v": json.dumps(value)},
        )


@asynccontextmanager
async def corpus(
    kind: str, rows: int
) -> AsyncIterator[tuple[AsyncEngine, Settings, dict[str, Any]]]:
    """An engine on the cached corpus of ``rows`` posts, built first when missing or stale;
    with its settings and its marker (parameters, personas, build figures)."""
    params = _params(rows)
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="atoll-bench-") as tmp:
        path = CACHE / f"search-{rows}.db"
        name = f"atoll_bench_search_{rows}"
        url = f"sqlite+aiosqlite:///{path}" if kind == "sqlite" else _pg_url(name)
        settings = _settings(url, Path(tmp))
        engine = make_engine(settings)
        marker = await _marker(engine) if kind == "postgres" or path.exists() else None
        if marker is None or {k: marker.get(k) for k in params} != params:
            await engine.dispose()
            if kind == "sqlite":
                _remove(path)
            else:
                await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await _pg_admin(f'CREATE DATABASE "{name}"')
            engine = make_engine(settings)
            marker = params | await build(kind, engine, rows)
            await _write_marker(engine, marker)
        else:
            print(f"  {kind}: reusing the corpus built {marker['built_at']}", flush=True)
        try:
            yield engine, settings, marker
        finally:
            await engine.dispose()


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def build(kind: str, engine: AsyncEngine, rows: int) -> dict[str, Any]:
    """Migrate, then write the organisation, the posts and their search documents."""
    await migrate.upgrade(engine)
    rng = random.Random(SEED)
    org = plan_org(rng)
    writer = Writer(random.Random(SEED + 1))
    maker = make_sessions(engine, Settings())
    span = (END - START).total_seconds()
    moments = sorted(rng.random() * span for _ in range(rows))
    space_ids = [s["id"] for s in org.spaces]
    factor = {"unit": 1.0, "community": 1.5, "hybrid": 0.8, "situation": 0.6, "public": 0.3}
    weights = [factor[s["kind"]] * min(rng.paretovariate(1.2), 50) for s in org.spaces]
    cum_weights = _accumulate(weights)
    posts_seconds = docs_seconds = 0.0
    began = time.perf_counter()
    async with maker() as db:
        await _insert(db, Person, org.people)
        await _insert(db, Space, org.spaces)
        await _insert(
            db,
            Membership,
            [
                {"space_id": s, "person_id": p, "role": r, "source": "manual"}
                | {"created_at": START - timedelta(days=30)}
                for (s, p), r in org.roles.items()
            ],
        )
        await db.commit()
        t0 = time.perf_counter()
        await _insert(db, SearchDoc, _name_docs(org))
        await db.commit()
        docs_seconds += time.perf_counter() - t0
    with Progress(
        TextColumn(f"{kind}: posts + search docs"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("posts", total=rows)
        for start in range(0, rows, CHUNK):
            posts, docs = [], []
            for n in range(start + 1, min(start + CHUNK, rows) + 1):
                sid = rng.choices(space_ids, cum_weights=cum_weights)[0]
                author = rng.choice(org.members[sid])
                at = (START + timedelta(seconds=moments[n - 1])).replace(microsecond=0)
                body = writer.body()
                roll = rng.random()
                kind_ = "question" if roll < 0.2 else "idea" if roll < 0.3 else "update"
                posts.append(
                    {
                        "id": n,
                        "space_id": sid,
                        "author_id": author,
                        "kind": kind_,
                        "body": body,
                        "html": f"<p>{html.escape(body)}</p>",
                        "created_at": at,
                        "last_activity_at": at,
                        "comment_count": 0,
                        "vote_count": 0,
                    }
                )
                docs.append(
                    {
                        "kind": "post",
                        "ref_id": n,
                        "space_id": sid,
                        "post_id": n,
                        "person_id": author,
                        "title": "",
                        "body": body,
                        "stamp": int(at.timestamp()),
                    }
                )
            async with maker() as db:
                t0 = time.perf_counter()
                await db.execute(insert(Post), posts)
                await db.commit()
                t1 = time.perf_counter()
                await db.execute(insert(SearchDoc), docs)
                await db.commit()
                posts_seconds += t1 - t0
                docs_seconds += time.perf_counter() - t1
            bar.update(task, advance=len(posts))
    loaded = time.perf_counter() - began
    t0 = time.perf_counter()
    async with engine.connect() as conn:
        if kind == "postgres":
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('post', 'id'), "
                "(SELECT MAX(id) + 1 FROM post), false)"
            )
            await conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('search_doc', 'id'), "
                "(SELECT MAX(id) + 1 FROM search_doc), false)"
            )
            await conn.exec_driver_sql("VACUUM ANALYZE")
            optimize = 0.0
        else:
            o0 = time.perf_counter()
            for table in ("search_fts", "search_name_fts"):
                await conn.exec_driver_sql(f"INSERT INTO {table}({table}) VALUES('optimize')")
            await conn.commit()
            optimize = time.perf_counter() - o0
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()
    finish = time.perf_counter() - t0
    sizes = await measure_sizes(kind, engine)
    total = rows + len(org.people) + len(org.spaces)
    print(
        f"  {kind}: {rows:,} posts in {posts_seconds:.0f} s, {total:,} docs in "
        f"{docs_seconds:.0f} s ({total / docs_seconds:,.0f}/s); loaded in {loaded:.0f} s; "
        f"optimize {optimize:.0f} s, finish {finish:.0f} s",
        flush=True,
    )
    return {
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "posts_seconds": posts_seconds,
        "docs": total,
        "docs_seconds": docs_seconds,
        "load_seconds": loaded,
        "optimize_seconds": optimize,
        "finish_seconds": finish,
        "sizes": sizes,
        "personas": personas(org),
    }


def _name_docs(org: Org) -> list[dict[str, Any]]:
    stamp = int((START - timedelta(days=30)).timestamp())
    docs = [
        {
            "kind": "person",
            "ref_id": p["id"],
            "space_id": None,
            "post_id": None,
            "person_id": p["id"],
            "title": p["name"],
            "body": "\n".join(filter(None, (p["title"], p["organization"]))),
            "stamp": stamp,
        }
        for p in org.people
    ]
    docs += [
        {
            "kind": "space",
            "ref_id": s["id"],
            "space_id": s["id"],
            "post_id": None,
            "person_id": None,
            "title": s["name"],
            "body": s["description"],
            "stamp": stamp,
        }
        for s in org.spaces
    ]
    return docs


async def _insert(db: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        await db.execute(insert(model), rows[i : i + CHUNK])


async def measure_sizes(kind: str, engine: AsyncEngine) -> dict[str, int]:
    """Bytes on disk: the whole database, the search index, the ``search_doc`` table."""
    async with engine.connect() as conn:
        if kind == "sqlite":
            result = await conn.exec_driver_sql(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"
            )
            by_name = {str(name): int(size) for name, size in result}
            total = sum(by_name.values())
            fts = sum(v for k, v in by_name.items() if k.startswith("search_"))
            fts -= sum(v for k, v in by_name.items() if k.startswith("search_doc"))
            doc = by_name.get("search_doc", 0)
            doc_indexes = sum(
                v
                for k, v in by_name.items()
                if k.startswith(("ix_search_doc", "sqlite_autoindex_search_doc"))
            )
            return {
                "database": total,
                "without_fts": total - fts,
                "fts_tables": fts,
                "search_doc": doc,
                "search_doc_indexes": doc_indexes,
                "post": by_name.get("post", 0),
            }
        result = await conn.exec_driver_sql(
            "SELECT pg_database_size(current_database()), pg_relation_size('search_doc'), "
            "pg_total_relation_size('search_doc'), pg_relation_size('post')"
        )
        database, table, total, post = result.one()
        result = await conn.exec_driver_sql(
            "SELECT indexname, pg_relation_size(quote_ident(indexname)) FROM pg_indexes "
            "WHERE tablename = 'search_doc'"
        )
        out = {"database": int(database), "search_doc": int(table), "post": int(post)}
        out["search_doc_total"] = int(total)
        for name, size in result:
            out[f"index {name}"] = int(size)
        return out


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


# --- the queries --------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    klass: str
    q: str
    type: str | None = None
    space: bool = False  # filter on the persona's own space
    page: int = 1


def query_set() -> list[Query]:
    vocab = vocabulary()
    head = len(vocabulary()) - TAIL
    stop = {
        "the", "a", "an", "of", "to", "and", "in", "on", "for", "is", "we", "it", "our",
        "about", "with", "what", "who", "do", "does", "there", "how", "i", "you", "be",
        "let", "s", "this", "that", "are", "at", "by", "from", "if", "not", "can", "up",
    }  # fmt: skip
    common = [w for w in vocab[:60] if w not in stop and len(w) > 3][:6]
    mid = [vocab[r] for r in (150, 260, 420, 700, 1100, 1800)]
    rare = [vocab[r] for r in (head + 60_000, head + 65_000, head + 70_000, head + 72_500)]
    rare += [vocab[head + 75_000], vocab[head + 79_000]]
    out = [Query("common word", w) for w in common]
    out += [Query("mid word", w) for w in mid]
    out += [Query("rare word", w) for w in rare]
    out += [
        Query("two words", f"{common[0]} {common[1]}"),
        Query("two words", f"{common[2]} {mid[0]}"),
        Query("two words", f"{mid[1]} {mid[2]}"),
        Query("two words", f"{mid[3]} {rare[0]}"),
        Query("two words", f"{common[3]} {rare[1]}"),
    ]
    out += [
        Query("phrase", f'"{p}"')
        for p in (
            "customer survey",
            "release train",
            "on track",
            "new onboarding checklist",
            "data retention policy",
        )
    ]
    out += [Query("name prefix", p, "person") for p in ("ana", "sil", "ma", "kow", "jon")]
    out += [Query("name prefix", p, "space") for p in ("pyth", "acm")]
    out += [Query("name prefix, all types", p) for p in ("ana", "sust")]
    out += [
        Query("type filter", common[0], "post"),
        Query("type filter", mid[0], "post"),
        Query("type filter", "silva", "person"),
        Query("type filter", "engineering", "space"),
    ]
    out += [
        Query("space filter", common[0], space=True),
        Query("space filter", mid[1], space=True),
        Query("space filter", common[4], "post", space=True),
    ]
    out += [Query("next page", w, page=2) for w in common[:3]]
    out += [Query("no hit", q) for q in ("zyxwvq", "qwertyuiop", '"customer retention train"')]
    return out


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _summary(values: list[float]) -> str:
    return (
        f"p50 {_quantile(values, 0.5) * 1000:.1f} ms, p95 {_quantile(values, 0.95) * 1000:.1f}, "
        f"p99 {_quantile(values, 0.99) * 1000:.1f}, max {max(values) * 1000:.1f} "
        f"over {len(values)} calls"
    )


async def _persona_spaces(
    maker: async_sessionmaker[AsyncSession], personas_: dict[str, int]
) -> dict[str, int]:
    """The space each persona filters on: one of its own (for the admin, a secret one)."""
    out = {}
    async with maker() as db:
        for role, pid in personas_.items():
            if role == "admin":
                sid = await db.scalar(
                    select(Space.id).where(Space.visibility == "secret").order_by(Space.id)
                )
            else:
                sid = await db.scalar(
                    select(Membership.space_id)
                    .where(Membership.person_id == pid)
                    .order_by(Membership.space_id)
                )
            assert sid is not None
            out[role] = sid
    return out


async def in_process(
    kind: str, engine: AsyncEngine, marker: dict[str, Any]
) -> tuple[dict[str, list[float]], dict[str, list[float]], list[dict[str, Any]]]:
    """Timed calls of ``search()``: seconds per query class, per persona, and per query."""
    from atoll.search.query import search

    maker = make_sessions(engine, Settings())
    people: dict[str, int] = marker["personas"]
    own = await _persona_spaces(maker, people)
    queries = query_set()
    cursors: dict[tuple[str, str], str | None] = {}
    hits: dict[tuple[str, int], int] = {}

    async def call(role: str, i: int, query: Query) -> float:
        async with maker() as db:
            viewer = await db.get(Person, people[role])
            cursor = cursors.get((role, query.q)) if query.page == 2 else None
            began = time.perf_counter()
            page = await search(
                db,
                viewer=viewer,
                q=query.q,
                type=query.type,
                space_id=own[role] if query.space else None,
                cursor=cursor,
            )
            took = time.perf_counter() - began
            if query.page == 1 and query.klass == "common word":
                cursors[(role, query.q)] = page.next_cursor
            hits[(role, i)] = len(page.items)
            return took

    by_class: dict[str, list[float]] = {}
    by_persona: dict[str, list[float]] = {}
    per_query: dict[tuple[str, int], list[float]] = {}
    for role in people:  # warm up (and collect the cursors of the second pages)
        for i, query in enumerate(queries):
            await call(role, i, query)
    for _ in range(REPEAT):
        for role in people:
            for i, query in enumerate(queries):
                took = await call(role, i, query)
                by_class.setdefault(query.klass, []).append(took)
                by_persona.setdefault(role, []).append(took)
                per_query.setdefault((role, i), []).append(took)
    details = [
        {
            "persona": role,
            "class": queries[i].klass,
            "q": queries[i].q,
            "type": queries[i].type,
            "space": queries[i].space,
            "page": queries[i].page,
            "hits": hits[(role, i)],
            "p50_ms": round(statistics.median(times) * 1000, 2),
            "max_ms": round(max(times) * 1000, 2),
        }
        for (role, i), times in per_query.items()
    ]
    return by_class, by_persona, details


async def over_http(kind: str, settings: Settings, marker: dict[str, Any]) -> list[float]:
    """``GET /api/v1/search`` through the whole app (ASGI), with each persona's bearer token."""
    import httpx

    from atoll.app import create_app
    from atoll.people.auth import do_start_session
    from atoll.people.models import AuthSession

    engine = make_engine(settings)
    maker = make_sessions(engine, Settings())
    people: dict[str, int] = marker["personas"]
    own = await _persona_spaces(maker, people)
    tokens = {}
    async with maker() as db:
        for role, pid in people.items():
            person = await db.get(Person, pid)
            assert person is not None
            tokens[role] = (
                await do_start_session(db, settings, person=person, kind="token")
            ).secret
        await db.commit()
    app = create_app(settings)
    times: list[float] = []
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for repeat in range(HTTP_REPEAT + 1):
                    for role in people:
                        headers = {"Authorization": f"Bearer {tokens[role]}"}
                        for query in query_set():
                            if query.page == 2:
                                continue
                            params: dict[str, Any] = {"q": query.q}
                            if query.type:
                                params["type"] = query.type
                            if query.space:
                                params["space_id"] = own[role]
                            began = time.perf_counter()
                            response = await client.get(
                                "/api/v1/search", params=params, headers=headers
                            )
                            took = time.perf_counter() - began
                            if response.status_code != 200:
                                raise RuntimeError(
                                    f"{kind} GET /search {params}: {response.status_code} "
                                    f"{response.text[:300]}"
                                )
                            if repeat:  # the first round warms up
                                times.append(took)
    finally:
        async with maker() as db:
            await db.execute(
                delete(AuthSession).where(AuthSession.person_id.in_(list(people.values())))
            )
            await db.commit()
        await engine.dispose()
    return times


async def pk_lookups(engine: AsyncEngine, rows: int) -> list[float]:
    maker = make_sessions(engine, Settings())
    rng = random.Random(SEED + 2)
    times = []
    for n in range(PK_LOOKUPS + 20):
        async with maker() as db:
            began = time.perf_counter()
            await db.scalar(select(Post.body).where(Post.id == rng.randint(1, rows)))
            if n >= 20:
                times.append(time.perf_counter() - began)
    return times


async def reindex_copy(kind: str, rows: int) -> Figure:
    """``atoll.search.index.reindex`` (what ``atoll reindex`` runs) on a copy of the corpus:
    every document thrown away and written again from the posts, people and spaces, in one
    transaction; timed up to and including the commit."""
    from atoll.search.index import reindex

    with tempfile.TemporaryDirectory(prefix="atoll-bench-") as tmp:
        source, name = CACHE / f"search-{rows}.db", f"atoll_bench_search_{rows}_reindex"
        if kind == "sqlite":
            target = Path(tmp) / "copy.db"
            await asyncio.to_thread(shutil.copyfile, source, target)
            url = f"sqlite+aiosqlite:///{target}"
        else:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "atoll_bench_search_{rows}"')
            url = _pg_url(name)
        engine = make_engine(_settings(url, Path(tmp)))
        try:
            async with make_sessions(engine, Settings())() as db:
                began = time.perf_counter()
                done = await reindex(db)
                await db.commit()
                took = time.perf_counter() - began
        finally:
            await engine.dispose()
            if kind == "postgres":
                await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"  {kind}: reindex() wrote {done:,} documents in {took:.0f} s", flush=True)
    note = "on a copy of the corpus; one transaction" + (
        ", FTS5 optimize included" if kind == "sqlite" else ""
    )
    return Figure(kind, "reindex() (atoll reindex)", done, took, note=note)


async def _run(kind: str, rows: int) -> list[Figure]:
    figures = await _measure(kind, rows)
    if len(figures) > 3:  # the search module is there
        figures.append(await reindex_copy(kind, rows))
    return figures


async def _measure(kind: str, rows: int) -> list[Figure]:
    async with corpus(kind, rows) as (engine, settings, marker):
        sizes: dict[str, int] = marker["sizes"]
        if kind == "sqlite":
            size_note = (
                f"db {_mb(sizes['database'])}, FTS5 {_mb(sizes['fts_tables'])}, "
                f"without FTS {_mb(sizes['without_fts'])}, search_doc "
                f"{_mb(sizes['search_doc'] + sizes['search_doc_indexes'])}"
            )
        else:
            gin = sum(v for k, v in sizes.items() if k.startswith("index") and "tsv" in k)
            size_note = (
                f"db {_mb(sizes['database'])}, search_doc {_mb(sizes['search_doc'])} "
                f"(total {_mb(sizes['search_doc_total'])}), GIN {_mb(gin)}"
            )
        figures = [
            Figure(kind, "load posts (bulk INSERT)", rows, marker["posts_seconds"]),
            Figure(
                kind,
                "index: search_doc rows (bulk INSERT)",
                marker["docs"],
                marker["docs_seconds"],
                baseline=marker["posts_seconds"],
                note=f"built {marker['built_at']}; {size_note}",
            ),
        ]
        if kind == "sqlite":
            figures.append(
                Figure(kind, "FTS5 optimize", marker["docs"], marker["optimize_seconds"])
            )
        try:
            import atoll.search.query  # noqa: F401
        except ImportError:
            print(f"  {kind}: atoll.search.query is not there yet; corpus only", flush=True)
            return figures
        pk = await pk_lookups(engine, rows)
        base = statistics.median(pk)
        figures.append(Figure(kind, "baseline: post by primary key", 1, base, note=_summary(pk)))
        by_class, by_persona, details = await in_process(kind, engine, marker)
        everything = [t for ts in by_class.values() for t in ts]
        for klass, times in by_class.items():
            figures.append(
                Figure(kind, f"search: {klass}", 1, statistics.median(times), base, _summary(times))
            )
        for role, times in by_persona.items():
            figures.append(
                Figure(
                    kind, f"search, all: {role}", 1, statistics.median(times), base, _summary(times)
                )
            )
        figures.append(
            Figure(
                kind,
                "search, all (in-process)",
                1,
                statistics.median(everything),
                base,
                _summary(everything),
            )
        )
        http = await over_http(kind, settings, marker)
        figures.append(
            Figure(
                kind, "search, all (HTTP, ASGI)", 1, statistics.median(http), base, _summary(http)
            )
        )
        slow = sorted(details, key=lambda d: -d["p50_ms"])[:8]
        print(f"  {kind}: slowest queries (p50):", flush=True)
        for d in slow:
            print(f"    {d}", flush=True)
        detail_path = (
            Path(__file__).parent
            / "results"
            / (f"search-queries-{kind}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json")
        )
        detail_path.parent.mkdir(exist_ok=True)
        detail_path.write_text(json.dumps({"rows": rows, "queries": details}, indent=1) + "\n")
        return figures


@benchmark("search")
async def search_latency(options: Options) -> list[Figure]:
    rows = options.rows or DEFAULT_ROWS
    figures: list[Figure] = []
    for kind in options.dbs:
        figures += await _run(kind, rows)
    return figures
