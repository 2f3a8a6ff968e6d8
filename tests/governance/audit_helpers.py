"""Reading the audit log as an administrator would, through ``GET /api/v1/admin/audit``:
``AuditLog.expect`` finds the newest entry of an action made since the last look and checks
who acted, on what, and the before → after."""

from __future__ import annotations

from typing import Any

import httpx

API = "/api/v1/admin/audit"


class AuditLog:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers
        self.seen = 0  # the newest entry id looked at

    async def entries(self, **filters: Any) -> list[dict[str, Any]]:
        answer = await self.client.get(API, params={"limit": 100, **filters}, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    async def new(self) -> list[dict[str, Any]]:
        """The entries made since the last look, oldest first (and look again from here)."""
        fresh = [e for e in await self.entries() if int(e["id"]) > self.seen]
        if fresh:
            self.seen = max(int(e["id"]) for e in fresh)
        return list(reversed(fresh))

    async def expect(
        self,
        action: str,
        *,
        actor: int | None,
        target: tuple[str, int | str],
        label: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        space_id: int | None = None,
        **detail: Any,
    ) -> dict[str, Any]:
        """The one new entry of ``action`` (made since the last look), as expected."""
        fresh = await self.new()
        found = [e for e in fresh if e["action"] == action]
        assert len(found) == 1, (action, [e["action"] for e in fresh])
        entry = found[0]
        assert (entry["actor"] or {}).get("id") == (None if actor is None else str(actor)), entry
        if label is not None:
            assert entry["actor_label"] == label, entry
        assert (entry["target_type"], entry["target_id"]) == (target[0], str(target[1])), entry
        if space_id is not None:
            assert entry["space_id"] == str(space_id), entry
        if before is not None:
            assert entry["detail"].get("before") == before, entry
        if after is not None:
            assert entry["detail"].get("after") == after, entry
        for key, value in detail.items():
            assert entry["detail"].get(key) == value, (key, entry)
        return entry

    async def nothing_new(self) -> None:
        fresh = await self.new()
        assert not fresh, [e["action"] for e in fresh]
