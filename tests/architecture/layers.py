"""The declared order of Atoll's layers, bottom to top (docs/architecture.md draws it). A
module may import modules of its own layer's package and of the layers below; never above."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

# Bottom to top. Each entry is one layer: the modules it holds (a module belongs to the
# longest prefix that names it).
LAYERS: list[tuple[str, ...]] = [
    ("atoll", "atoll.kit"),  # helpers and settings (atoll.kit.settings) that know no domain
    ("atoll.db",),  # engine and base: no domain
    ("atoll.http",),  # request plumbing: transaction, idempotency, CSRF, rendering
    ("atoll.mail",),  # e-mail queued on the session, sent over SMTP after the commit
    ("atoll.events", "atoll.audit"),  # the outbox and the audit log: one row in the caller's
    # transaction (record_event, record_audit)
    ("atoll.people",),
    ("atoll.org",),
    ("atoll.spaces",),  # THE read rule
    ("atoll.identity",),  # SSO, SCIM, invitations: people arrive (into spaces)
    ("atoll.conversations",),
    ("atoll.wiki",),
    ("atoll.search",),  # subscribers from here ...
    ("atoll.notifications",),
    ("atoll.analytics",),  # ... to here
    ("atoll.governance",),  # reports, the moderation queue, the audit log's readers
    ("atoll.realtime",),  # the hub and the event streams
    ("atoll.discover",),
    ("atoll.demo",),
    ("atoll.web",),  # the shell's chrome and error pages
    # The shell: builds the app, wires subscribers, migrates (the schema's history spans every
    # domain, and Alembic's environment needs every table).
    (
        "atoll.app",
        "atoll.asgi",
        "atoll.cli",
        "atoll.migrate",
        "atoll.models",
        "atoll.tasks",
        "atoll.wiring",
    ),
    ("atoll.migrations",),
]


@dataclass(frozen=True)
class Import:
    importer: str  # module
    line: int
    imported: str  # module (or module.name for "from module import name")


def layer_of(module: str) -> int:
    best, found = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    if found < 0:
        raise LookupError(f"{module} is in no declared layer")
    return found


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted((SRC / "atoll").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imports_of(module: str, path: Path) -> Iterator[Import]:
    """Every import in the module: at the top, inside functions, under TYPE_CHECKING."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                yield Import(module, node.lineno, f"{target}.{alias.name}")


def upward_imports() -> list[Import]:
    """The imports that run from a lower layer to a higher one."""
    found = []
    for module, path in modules():
        own = layer_of(module)
        for imp in imports_of(module, path):
            if imp.imported.split(".")[0] != "atoll":
                continue
            if layer_of(imp.imported) > own:
                found.append(imp)
    return found
