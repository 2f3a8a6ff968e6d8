"""What an org-chart import reports: counts, every person and unit it creates, changes, moves
or deactivates, the rows it could not take, and warnings — unit paths that look like others
(``similar_paths``), managers it could not set, people it would not deactivate."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.service import record_audit
from atoll.people.models import Person
from atoll.people.trail import actor_fields

# A one-letter difference is only a likely typo in a name this long, and never when the
# letters that differ are digits ("Team 1" and "Team 2" are two teams).
MIN_TYPO_LENGTH = 4


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    deactivated: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    applied: bool = False
    # The rows are well-formed but conflict with the organisation as it is (they would leave
    # it without an administrator): 409 rather than 422.
    conflict: bool = False
    # Who and what, by name: {"email","name","unit"} created; {"email","name","fields"}
    # changed; {"email","name","from","to"} moved; {"email","name"} deactivated; unit paths.
    people_created: list[dict[str, Any]] = field(default_factory=list)
    people_changed: list[dict[str, Any]] = field(default_factory=list)
    people_moved: list[dict[str, Any]] = field(default_factory=list)
    people_deactivated: list[dict[str, Any]] = field(default_factory=list)
    units_new: list[str] = field(default_factory=list)
    # {"kind": "similar_unit" | "manager" | "kept_active", "message", "line"?, ...}
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "units_created": self.units_created,
            "deactivated": self.deactivated,
            "rejected": self.rejected,
            "applied": self.applied,
            "people_created": self.people_created,
            "people_changed": self.people_changed,
            "people_moved": self.people_moved,
            "people_deactivated": self.people_deactivated,
            "units_new": self.units_new,
            "warnings": self.warnings,
        }


def _key(segment: str) -> str:
    """A unit name as a typo hides it: no case, no spacing, one Unicode form."""
    return "".join(unicodedata.normalize("NFKC", segment).casefold().split())


def _variants(key: str) -> set[str]:
    """The name and the name with any one letter left out: two names within one letter of
    each other (one changed, added or left out) share one of these."""
    return {key} | {key[:i] + key[i + 1 :] for i in range(len(key))}


def _one_letter_apart(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one letter (changed, added or left out), neither
    is short and the letters that differ are not digits."""
    if min(len(a), len(b)) < MIN_TYPO_LENGTH or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        same = a[i + 1 :] == b[i + 1 :]
        differing = a[i] + b[i]
    else:
        longer, shorter = (a, b) if len(a) > len(b) else (b, a)
        same = longer[i + 1 :] == shorter[i:]
        differing = longer[i]
    return same and not any(ch.isdigit() for ch in differing)


def _how_similar(a: str, b: str) -> str | None:
    """Why path ``a`` looks like path ``b`` (None: it does not)."""
    sa, sb = a.split("/"), b.split("/")
    if a == b or len(sa) != len(sb):
        return None
    ka, kb = [_key(s) for s in sa], [_key(s) for s in sb]
    if ka == kb:
        return "only by case or spacing"
    differ = [i for i in range(len(ka)) if ka[i] != kb[i]]
    if len(differ) == 1 and _one_letter_apart(ka[differ[0]], kb[differ[0]]):
        return "by one letter"
    return None


def similar_paths(new: Iterable[str], existing: Iterable[str]) -> list[dict[str, Any]]:
    """Warnings for each path in ``new`` (the file's paths that are not units yet) that
    differs from an ``existing`` unit's path, or from another new path, only by case, spacing
    or one letter in one of its names: ``engineering/Plattform/Core`` beside
    ``engineering/Platform/Core`` is most likely a typo that would create units twice.

    Paths are bucketed by each name's one-letter-shorter variants, so a file of thousands of
    paths is compared in a time proportional to its size, not to its square."""
    new_paths = sorted(set(new))
    old_paths = sorted(set(existing) - set(new_paths))
    buckets: defaultdict[tuple[Any, ...], list[str]] = defaultdict(list)
    for path in old_paths + new_paths:
        keys = [_key(s) for s in path.split("/")]
        for i, name in enumerate(keys):
            for variant in _variants(name):
                buckets[(len(keys), i, tuple(keys[:i]), tuple(keys[i + 1 :]), variant)].append(path)
    fresh = set(new_paths)
    found: dict[tuple[str, str], str] = {}
    for paths in buckets.values():
        if len(paths) < 2 or not fresh.intersection(paths):
            continue
        for a in paths:
            if a not in fresh:
                continue
            for b in paths:
                pair = (a, b) if b not in fresh else (min(a, b), max(a, b))
                if b != a and pair not in found and (how := _how_similar(a, b)):
                    found[pair] = how

    def parent(path: str) -> str:
        return path.rpartition("/")[0]

    # engineering/Plattform/Core beside engineering/Platform/Core is the same typo as
    # engineering/Plattform beside engineering/Platform: told once, at the top.
    found = {
        (a, b): how
        for (a, b), how in found.items()
        if (parent(a), parent(b)) not in found and (parent(b), parent(a)) not in found
    }
    return [
        {
            "kind": "similar_unit",
            "path": a,
            "similar": b,
            "message": f"The unit path {a} differs from {b} "
            f"({'an existing unit' if b not in fresh else 'also in the file'}) {how}: if it "
            "is a typo, importing creates a second unit.",
        }
        for (a, b), how in sorted(found.items())
    ]


IMPORT_LABEL = "org-chart import (command line)"  # who acted, in the audit log


def record_import(
    session: AsyncSession, *, actor: Person | None, report: ImportReport, file_name: str
) -> None:
    counts = ("created", "updated", "unchanged", "units_created", "deactivated")
    record_audit(
        session,
        action="org.imported",
        target_type="org_import",
        target_id=file_name[:64],
        **actor_fields(actor, IMPORT_LABEL if actor is None else ""),
        file_name=file_name,
        **{key: getattr(report, key) for key in counts},
    )
