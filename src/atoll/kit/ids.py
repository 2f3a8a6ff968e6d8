"""Ids from outside (paths, bodies, forms): opaque strings that must name a BIGINT row id."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # ids are BIGINT on both databases


def parse_id(value: int | str | None) -> int | None:
    """The number behind an id from outside, or None when it cannot be one of ours: not plain
    ASCII digits, or past BIGINT (which the database would refuse with an error, not a miss)."""
    text = "" if value is None else str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if number <= MAX_ID else None
