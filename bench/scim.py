"""A full SCIM sync of the demo organisation (``--scale``, 3,000 people by default), as a
provisioning client such as Entra ID makes one, against a real ``atoll serve``; then the same
sync again with nothing changed in the directory.

The directory is the demo organisation as it stands (read from the database before the run):
every person — e-mail, name, title, active — and every unit with its people. For each person
the client asks ``GET /Users?filter=userName eq "…"`` and then PUTs the whole User (or POSTs
it when none is found); for each unit it asks ``GET /Groups?filter=externalId eq "…"`` (on
the first sync, by displayName and the unit it knows) and PUTs the whole Group with its
members. ``CLIENTS`` requests are in flight at once.

The first sync adopts everyone (each person gets their ``scim_user`` row with the client's
externalId: a write per person, but their person row and name stay as they are); the second
must change nothing. What changed is counted in the database between syncs: people whose
``updated_at`` moved, units renamed or moved, people moved between units, rows of
``scim_user``/``scim_group`` written, and events recorded. Target: the second sync changes
nothing and takes under 30 s."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from atoll.db.engine import make_engine
from atoll.events.models import Event
from atoll.identity.models import ScimGroup, ScimUser
from atoll.identity.scim_groups import group_id
from atoll.identity.scim_tokens import do_create_token
from atoll.kit.settings import Settings
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.wiring import make_sessions
from bench import Figure, Options, benchmark
from bench.dataset import working_copy
from bench.server import serve

CLIENTS = 4
TARGET_SECONDS = 30.0
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@dataclass(frozen=True)
class Directory:
    users: list[dict[str, Any]]  # SCIM User bodies
    groups: list[tuple[int, dict[str, Any]]]  # the unit the client knows, its Group body


def _settings(url: str) -> Settings:
    return Settings(database_url=url, var_dir=Path("/tmp"), redis_url="")  # noqa: S108


async def _read_directory(url: str) -> tuple[Directory, str]:
    """The directory the client syncs from, and a SCIM token made for it."""
    engine = make_engine(_settings(url))
    try:
        async with make_sessions(engine, _settings(url))() as session:
            people = (await session.execute(select(Person).order_by(Person.id))).scalars().all()
            units = (await session.execute(select(Unit).order_by(Unit.id))).scalars().all()
            _, token = await do_create_token(session, name="bench")
            await session.commit()
    finally:
        await engine.dispose()
    users = [
        {
            "schemas": [USER],
            "externalId": f"dir-user-{p.id}",
            "userName": p.email,
            "displayName": p.name,
            "name": {"formatted": p.name},
            "title": p.title or None,
            "active": p.is_active,
            "emails": [{"value": p.email, "type": "work", "primary": True}],
        }
        for p in people
    ]
    members: dict[int, list[dict[str, str]]] = {u.id: [] for u in units}
    for p in people:
        if p.unit_id is not None:
            members[p.unit_id].append({"value": str(p.id)})
    groups = [
        (
            u.id,
            {
                "schemas": [GROUP],
                "externalId": f"dir-unit-{u.id}",
                "displayName": u.name,
                "members": members[u.id],
            },
        )
        for u in units
    ]
    return Directory([{k: v for k, v in u.items() if v is not None} for u in users], groups), token


async def _state(url: str) -> dict[str, Any]:
    """What a sync may change, to compare before and after."""
    engine = make_engine(_settings(url))
    try:
        async with make_sessions(engine, _settings(url))() as session:
            people = (
                await session.execute(select(Person.id, Person.updated_at, Person.unit_id))
            ).all()
            units = (await session.execute(select(Unit.id, Unit.name, Unit.path))).all()
            scim_users = (await session.execute(select(ScimUser))).scalars().all()
            scim_groups = (await session.execute(select(ScimGroup))).scalars().all()
            events = await session.scalar(select(func.count()).select_from(Event))
    finally:
        await engine.dispose()
    return {
        "updated": {i: at for i, at, _ in people},
        "placed": {i: unit for i, _, unit in people},
        "units": {tuple(u) for u in units},
        "scim_users": {
            tuple(getattr(r, c.key) for c in ScimUser.__table__.columns) for r in scim_users
        },
        "scim_groups": {(r.unit_id, r.external_id) for r in scim_groups},
        "events": int(events or 0),
    }


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    return {
        "people updated": sum(
            1 for i, at in after["updated"].items() if before["updated"].get(i) != at
        ),
        "people moved": sum(1 for i, u in after["placed"].items() if before["placed"].get(i) != u),
        "units changed": len(after["units"] ^ before["units"]) // 2
        + abs(len(after["units"]) - len(before["units"])),
        "scim_user rows written": len(after["scim_users"] - before["scim_users"]),
        "scim_group rows written": len(after["scim_groups"] - before["scim_groups"]),
        "events": after["events"] - before["events"],
    }


class Client:
    """A provisioning client: counts its requests, fails on any unexpected answer."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base
        self.requests = 0
        self.gate = asyncio.Semaphore(CLIENTS)

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        async with self.gate, self.http.request(method, self.base + path, **kwargs) as answer:
            text = await answer.text()
        self.requests += 1
        if answer.status >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status} {text[:300]}")
        return json.loads(text) if text else {}

    async def sync_user(self, body: dict[str, Any]) -> None:
        found = await self.call(
            "GET", "/Users", params={"filter": f'userName eq "{body["userName"]}"'}
        )
        if found["Resources"]:
            await self.call("PUT", f"/Users/{found['Resources'][0]['id']}", json=body)
        else:
            await self.call("POST", "/Users", json=body)

    async def sync_group(self, unit_id: int, body: dict[str, Any]) -> None:
        params = {"filter": f'externalId eq "{body["externalId"]}"',
                  "excludedAttributes": "members"}  # fmt: skip
        found = (await self.call("GET", "/Groups", params=params))["Resources"]
        if not found:  # first sync: match by name, and the unit the client knows
            params["filter"] = f'displayName eq "{body["displayName"]}"'
            named = (await self.call("GET", "/Groups", params=params))["Resources"]
            found = [g for g in named if g["id"] == group_id(unit_id)]
        await self.call("PUT", f"/Groups/{found[0]['id']}", json=body)


