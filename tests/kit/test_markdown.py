"""Markdown rendering keeps formatting and drops everything that could run."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from atoll.kit.markdown import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<details open ontoggle=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>` is fine as code",
]


class _Elements(HTMLParser):
    """Every element and attribute the browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_nothing_that_runs_survives(payload: str) -> None:
    parser = _Elements()
    parser.feed(render_markdown(payload))
    for tag, attrs in parser.found:
        assert tag not in {"script", "iframe", "svg", "object", "embed", "style", "details"}
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs or "url(" not in attrs["style"]
        for name in ("href", "src"):
            value = "".join(attrs.get(name, "").split()).lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)


def test_commonmark_and_extensions() -> None:
    html = render_markdown(
        "# Title\n\n**bold** ~~gone~~ https://example.com\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```python\nprint('hi')\n```\n"
    )
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html and "<s>gone</s>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow ugc">' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert '<code class="language-python">' in html


def test_plain_text_and_headline_read_as_rendered() -> None:
    from atoll.kit.markdown import headline, plain_text

    text = (
        "# Big *news*\n\nWe use **Python** and `code`; <b>kept</b> as typed &amp; "
        "[a link](https://x.example)\n\n- one\n- two"
    )
    assert (
        plain_text(text)
        == "Big news\nWe use Python and code; <b>kept</b> as typed & a link\none\ntwo"
    )
    assert headline(text) == "Big news"
    assert headline("x" * 100, width=10) == "xxxxxxxxx…"
    assert headline("") == ""
