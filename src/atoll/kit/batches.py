"""Many ids, a bounded number of bound values per statement."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

BATCH = 1000  # ids per statement: well within both databases' limits on bound values


def batches(ids: Sequence[int], size: int = BATCH) -> Iterator[list[int]]:
    """``ids`` in consecutive lists of at most ``size``."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])
