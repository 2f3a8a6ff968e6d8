"""SCIM filters and attribute paths (RFC 7644 §3.4.2.2 and §3.5.2): parsed into a small tree
that the users and groups queries turn into SQL (``to_sql``) and that PATCH evaluates on the
values of a multi-valued attribute (``matches``).

    filter    = or ; or = and *("or" and) ; and = not *("and" not)
    not       = "not" "(" filter ")" / "(" filter ")" / attrExp / valuePath
    attrExp   = attrPath "pr" / attrPath compareOp compValue
    valuePath = attrPath "[" filter "]"

Attribute names are not case-sensitive; a schema URN before them is dropped."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, null, or_, true

from atoll.kit.ids import parse_id

from .scim_errors import ScimError, invalid_filter, invalid_path

OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
MAX_FILTER = 2000

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<punct>[()\[\]])
      | (?P<word>[A-Za-z0-9_:.$\-+]+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Compare:
    attr: str  # lower-cased, without the URN: "username", "emails.value", "name.givenname"
    op: str  # one of OPS, or "pr"
    value: Any = None


@dataclass(frozen=True)
class Logic:
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    inner: Node


@dataclass(frozen=True)
class ValuePath:
    attr: str  # the multi-valued attribute: "emails", "members"
    inner: Node  # a filter on its sub-attributes (names relative to it)


Node = Compare | Logic | Not | ValuePath


@dataclass(frozen=True)
class Path:
    """A PATCH path: ``attr``, ``attr.sub`` or ``attr[filter].sub``."""

    attr: str
    where: Node | None = None
    sub: str | None = None


def strip_urn(name: str) -> str:
    """``urn:ietf:params:scim:schemas:core:2.0:User:name.givenName`` → ``name.givenname``."""
    if name.lower().startswith("urn:"):
        core = re.match(r"(?i)urn:ietf:params:scim:schemas:core:2\.0:(user|group):", name)
        if core is None:
            return name.lower()  # an extension's attribute: kept whole, and refused later
        name = name[core.end() :]
    return name.lower()


def _tokens(text: str, error: Callable[[str], ScimError]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise error(f"cannot read the filter at {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str, error: Callable[[str], ScimError]) -> None:
        if len(text) > MAX_FILTER:
            raise error(f"a filter is at most {MAX_FILTER} characters long")
        self.error = error
        self.tokens = _tokens(text, error)
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.error("the filter ends too early")
        self.at += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token and token[0] == "word" and token[1].lower() in words:
            self.at += 1
            return token[1].lower()
        return None

    def expect(self, punct: str) -> None:
        token = self.take()
        if token != ("punct", punct):
            raise self.error(f"expected {punct!r} but found {token[1]!r}")

    def filter(self, depth: int = 0) -> Node:
        if depth > 20:
            raise self.error("the filter nests too deeply")
        node = self.conjunction(depth)
        while self.keyword("or"):
            node = Logic("or", node, self.conjunction(depth))
        return node

    def conjunction(self, depth: int) -> Node:
        node = self.factor(depth)
        while self.keyword("and"):
            node = Logic("and", node, self.factor(depth))
        return node

    def factor(self, depth: int) -> Node:
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            node = self.filter(depth + 1)
            self.expect(")")
            return node
        if token and token[0] == "word" and token[1].lower() == "not":
            following = self.tokens[self.at + 1] if self.at + 1 < len(self.tokens) else None
            if following == ("punct", "("):
                self.at += 2
                node = self.filter(depth + 1)
                self.expect(")")
                return Not(node)
        return self.expression(depth)

    def attribute(self) -> str:
        kind, text = self.take()
        if kind != "word" or not re.match(r"^[A-Za-z$]", text):
            raise self.error(f"expected an attribute name but found {text!r}")
        return strip_urn(text)

    def expression(self, depth: int) -> Node:
        attr = self.attribute()
        if self.peek() == ("punct", "["):
            self.take()
            inner = self.filter(depth + 1)
            self.expect("]")
            return ValuePath(attr, inner)
        op = self.keyword(*OPS, "pr")
        if op is None:
            found = self.peek()
            raise self.error(
                f"expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after {attr!r}"
                + (f" but found {found[1]!r}" if found else "")
            )
        if op == "pr":
            return Compare(attr, "pr")
        return Compare(attr, op, self.value())

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            try:
                return json.loads(text)
            except ValueError:
                raise self.error(f"{text} is not a valid string") from None
        if kind == "word":
            lowered = text.lower()
            if lowered in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[lowered]
            try:
                return json.loads(text)
            except ValueError:
                pass
        raise self.error(f"{text!r} is not a value (use a quoted string, a number, true/false)")

    def done(self) -> None:
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()[1]!r} in the filter")  # type: ignore[index]


def parse_filter(text: str) -> Node:
    parser = _Parser(text, invalid_filter)
    if not parser.tokens:
        raise invalid_filter("the filter is empty")
    node = parser.filter()
    parser.done()
    return node


def parse_path(text: str) -> Path:
    """A PATCH operation's ``path``."""
    parser = _Parser(text, invalid_path)
    if not parser.tokens:
        raise invalid_path("the path is empty")
    attr = parser.attribute()
    if parser.peek() != ("punct", "["):
        parser.done()
        # an extension's URN has dots of its own (…:enterprise:2.0:User:department)
        prefix, colon, tail = attr.rpartition(":")
        head, _, rest = tail.partition(".")
        return Path(prefix + colon + head, None, rest or None)
    parser.take()
    where = parser.filter()
    parser.expect("]")
    sub: str | None = None
    token = parser.peek()
    if token is not None:
        kind, text_ = parser.take()
        if kind != "word" or not text_.startswith(".") or len(text_) < 2:
            raise invalid_path(f"unexpected {text_!r} after the filter in the path")
        sub = text_[1:].lower()
        parser.done()
    return Path(attr, where, sub)


