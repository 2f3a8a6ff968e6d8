"""Names as readers will see them: without the invisible characters that reorder or hide text.

A right-to-left override (U+202E) turns "invoice‮fdp.exe" into what reads as "invoiceexe.pdf",
and a name full of zero-width spaces looks like another person's. Names, titles and file
names are written without such characters: every control (Unicode category Cc) and format
character (Cf) goes — the bidi embeddings, overrides and isolates (U+202A–U+202E,
U+2066–U+2069), the marks U+200E, U+200F and U+061C, the zero-width space U+200B, the byte
order mark U+FEFF, the soft hyphen, the invisible operators, interlinear annotations, tags —
and so do lone surrogates. Line breaks and tabs become spaces.

Two exceptions, because legitimate text needs them:

- the zero-width joiner and non-joiner (U+200D, U+200C) between two letters of a script that
  uses them (Arabic, Persian, Indic scripts, …: anything past the Latin, Greek and Cyrillic
  letters), and the joiner inside an emoji sequence (👩‍💻 is 👩 U+200D 💻);
- tag characters (U+E0020–U+E007F) right after a black flag, U+1F3F4, which spell the flags of
  England, Scotland and Wales.

Between Latin letters (or anywhere else) a joiner only hides something, so it goes."""

from __future__ import annotations

import unicodedata

ZWNJ, ZWJ = "\u200c", "\u200d"
BLACK_FLAG = "\U0001f3f4"
_SPACES = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_EMOJI_CATEGORIES = frozenset({"So", "Sk"})
_VARIATION_SELECTOR = "\ufe0f"
_FIRST_JOINING_LETTER = 0x0530  # past the Latin, IPA, Greek and Cyrillic blocks


def _joins(before: str, after: str) -> bool:
    """Whether a joiner between these two characters does something a reader sees."""
    if not before or not after:
        return False
    b, a = unicodedata.category(before), unicodedata.category(after)
    if b[0] in "LM" and a[0] in "LM":
        return ord(before) >= _FIRST_JOINING_LETTER and ord(after) >= _FIRST_JOINING_LETTER
    emoji_before = b in _EMOJI_CATEGORIES or before == _VARIATION_SELECTOR
    return emoji_before and a in _EMOJI_CATEGORIES


def visible(text: str) -> str:
    """``text`` without invisible control and format characters (see the module)."""
    if text.isascii() and text.isprintable():
        return text
    out: list[str] = []
    for i, ch in enumerate(text):
        category = unicodedata.category(ch)
        if category not in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(ch)
        elif ch in _SPACES:
            out.append(" ")
        elif ch in (ZWJ, ZWNJ):
            after = text[i + 1] if i + 1 < len(text) else ""
            if _joins(out[-1] if out else "", after) and (ch == ZWJ or after.isalpha()):
                out.append(ch)
        elif (
            "\U000e0020" <= ch <= "\U000e007f"
            and out
            and (out[-1] == BLACK_FLAG or "\U000e0020" <= out[-1] <= "\U000e007f")
        ):
            out.append(ch)
    return "".join(out)


def clean_name(text: str) -> str:
    """A name, title or label as it is stored: visible characters only, runs of white space
    folded to one space, none at either end."""
    return " ".join(visible(text).split())
