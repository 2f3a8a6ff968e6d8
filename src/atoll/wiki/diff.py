"""A line diff between two texts, with the changed words marked inside changed lines.

The result is a plain structure the templates render (a unified view for a revision diff, a
side-by-side one for the merge view): rows of lines, each with its old and new line numbers
and its text cut into segments, the changed segments marked. Long runs of unchanged lines are
folded into one "skip" row, keeping a few lines of context around every change."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal

RowKind = Literal["equal", "insert", "delete", "replace", "skip"]

CONTEXT = 3
# Two lines less alike than this are shown as one removed and one added line, not as one
# changed line with most of its words marked.
PAIR_RATIO = 0.4
# Word-level comparison of very long lines costs more than it tells: mark them whole.
MAX_TOKENS = 2000
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool = False


@dataclass(frozen=True)
class Row:
    """One line of the diff. ``old`` and ``new`` hold the line as it was and as it became
    (empty for the side it does not exist on); a "skip" row stands for ``skipped`` unchanged
    lines that are not shown."""

    kind: RowKind
    old_no: int | None = None
    new_no: int | None = None
    old: tuple[Segment, ...] = ()
    new: tuple[Segment, ...] = ()
    skipped: int = 0


@dataclass(frozen=True)
class Diff:
    rows: list[Row] = field(default_factory=list)
    added: int = 0  # lines only in the new text (a changed line counts on both sides)
    removed: int = 0

    @property
    def identical(self) -> bool:
        return self.added == 0 and self.removed == 0


def _lines(text: str) -> list[str]:
    """The lines of a text; a final line break does not start another (empty) line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _merge(segments: list[Segment]) -> tuple[Segment, ...]:
    """Join neighbouring segments of the same kind: ``<del>two words</del>``, not two tags."""
    out: list[Segment] = []
    for seg in segments:
        if not seg.text:
            continue
        if out and out[-1].changed == seg.changed:
            out[-1] = Segment(out[-1].text + seg.text, seg.changed)
        else:
            out.append(seg)
    return tuple(out)


def word_segments(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """The two versions of a changed line, with the words that differ marked on each side."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    if len(a) > MAX_TOKENS or len(b) > MAX_TOKENS:
        return _merge([Segment(old, True)]), _merge([Segment(new, True)])
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = op != "equal"
        left.append(Segment("".join(a[i1:i2]), changed))
        right.append(Segment("".join(b[j1:j2]), changed))
    return _merge(_absorb_spaces(left)), _merge(_absorb_spaces(right))


def _absorb_spaces(segments: list[Segment]) -> list[Segment]:
    """An unchanged run of only white space between two changes reads better as part of the
    change: "<del>red car</del>" rather than "<del>red</del> <del>car</del>"."""
    out = list(segments)
    for i in range(1, len(out) - 1):
        seg = out[i]
        if not seg.changed and seg.text.isspace() and out[i - 1].changed and out[i + 1].changed:
            out[i] = Segment(seg.text, True)
    return out


def _similar(old: str, new: str) -> bool:
    if not old.strip() or not new.strip():
        return False
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return matcher.quick_ratio() >= PAIR_RATIO and matcher.ratio() >= PAIR_RATIO


def _replace_rows(old: list[str], new: list[str], i1: int, j1: int) -> list[Row]:
    """A block of removed lines replaced by a block of added lines: pair them in order; a
    pair alike enough becomes one changed line, the rest are removed and added lines."""
    rows: list[Row] = []
    removed: list[Row] = []
    added: list[Row] = []

    def flush() -> None:
        rows.extend(removed)
        rows.extend(added)
        removed.clear()
        added.clear()

    for k in range(max(len(old), len(new))):
        a = old[k] if k < len(old) else None
        b = new[k] if k < len(new) else None
        if a is not None and b is not None and _similar(a, b):
            flush()
            left, right = word_segments(a, b)
            rows.append(Row("replace", i1 + k + 1, j1 + k + 1, left, right))
            continue
        if a is not None:
            removed.append(Row("delete", old_no=i1 + k + 1, old=(Segment(a, True),)))
        if b is not None:
            added.append(Row("insert", new_no=j1 + k + 1, new=(Segment(b, True),)))
    flush()
    return rows


def _fold(rows: list[Row], context: int) -> list[Row]:
    """Keep ``context`` unchanged lines on either side of every change; fold the rest."""
    changed = [i for i, row in enumerate(rows) if row.kind != "equal"]
    if not changed:
        return []
    keep = [False] * len(rows)
    for i in changed:
        for j in range(max(0, i - context), min(len(rows), i + context + 1)):
            keep[j] = True
    out: list[Row] = []
    hidden: list[Row] = []
    for row, kept in zip(rows, keep, strict=True):
        if kept:
            if hidden:
                out.append(_skip(hidden))
                hidden = []
            out.append(row)
        else:
            hidden.append(row)
    if hidden:
        out.append(_skip(hidden))
    return out


def _skip(hidden: list[Row]) -> Row:
    first = hidden[0]
    return Row("skip", first.old_no, first.new_no, skipped=len(hidden))


def diff_texts(old: str, new: str, *, context: int = CONTEXT) -> Diff:
    """The line diff from ``old`` to ``new``. ``context`` < 0 keeps every unchanged line."""
    a, b = _lines(old), _lines(new)
    rows: list[Row] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for k in range(i2 - i1):
                line = (Segment(a[i1 + k]),)
                rows.append(Row("equal", i1 + k + 1, j1 + k + 1, line, line))
        elif op == "delete":
            rows.extend(
                Row("delete", old_no=i + 1, old=(Segment(a[i], True),)) for i in range(i1, i2)
            )
        elif op == "insert":
            rows.extend(
                Row("insert", new_no=j + 1, new=(Segment(b[j], True),)) for j in range(j1, j2)
            )
        else:
            rows.extend(_replace_rows(a[i1:i2], b[j1:j2], i1, j1))
    added = sum(1 for r in rows if r.kind in ("insert", "replace"))
    removed = sum(1 for r in rows if r.kind in ("delete", "replace"))
    return Diff(rows if context < 0 else _fold(rows, context), added, removed)