# --- evaluating a filter on one value of a multi-valued attribute (PATCH) ---------------


def _text(value: Any) -> str:
    return str(value).lower() if not isinstance(value, bool) else str(value).lower()


def matches(node: Node, item: dict[str, Any]) -> bool:
    """Whether a value of a multi-valued attribute (``{"value": ..., "type": ...}``) passes a
    filter whose names are its sub-attributes."""
    if isinstance(node, Logic):
        if node.op == "and":
            return matches(node.left, item) and matches(node.right, item)
        return matches(node.left, item) or matches(node.right, item)
    if isinstance(node, Not):
        return not matches(node.inner, item)
    if isinstance(node, ValuePath):
        raise invalid_filter("a filter inside brackets cannot hold another one")
    fields = {str(k).lower(): v for k, v in item.items()}
    have = fields.get(node.attr)
    if node.op == "pr":
        return have not in (None, "", [])
    want = node.value
    if isinstance(want, bool) or isinstance(have, bool):
        result = _bool(have) == want if node.op in ("eq", "ne") else False
        return result if node.op == "eq" else not result
    left, right = ("" if have is None else _text(have)), ("" if want is None else _text(want))
    return _compare_text(node.op, left, right)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _compare_text(op: str, left: str, right: str) -> bool:
    return {
        "eq": left == right,
        "ne": left != right,
        "co": right in left,
        "sw": left.startswith(right),
        "ew": left.endswith(right),
        "gt": left > right,
        "ge": left >= right,
        "lt": left < right,
        "le": left <= right,
    }[op]


