"""Cursor pagination: opaque cursors over a (sort key, id) pair, newest first by default."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from atoll.kit.errors import Invalid
from atoll.kit.ids import MAX_ID

T = TypeVar("T")
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid.field("cursor", "is not a cursor this server gave out") from exc
    if not isinstance(values, list) or not values:
        raise Invalid.field("cursor", "is not a cursor this server gave out")
    return values


def decode_name_id_cursor(cursor: str | None) -> tuple[str, int] | None:
    """The (name, id) of the last row of the previous page, from a cursor made of them."""
    values = decode_cursor(cursor)
    if values is None:
        return None
    try:
        name, row_id = values[0], int(values[1])
    except (IndexError, TypeError, ValueError, OverflowError) as exc:  # Infinity overflows
        raise Invalid.field("cursor", "is not a cursor this server gave out") from exc
    if not isinstance(name, str) or "\x00" in name or not 0 < row_id <= MAX_ID:
        raise Invalid.field("cursor", "is not a cursor this server gave out")
    return name, row_id


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(MAX_LIMIT, limit))
