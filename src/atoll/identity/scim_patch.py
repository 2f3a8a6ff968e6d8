"""SCIM PATCH (RFC 7644 §3.5.2) applied to a resource as its client sees it (a JSON document):
the users and groups modules then read the patched document like the body of a PUT, so a PATCH
and a PUT change the same things in the same way — and a PATCH that changes nothing writes
nothing.

Operations are taken as providers send them: ``op`` in any case (Entra ID writes "Replace"),
with or without ``path``; without one, ``value`` holds attribute paths as keys (Okta's
``{"active": false}``, Entra's ``{"name.givenName": "Ana"}``); a path may carry a filter
(``emails[type eq "work"].value``, ``members[value eq "42"]``); ``remove`` of ``members`` may
name the values to remove (Entra's ``"value": [{"value": "42"}]``)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .scim_errors import ScimError, invalid_path, invalid_syntax, invalid_value
from .scim_filter import Compare, Path, matches, parse_path, strip_urn
from .scim_schemas import PATCH

OPS = ("add", "replace", "remove")
MAX_OPERATIONS = 1000


@dataclass(frozen=True)
class Shape:
    """The attributes of a resource type as PATCH needs them: canonical names by their
    lower-cased name, which are multi-valued or complex, and which are accepted but not kept
    (a PATCH of those changes nothing)."""

    names: dict[str, str]
    multi: frozenset[str]
    complex: frozenset[str]
    ignored: frozenset[str]
    read_only: frozenset[str] = frozenset({"id", "meta", "schemas"})


def operations(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        raise invalid_syntax("send a PatchOp object")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or PATCH not in schemas):
        raise invalid_syntax(f"schemas must be [{PATCH!r}]")
    unknown = set(body) - {"schemas", "Operations", "operations"}
    if unknown:
        raise invalid_syntax(f"unknown members in the PatchOp: {', '.join(sorted(unknown))}")
    ops = body.get("Operations", body.get("operations"))
    if not isinstance(ops, list) or not ops:
        raise invalid_syntax("Operations must be a non-empty list")
    if len(ops) > MAX_OPERATIONS:
        raise ScimError(400, f"at most {MAX_OPERATIONS} operations at once", "tooMany")
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("op"), str):
            raise invalid_syntax('each operation is an object with "op"')
        if op["op"].lower() not in OPS:
            raise invalid_syntax(f"op must be add, replace or remove, not {op['op']!r}")
        extra = set(op) - {"op", "path", "value"}
        if extra:
            raise invalid_syntax(f"unknown members in an operation: {', '.join(sorted(extra))}")
        if op.get("path") is not None and not isinstance(op["path"], str):
            raise invalid_path("path must be a string")
    return ops


def apply_patch(doc: dict[str, Any], body: Any, shape: Shape) -> dict[str, Any]:
    """The document with every operation applied in order (the original is left as it was)."""
    doc = copy.deepcopy(doc)
    for op in operations(body):
        kind, path, value = op["op"].lower(), op.get("path"), op.get("value")
        if path is None:
            if kind == "remove":
                raise ScimError(400, "remove needs a path", "noTarget")
            if not isinstance(value, dict):
                raise invalid_value("without a path, value must be an object of attributes")
            for key, item in value.items():
                _apply(doc, kind, parse_path(str(key)), item, shape, whole=True)
        else:
            if kind != "remove" and "value" not in op:
                raise invalid_value(f"{kind} needs a value")
            _apply(doc, kind, parse_path(path), value, shape, whole=False)
    return doc


def _apply(
    doc: dict[str, Any], kind: str, path: Path, value: Any, shape: Shape, whole: bool
) -> None:
    name = strip_urn(path.attr)
    if _ignored(name, shape):
        return
    if name in shape.read_only:
        if whole:  # Okta sends the id and schemas back inside a replace's value
            return
        raise ScimError(400, f"{path.attr} cannot be changed", "mutability")
    attr = shape.names.get(name)
    if attr is None:
        raise invalid_path(f"no attribute is called {path.attr!r}")
    if path.where is not None:
        _apply_filtered(doc, kind, attr, path, value, shape)
    elif path.sub is not None:
        _apply_sub(doc, kind, attr, path.sub, value, shape)
    elif attr in shape.multi:
        _apply_multi(doc, kind, attr, value)
    elif attr in shape.complex and kind != "remove":
        if not isinstance(value, dict):
            raise invalid_value(f"{attr} is an object of sub-attributes")
        doc[attr] = {**_complex(doc, attr), **value}
    elif kind == "remove":
        doc.pop(attr, None)
    else:
        doc[attr] = value


def _ignored(name: str, shape: Shape) -> bool:
    """An attribute Atoll accepts and does not keep, or one of an extension it ignores."""
    head = name.split(".")[0]
    return head in shape.ignored or any(
        name.startswith(urn + ":") for urn in shape.ignored if urn.startswith("urn:")
    )


def _key(item: Any) -> str:
    return str(item.get("value")).lower() if isinstance(item, dict) else str(item).lower()


def _apply_multi(doc: dict[str, Any], kind: str, attr: str, value: Any) -> None:
    items = value if isinstance(value, list) else ([] if value is None else [value])
    if kind == "remove":
        if not items:
            doc.pop(attr, None)
            return
        gone = {_key(i) for i in items}
        doc[attr] = [i for i in doc.get(attr) or [] if _key(i) not in gone]
    elif kind == "replace":
        doc[attr] = items
    else:
        have = list(doc.get(attr) or [])
        seen = {_key(i) for i in have}
        doc[attr] = have + [i for i in items if _key(i) not in seen]


def _apply_sub(
    doc: dict[str, Any], kind: str, attr: str, sub: str, value: Any, shape: Shape
) -> None:
    if attr in shape.complex:
        target = _without(_complex(doc, attr), sub)
        if kind != "remove":
            target[sub] = value
        doc[attr] = target
    elif attr in shape.multi:
        items = [i for i in doc.get(attr) or [] if isinstance(i, dict)]
        if not items and kind != "remove":
            items = [{}]
        doc[attr] = [
            ({**_without(i, sub), sub: value} if kind != "remove" else _without(i, sub))
            for i in items
        ]
    else:
        raise invalid_path(f"{attr} has no sub-attributes")


def _complex(doc: dict[str, Any], attr: str) -> dict[str, Any]:
    value = doc.get(attr)
    return value if isinstance(value, dict) else {}


def _without(item: dict[str, Any], sub: str) -> dict[str, Any]:
    """The item without the sub-attribute (matched without regard to case)."""
    return {k: v for k, v in item.items() if str(k).lower() != sub.lower()}


def _apply_filtered(
    doc: dict[str, Any], kind: str, attr: str, path: Path, value: Any, shape: Shape
) -> None:
    if attr not in shape.multi or path.where is None:
        raise invalid_path(f"{attr} is not multi-valued: it cannot take a filter")
    items = [i for i in doc.get(attr) or [] if isinstance(i, dict)]
    hit = [matches(path.where, i) for i in items]
    sub = path.sub
    if kind == "remove":
        if sub is None:
            doc[attr] = [i for i, h in zip(items, hit, strict=True) if not h]
        else:
            doc[attr] = [_without(i, sub) if h else i for i, h in zip(items, hit, strict=True)]
        return
    if not any(hit):
        where = path.where
        if not (isinstance(where, Compare) and where.op == "eq"):
            raise ScimError(400, f"no value of {attr} matches the filter", "noTarget")
        # Entra ID adds emails[type eq "work"].value to a user that has no work address yet.
        new: dict[str, Any] = {where.attr: where.value}
        new.update({sub: value} if sub is not None else (value if isinstance(value, dict) else {}))
        doc[attr] = [*items, new]
        return
    out = []
    for item, h in zip(items, hit, strict=True):
        if h and sub is not None:
            item = {**_without(item, sub), sub: value}
        elif h:
            if not isinstance(value, dict):
                raise invalid_value(f"a value of {attr} is an object")
            item = {**item, **value}
        out.append(item)
    doc[attr] = out
