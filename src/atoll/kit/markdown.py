"""Markdown → safe HTML: markdown-it-py (CommonMark + tables, strikethrough, autolinks) and nh3."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "code",
    "em",
    "strong",
    "del",
    "s",
    "a",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "span",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
    "ol": {"start"},
}


# The only classes kept: the wiki marks its [[links]] (markdown itself never writes a class
# on a link, since raw HTML is off).
_CLASSES = {"a": {"wikilink", "missing"}}


def parser() -> MarkdownIt:
    """A fresh parser configured like the one posts use, for a domain that adds a rule."""
    return MarkdownIt("commonmark", {"linkify": True, "html": False}).enable(
        ["table", "strikethrough", "linkify"]
    )


_md = parser()


def render_markdown(text: str) -> str:
    return sanitize(_md.render(text))


def sanitize(html: str) -> str:
    """The allow-list every rendering goes through."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        allowed_classes=_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
        filter_style_properties={"text-align"},
    )


_SPACES = re.compile(r"[ \t\u00a0]+")


def plain_text(text: str) -> str:
    """What a reader sees of some Markdown, as plain text (for titles, snippets, previews):
    rendered, stripped of every tag, unescaped, blank runs collapsed; one line per block."""
    stripped = nh3.clean(_md.render(text), tags=set())
    lines = (_SPACES.sub(" ", line).strip() for line in html.unescape(stripped).splitlines())
    return "\n".join(line for line in lines if line)


def first_line(text: str, width: int = 90) -> str:
    """The first non-blank line of plain text, cut to ``width`` characters."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= width else first[: width - 1].rstrip() + "…"


def headline(text: str, width: int = 90) -> str:
    """The first line a reader sees of some Markdown, cut to ``width`` characters."""
    return first_line(plain_text(text), width)
