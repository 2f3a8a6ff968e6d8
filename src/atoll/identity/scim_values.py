"""Reading the values of a SCIM body: each of the expected JSON type, or an ``invalidValue``
error naming the attribute; and the ``attributes``/``excludedAttributes`` projection of an
answer (RFC 7644 §3.9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from atoll.kit.text import clean_name

from .scim_errors import invalid_value
from .scim_filter import strip_urn


def text(value: Any, field: str, *, max_len: int = 200, clean: bool = True) -> str | None:
    """A string attribute: None or "" is unassigned."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_value(f"{field} must be a string")
    value = clean_name(value) if clean else value.strip()
    if len(value) > max_len:
        raise invalid_value(f"{field} must be at most {max_len} characters long")
    return value or None


def boolean(value: Any, field: str) -> bool | None:
    """A boolean attribute; "True"/"False" in any case too, as Entra ID sends them."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid_value(f"{field} must be true or false")


def obj(value: Any, field: str) -> dict[str, Any]:
    """A complex attribute, its sub-attribute names lower-cased."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_value(f"{field} must be an object")
    return {str(k).lower(): v for k, v in value.items()}


def items(value: Any, field: str) -> list[dict[str, Any]]:
    """A multi-valued complex attribute: a list of objects (one object is taken as a list)."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise invalid_value(f"{field} must be a list")
    return [obj(v, field) for v in value]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _names(raw: str | None) -> list[str]:
    return [strip_urn(n.strip()) for n in (raw or "").split(",") if n.strip()]


def project(
    resource: dict[str, Any], attributes: str | None, excluded: str | None
) -> dict[str, Any]:
    """The resource with only the attributes asked for, or without the excluded ones; id,
    schemas and meta are always returned."""
    keep, drop = _names(attributes), _names(excluded)
    if not keep and not drop:
        return resource
    always = {"id", "schemas", "meta"}
    out: dict[str, Any] = {}
    for key, value in resource.items():
        name = key.lower()
        if name in always:
            out[key] = value
            continue
        if keep:
            subs = [k.split(".", 1)[1] for k in keep if k.startswith(name + ".")]
            if name in keep:
                out[key] = value
            elif subs and isinstance(value, dict):
                out[key] = {k: v for k, v in value.items() if k.lower() in subs}
            elif subs and isinstance(value, list):
                out[key] = [
                    {k: v for k, v in i.items() if k.lower() in subs}
                    for i in value
                    if isinstance(i, dict)
                ]
        elif name not in drop:
            out[key] = value
    return out
