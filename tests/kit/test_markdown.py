"""Markdown rendering keeps formatting and drops everything that could run."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from atoll.kit.markdown import link_images_elsewhere, render_markdown

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


# --- images: only this site's are shown; an image elsewhere is a link a reader may click ---


@pytest.mark.parametrize(
    ("text", "link", "words"),
    [
        ("![x](https://elsewhere.example/t.png)", "https://elsewhere.example/t.png", "x"),
        ("![](http://tracker.example/p.gif?u=1)", "http://tracker.example/p.gif?u=1", ""),
        ("![Chart *Q3*](//cdn.example/c.svg)", "//cdn.example/c.svg", "Chart Q3"),
        ("![logo](HTTPS://Brand.Example/l.png)", "HTTPS://Brand.Example/l.png", "logo"),
    ],
)
def test_an_image_elsewhere_is_a_link_that_names_its_host(text: str, link: str, words: str) -> None:
    parser = _Elements()
    parser.feed(render_markdown(text))
    assert [tag for tag, _ in parser.found] == ["p", "a"]
    href = parser.found[1][1]["href"]
    assert href == link
    host = link.split("/")[2].lower()
    label = f"{words} (image on {host})" if words else f"image on {host}"
    assert f">{label}</a>" in render_markdown(text)


def test_images_of_this_site_stay_images() -> None:
    html = render_markdown('![the plan](/api/v1/attachments/12 "Q3")')
    assert html.strip() == '<p><img src="/api/v1/attachments/12" alt="the plan" title="Q3"></p>'


def test_an_image_elsewhere_inside_a_link_is_words_in_that_link() -> None:
    html = render_markdown("[![badge](https://ci.example/b.svg)](https://ci.example/build)")
    parser = _Elements()
    parser.feed(html)
    assert [tag for tag, _ in parser.found] == ["p", "a"]
    assert ">badge (image on ci.example)</a>" in html


@pytest.mark.parametrize(
    "text",
    [
        "![x](data:image/png;base64,iVBORw0KGgo=)",
        "![x](https:evil.example/t.png)",
        "![x](/\\evil.example/t.png)",
        "![x](</\t/evil.example/t.png>)",
    ],
)
def test_no_image_markdown_makes_the_browser_fetch_another_host(text: str) -> None:
    parser = _Elements()
    parser.feed(render_markdown(text))
    for tag, attrs in parser.found:
        if tag == "img":
            src = attrs["src"]
            assert src.startswith("/") and not src.startswith("//") and "\\" not in src


def test_the_sanitizer_drops_the_source_of_an_image_elsewhere() -> None:
    """Whatever HTML reaches it (a domain's own renderer, say), no <img> points away."""
    from atoll.kit.markdown import sanitize

    html = sanitize('<img src="https://t.example/p.gif" alt="a"><img src="/static/x.png">')
    assert html == '<img alt="a"><img src="/static/x.png">'


def test_html_stored_before_renders_images_elsewhere_as_markdown_renders_them_now() -> None:
    """What an earlier version stored for ![..](elsewhere) becomes what render_markdown makes
    of the same text now: inside a link too; images of this site stay."""
    rel = 'rel="noopener noreferrer nofollow ugc"'
    for text, stored in (
        (
            "see ![pix & co](https://t.example/p.png)",
            '<p>see <img src="https://t.example/p.png" alt="pix &amp; co"></p>\n',
        ),
        (
            "[![badge](https://ci.example/b.svg)](https://ci.example)",
            f'<p><a href="https://ci.example" {rel}><img src="https://ci.example/b.svg" '
            'alt="badge"></a></p>\n',
        ),
        ("![chart](/attachments/k)", '<p><img src="/attachments/k" alt="chart"></p>\n'),
    ):
        assert link_images_elsewhere(stored) == render_markdown(text)
