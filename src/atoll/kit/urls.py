"""Small helpers for the addresses the pages send people to."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def with_query(path: str, *, drop: tuple[str, ...] = (), **values: str) -> str:
    """``path`` with these query parameters set (replacing any of the same name) and those
    named in ``drop`` taken out; its fragment, if any, is left out."""
    parts = urlsplit(path)
    gone = {*drop, *values}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in gone]
    return urlunsplit(parts._replace(query=urlencode(kept + list(values.items())), fragment=""))
