"""Two things an org-chart import decides about people beyond their rows: reporting lines
(the ``manager`` column) and, with ``deactivate_missing``, who leaves.

Reporting lines never form a cycle: each row's manager is taken in file order, and one that
would close a loop (A manages B manages A) — or names nobody in the file or in Atoll, or the
person themselves — is left out, the row reported with a warning; the rest of the file
imports. A row without the column (or a file without it) leaves the manager as it is; an
empty cell clears it.

Who leaves: the members (externals are not in the org chart) who are active and absent from
the file — never the person running the import, and never the last active administrator:
both stay, with a warning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from atoll.org.import_report import ImportReport


class Row(Protocol):
    line: int
    email: str
    kind: str
    manager: str | None


def plan_managers(
    rows: Sequence[Row], existing: dict[str, Any], report: ImportReport
) -> dict[str, str | None]:
    """The manager (by e-mail; None: none) of each row that names one, or clears it."""
    by_id = {old.id: email for email, old in existing.items()}
    boss: dict[str, str | None] = {
        email: by_id.get(old.manager_id) for email, old in existing.items()
    }
    in_file = {r.email for r in rows}
    asked = [r for r in rows if r.manager is not None]
    for row in asked:
        boss[row.email] = None
    out: dict[str, str | None] = {}
    for row in asked:
        out[row.email] = None
        wanted = row.manager
        if not wanted:
            continue
        if wanted == row.email:
            problem = f"{row.email} cannot be their own manager"
        elif wanted not in in_file and wanted not in existing:
            problem = f"the manager {wanted} is nobody in the file or in Atoll"
        elif (loop := _loop(boss, row.email, wanted)) is not None:
            problem = f"{wanted} managing {row.email} makes a cycle: {' → '.join(loop)}"
        else:
            boss[row.email] = out[row.email] = wanted
            continue
        report.warnings.append(
            {
                "kind": "manager",
                "line": row.line,
                "email": row.email,
                "message": f"line {row.line}: {problem}; {row.email} is left without a manager.",
            }
        )
    return out


def _loop(boss: dict[str, str | None], person: str, manager: str) -> list[str] | None:
    """The chain of managers from ``person`` back to themselves, if ``manager`` managing
    them would close one."""
    chain, seen, at = [person, manager], {manager}, boss.get(manager)
    while at is not None and at not in seen:
        chain.append(at)
        if at == person:
            return chain
        seen.add(at)
        at = boss.get(at)
    return None


def plan_leavers(
    rows: Sequence[Row], existing: dict[str, Any], actor_id: int | None, report: ImportReport
) -> list[int]:
    """The ids of the active members absent from the file, except the person importing and
    the last active administrator (kept, with a warning); each named in the report."""
    in_file = {r.email: r for r in rows}
    leaving = sorted(
        (
            old
            for email, old in existing.items()
            if email not in in_file and old.kind == "member" and old.is_active
        ),
        key=lambda old: old.email,
    )
    admins_staying = sum(
        1
        for email, row in in_file.items()
        if (old := existing.get(email)) is not None
        and old.role == "admin"
        and old.is_active
        and row.kind == "member"
    )
    # The person importing stays: if they are an administrator, the organisation keeps one.
    admins_staying += sum(1 for old in leaving if old.id == actor_id and old.role == "admin")
    out: list[int] = []
    for old in leaving:
        if old.id == actor_id:
            _keep(report, old, "is running this import")
        elif old.role == "admin" and not admins_staying:
            admins_staying += 1
            _keep(report, old, "is the last active administrator")
        else:
            out.append(old.id)
            report.people_deactivated.append({"email": old.email, "name": old.name})
    report.deactivated = len(out)
    return out


def _keep(report: ImportReport, old: Any, why: str) -> None:
    report.warnings.append(
        {
            "kind": "kept_active",
            "email": old.email,
            "message": f"{old.name} ({old.email}) is not in the file but {why}: they stay active.",
        }
    )
