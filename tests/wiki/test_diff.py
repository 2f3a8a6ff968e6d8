"""The line diff with word-level highlights that history, revision and merge pages show."""

from __future__ import annotations

from atoll.wiki.diff import Row, Segment, diff_texts, word_segments


def _kinds(rows: list[Row]) -> list[str]:
    return [r.kind for r in rows]


def _changed(segments: tuple[Segment, ...]) -> list[str]:
    return [s.text for s in segments if s.changed]


def _text(segments: tuple[Segment, ...]) -> str:
    return "".join(s.text for s in segments)


def test_identical_texts_have_no_rows() -> None:
    diff = diff_texts("one\ntwo\n", "one\ntwo")
    assert diff.identical and diff.rows == [] and (diff.added, diff.removed) == (0, 0)


def test_a_changed_word_is_marked_inside_its_line() -> None:
    diff = diff_texts("intro\nthe red car is fast\nend", "intro\nthe blue car is fast\nend")
    assert _kinds(diff.rows) == ["equal", "replace", "equal"]
    row = diff.rows[1]
    assert (row.old_no, row.new_no) == (2, 2)
    assert _changed(row.old) == ["red"] and _changed(row.new) == ["blue"]
    assert _text(row.old) == "the red car is fast" and _text(row.new) == "the blue car is fast"
    assert (diff.added, diff.removed) == (1, 1)


def test_neighbouring_changed_words_form_one_highlight() -> None:
    old, new = word_segments("a red fast car", "a blue slow car")
    assert _changed(old) == ["red fast"] and _changed(new) == ["blue slow"]
    assert [s.text for s in new] == ["a ", "blue slow", " car"]


def test_added_and_removed_lines_carry_their_own_numbers() -> None:
    diff = diff_texts("a\nb\nc", "a\nc\nd")
    assert _kinds(diff.rows) == ["equal", "delete", "equal", "insert"]
    deleted, inserted = diff.rows[1], diff.rows[3]
    assert (deleted.old_no, deleted.new_no, _text(deleted.old), deleted.new) == (2, None, "b", ())
    assert (inserted.old_no, inserted.new_no, _text(inserted.new)) == (None, 3, "d")
    assert all(s.changed for s in deleted.old + inserted.new)
    assert (diff.added, diff.removed) == (1, 1)


def test_unlike_lines_are_removed_and_added_rather_than_changed() -> None:
    diff = diff_texts("Completely different words here", "Zebra quantum 42!")
    assert _kinds(diff.rows) == ["delete", "insert"]


def test_a_block_of_edits_pairs_alike_lines_and_keeps_order() -> None:
    old = "Title line here\nxxxxxxxxxxxxxxxxxxxx"
    new = "Title line there\nqqqqqqqqqqqqqqqqqqqq\nbrand new line"
    diff = diff_texts(old, new)
    assert _kinds(diff.rows) == ["replace", "delete", "insert", "insert"]
    assert [r.new_no for r in diff.rows if r.kind == "insert"] == [2, 3]


def test_long_unchanged_runs_fold_with_context_around_changes() -> None:
    old_lines = [f"line {i}" for i in range(1, 41)]
    new_lines = list(old_lines)
    new_lines[19] = "line twenty"
    diff = diff_texts("\n".join(old_lines), "\n".join(new_lines), context=2)
    kinds = _kinds(diff.rows)
    assert kinds == ["skip", "equal", "equal", "replace", "equal", "equal", "skip"]
    first, last = diff.rows[0], diff.rows[-1]
    assert (first.skipped, first.old_no, first.new_no) == (17, 1, 1)
    assert (last.skipped, last.old_no) == (18, 23)
    assert diff.rows[1].old_no == 18 and diff.rows[3].old_no == 20


def test_context_below_zero_keeps_every_line() -> None:
    old = "\n".join(f"line {c}" for c in "abcdefghi")
    diff = diff_texts(old, old.replace("line e", "line E"), context=-1)
    assert len(diff.rows) == 9 and _kinds(diff.rows).count("equal") == 8


def test_close_changes_share_their_context() -> None:
    old = "\n".join("abcdefghij")
    new = "\n".join("abcDefGhij")
    diff = diff_texts(old, new, context=1)
    assert "skip" not in _kinds(diff.rows[1:-1])
    assert _kinds(diff.rows)[0] == "skip" and _kinds(diff.rows)[-1] == "skip"


def test_from_empty_and_to_empty() -> None:
    created = diff_texts("", "first\nsecond")
    assert _kinds(created.rows) == ["insert", "insert"] and created.added == 2
    emptied = diff_texts("first\nsecond", "")
    assert _kinds(emptied.rows) == ["delete", "delete"] and emptied.removed == 2


def test_line_endings_do_not_count_as_changes() -> None:
    assert diff_texts("a\r\nb\r\n", "a\nb").identical
    assert diff_texts("a\rb", "a\nb").identical


def test_unicode_words_are_compared_as_words() -> None:
    old, new = word_segments("Übersicht für São Paulo", "Übersicht für Lisboa")
    assert _changed(old) == ["São Paulo"] and _changed(new) == ["Lisboa"]


def test_very_long_lines_are_marked_whole() -> None:
    old = " ".join(["word"] * 3000)
    new = old + " more"
    left, right = word_segments(old, new)
    assert left == (Segment(old, True),) and right == (Segment(new, True),)


def test_html_is_kept_as_text_for_the_template_to_escape() -> None:
    diff = diff_texts("<b>safe</b>", "<script>x</script>")
    texts = [_text(r.old) + _text(r.new) for r in diff.rows]
    assert any("<script>" in t for t in texts)
