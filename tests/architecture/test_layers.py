"""The layers run one way: no module imports one of a higher layer, at the top of a file,
inside a function or under TYPE_CHECKING (tests/architecture/layers.py declares the order)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from tests.architecture.layers import LAYERS, imports_of, layer_of, modules, upward_imports


def test_every_module_is_in_a_declared_layer() -> None:
    for module, _ in modules():
        assert 0 <= layer_of(module) < len(LAYERS)


def test_no_import_runs_up_the_layers() -> None:
    found = sorted(
        f"{imp.importer}:{imp.line} imports {imp.imported}, of a higher layer"
        for imp in upward_imports()
    )
    assert not found, "\n".join(found)


def test_no_modules_import_each_other_in_a_loop() -> None:
    """Not even inside one layer or one package: a loop of imports makes the import order
    matter, and is dodged with imports hidden in functions."""
    found = dict(modules())
    graph: nx.DiGraph[str] = nx.DiGraph()
    for module, path in found.items():
        for imp in imports_of(module, path):
            target = imp.imported
            while target and target not in found:
                target = target.rpartition(".")[0]
            if target not in ("", "atoll", module):
                graph.add_edge(module, target)
    loops = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not loops, loops


def test_the_walk_sees_imports_inside_functions_and_type_checking(tmp_path: Path) -> None:
    """The check is only as good as its walk: a hidden import is an import."""
    source = tmp_path / "policy.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from atoll.spaces.models import Space\n"
        "def f():\n"
        "    from ..conversations import service\n"
        "    import atoll.search.index\n"
    )
    found = {imp.imported for imp in imports_of("atoll.people.policy", source)}
    assert {
        "atoll.spaces.models.Space",
        "atoll.conversations.service",
        "atoll.search.index",
    } <= found
    assert all(
        layer_of(name) > layer_of("atoll.people.policy")
        for name in found - {"typing.TYPE_CHECKING"}
        if name.startswith("atoll")
    )