async def _sync(base: str, token: str, directory: Directory) -> tuple[float, int]:
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as http:
        client = Client(http, f"{base}/scim/v2")
        started = time.perf_counter()
        await asyncio.gather(*(client.sync_user(u) for u in directory.users))
        await asyncio.gather(*(client.sync_group(i, g) for i, g in directory.groups))
        return time.perf_counter() - started, client.requests


async def _run_one(kind: str, scale: str) -> list[Figure]:
    async with working_copy(kind, scale) as url:
        directory, token = await _read_directory(url)
        async with serve(url) as server:
            figures = []
            for case in ("first sync (adopts everyone)", "second sync, nothing changed"):
                before, cpu = await _state(url), server.cpu_seconds()
                seconds, requests = await _sync(server.base, token, directory)
                cpu = server.cpu_seconds() - cpu
                changes = _changes(before, await _state(url))
                print(
                    f"  {kind} {case}: {seconds:.1f} s, {requests:,} requests, server CPU "
                    f"{cpu:.1f} s ({cpu / requests * 1000:.1f} ms a request), {changes}"
                )
                second = case.startswith("second")
                figures.append(
                    Figure(
                        db=kind,
                        case=case,
                        items=len(directory.users) + len(directory.groups),
                        seconds=seconds,
                        note=f"{requests:,} requests, server CPU {cpu:.1f} s; changed: "
                        + ", ".join(f"{k} {v}" for k, v in changes.items()),
                        target=f"nothing changed, < {TARGET_SECONDS:.0f} s" if second else "",
                        met=(not any(changes.values()) and seconds < TARGET_SECONDS)
                        if second
                        else None,
                    )
                )
    return figures


@benchmark("scim")
async def scim_sync(options: Options) -> list[Figure]:
    figures: list[Figure] = []
    for kind in options.dbs:
        figures += await _run_one(kind, options.scale)
    return figures
