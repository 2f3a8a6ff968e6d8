"""Names without invisible characters: nothing that reorders or hides text survives, and what
scripts and emoji need to join stays."""

from __future__ import annotations

import pytest

from atoll.kit.text import clean_name, visible

INVISIBLE = [
    *(chr(c) for c in range(0x202A, 0x202F)),  # bidi embeddings and overrides
    *(chr(c) for c in range(0x2066, 0x206A)),  # bidi isolates
    "\u200b",  # zero-width space
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\u2060",  # word joiner
    "\u2062",  # invisible times
    "\ufff9",  # interlinear annotation anchor
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x9b",  # C1 control
    "\ud800",  # a lone surrogate
    "\U000e0041",  # a tag outside a flag
    "\u200d",  # a joiner between Latin letters
    "\u200c",
]


@pytest.mark.parametrize("char", INVISIBLE)
def test_invisible_characters_are_dropped(char: str) -> None:
    assert visible(f"An{char}na") == "Anna"


def test_a_right_to_left_override_cannot_spoof_an_extension() -> None:
    assert clean_name("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert clean_name("\u2067Ana\u2069 \u202bBoss\u202c") == "Ana Boss"


def test_line_breaks_and_tabs_become_single_spaces() -> None:
    assert clean_name(" Ana\t\r\nde\u2028la\x85Cruz  ") == "Ana de la Cruz"
    assert clean_name("\u200b\u202e ") == ""


@pytest.mark.parametrize(
    "text",
    [
        "👩\u200d💻",  # woman technologist
        "👩🏽\u200d💻",  # ... with a skin tone
        "❤\ufe0f\u200d🔥",  # heart on fire
        "👨\u200d👩\u200d👧",  # family
        "می\u200cخواهم",  # Persian: the non-joiner is spelling
        "क्\u200dष",  # Devanagari: the joiner picks the half form
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England
        "Zoë Ångström 李 Ωμέγα",
    ],
)
def test_what_scripts_and_emoji_need_stays(text: str) -> None:
    assert visible(text) == text


def test_joiners_that_join_nothing_go() -> None:
    assert visible("\u200d👩") == "👩"
    assert visible("👩\u200d") == "👩"
    assert visible("👩\u200c💻") == "👩💻"  # a non-joiner does not join emoji
    assert visible("Ana\u200d\u202eB") == "AnaB"
