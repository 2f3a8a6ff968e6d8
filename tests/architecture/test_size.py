"""Files and functions stay small enough to read: no file over 500 lines, no function over 60
lines (migrations and the demo generator's planning functions aside: they are long lists)."""

from __future__ import annotations

import ast

from tests.architecture.layers import SRC, modules

MAX_FILE = 500
MAX_FUNCTION = 60
EXEMPT_FUNCTIONS = ("atoll.migrations", "atoll.demo")


def too_long() -> set[str]:
    found = set()
    for module, path in modules():
        source = path.read_text()
        if not module.startswith("atoll.migrations") and source.count("\n") > MAX_FILE:
            found.add(module)
        if module.startswith(EXEMPT_FUNCTIONS):
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION:
                    found.add(f"{module}.{node.name}")
    return found


def test_no_file_or_function_is_too_long() -> None:
    assert SRC.is_dir()
    found = sorted(too_long())
    assert not found, f"longer than {MAX_FILE} lines a file or {MAX_FUNCTION} a function: {found}"