# --- turning a filter into SQL ------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """How a filter attribute is read in SQL: a text column (compared lower-cased unless
    ``exact``), a boolean, or an id. ``exists`` wraps the comparison of a multi-valued
    attribute's sub-attribute (a group's members) in its own sub-query."""

    expr: Any
    kind: str = "text"  # "text" | "bool" | "id" | "absent" (not an attribute of this type)
    exact: bool = False
    folded: bool = False  # stored lower-cased already: only the value is lower-cased
    # An equality that an index answers better than ``expr == value`` (userName: either of two
    # tables holds it); given the value as sent.
    equals: Callable[[str], ColumnElement[bool]] | None = None
    exists: Callable[[ColumnElement[bool]], ColumnElement[bool]] | None = None
    # An id's number as the client writes it (None: no resource has that id).
    ident: Callable[[Any], int | None] = parse_id


# The column behind each attribute a filter may name (None: not one that can be filtered on).
Resolve = Callable[[str], Column | None]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_sql(column: Column, op: str, value: Any) -> ColumnElement[bool]:
    if not isinstance(value, str):
        raise invalid_filter("compare this attribute with a quoted string")
    expr = column.expr if column.exact or column.folded else func.lower(column.expr)
    want = value if column.exact else value.lower()
    if op in ("co", "sw", "ew"):
        pattern = _escape_like(want)
        pattern = {"co": f"%{pattern}%", "sw": f"{pattern}%", "ew": f"%{pattern}"}[op]
        return and_(column.expr.is_not(None), expr.like(pattern, escape="\\"))
    if op == "ne":
        return or_(column.expr.is_(None), expr != want)
    comparisons: dict[str, Callable[[], ColumnElement[bool]]] = {
        "eq": lambda: expr == want,
        "gt": lambda: expr > want,
        "ge": lambda: expr >= want,
        "lt": lambda: expr < want,
        "le": lambda: expr <= want,
    }
    return comparisons[op]()


ABSENT = Column(null(), "absent")


def across(own: Resolve, *others: Resolve) -> Resolve:
    """The columns of one resource type in a search of several (``POST /.search``): an
    attribute only another type has is, on this one, an attribute without a value (RFC 7644
    §3.4.2.1), so ``pr`` and ``eq`` on it are false and ``ne`` true. An attribute no type has
    is still an error."""

    def resolve(attr: str) -> Column | None:
        column = own(attr)
        if column is None and any(other(attr) is not None for other in others):
            return ABSENT
        return column

    return resolve


def _compare_sql(column: Column, node: Compare) -> ColumnElement[bool]:
    if column.kind == "absent":
        return true() if node.op == "ne" else false()
    if node.op == "pr":
        clause: ColumnElement[bool] = column.expr.is_not(None)
        if column.kind == "text":
            clause = and_(clause, column.expr != "")
    elif column.kind == "bool":
        value = _bool(node.value)
        if value is None or node.op not in ("eq", "ne"):
            raise invalid_filter(f"{node.attr} is true or false: use eq or ne with true/false")
        clause = column.expr.is_(value) if node.op == "eq" else column.expr.is_not(value)
    elif column.kind == "id":
        if node.op not in ("eq", "ne"):
            raise invalid_filter(f"{node.attr} can only be compared with eq or ne")
        wanted = column.ident(node.value)
        if wanted is None:
            return false() if node.op == "eq" else true()
        clause = column.expr == wanted if node.op == "eq" else column.expr != wanted
    elif column.equals is not None and node.op == "eq" and isinstance(node.value, str):
        clause = column.equals(node.value)
    else:
        clause = _text_sql(column, node.op, node.value)
    return column.exists(clause) if column.exists is not None else clause


def to_sql(node: Node, resolve: Resolve) -> ColumnElement[bool]:
    """The filter as a WHERE clause; ``resolve`` names the column of each attribute (None:
    not one that can be filtered on, an ``invalidFilter`` error)."""
    if isinstance(node, Logic):
        left, right = to_sql(node.left, resolve), to_sql(node.right, resolve)
        return and_(left, right) if node.op == "and" else or_(left, right)
    if isinstance(node, Not):
        return not_(to_sql(node.inner, resolve))
    if isinstance(node, ValuePath):
        return to_sql(_prefixed(node.inner, node.attr), resolve)
    column = resolve(node.attr)
    if column is None:
        raise invalid_filter(f"cannot filter on {node.attr!r}")
    return _compare_sql(column, node)


def _prefixed(node: Node, attr: str) -> Node:
    """``emails[type eq "work"]`` is ``emails.type eq "work"``."""
    if isinstance(node, Logic):
        return Logic(node.op, _prefixed(node.left, attr), _prefixed(node.right, attr))
    if isinstance(node, Not):
        return Not(_prefixed(node.inner, attr))
    if isinstance(node, ValuePath):
        raise invalid_filter("a filter inside brackets cannot hold another one")
    return Compare(f"{attr}.{node.attr}", node.op, node.value)
