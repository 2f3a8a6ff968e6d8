"""The page tree of a wiki as the pages show it: live pages nested under their parents.

Pure functions over the pages ``service.page_tree`` loads (one query); nothing here touches
the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from atoll.wiki.models import WikiPage


@dataclass
class TreeNode:
    page: WikiPage
    children: list[TreeNode] = field(default_factory=list)


def build_tree(pages: list[WikiPage]) -> list[TreeNode]:
    """Nest the pages (already by title) under their parents. A page whose parent is not
    among them (deleted) is a root; so is any page caught in a loop of parents."""
    nodes = {p.id: TreeNode(p) for p in pages}
    roots: list[TreeNode] = []
    for p in pages:
        parent = nodes.get(p.parent_id) if p.parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[p.id])
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        seen.add(node.page.id)
        stack.extend(node.children)
    for p in pages:  # a loop of parents is reachable from no root: show it at the top, cut
        if p.id in seen:
            continue
        roots.append(nodes[p.id])
        stack = [nodes[p.id]]
        while stack:
            node = stack.pop()
            seen.add(node.page.id)
            node.children = [c for c in node.children if c.page.id not in seen]
            stack.extend(node.children)
    return roots


def below(node: TreeNode) -> set[int]:
    """The ids of a page and of every page under it (none of them can be its parent)."""
    out: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.page.id in out:
            continue
        out.add(n.page.id)
        stack.extend(n.children)
    return out


def find_node(nodes: list[TreeNode], page_id: int) -> TreeNode | None:
    """The node of a page in the tree, if it is there (a deleted page is not)."""
    stack = list(nodes)
    seen: set[int] = set()
    while stack:
        n = stack.pop()
        if n.page.id == page_id:
            return n
        if n.page.id not in seen:
            seen.add(n.page.id)
            stack.extend(n.children)
    return None


def ancestors(pages: list[WikiPage], page: WikiPage) -> list[WikiPage]:
    """The pages above this one, from the top down (the breadcrumb)."""
    by_id = {p.id: p for p in pages}
    chain: list[WikiPage] = []
    seen = {page.id}
    up = by_id.get(page.parent_id) if page.parent_id is not None else None
    while up is not None and up.id not in seen:
        chain.append(up)
        seen.add(up.id)
        up = by_id.get(up.parent_id) if up.parent_id is not None else None
    return list(reversed(chain))
