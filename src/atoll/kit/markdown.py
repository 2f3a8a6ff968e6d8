"""Markdown → safe HTML: markdown-it-py (CommonMark + tables, strikethrough, autolinks) and nh3."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

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
    md = MarkdownIt("commonmark", {"linkify": True, "html": False}).enable(
        ["table", "strikethrough", "linkify"]
    )
    md.add_render_rule("image", _image)
    return md


def is_local(url: str) -> bool:
    """Whether a URL points into this site: a path, with no scheme and no host — and nothing
    a browser would read as one (a backslash, white space or a control inside)."""
    url = url.strip()
    if any(ch == "\\" or ch <= " " for ch in url):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.startswith("//")


def _image(renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
    """An image of this site (an attachment) is shown; an image elsewhere is not fetched by
    the reader's browser (it would tell that host who read what, and when): it becomes a link
    to it that says where it is (``_elsewhere``)."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    if is_local(src):
        token.attrSet("alt", alt)
        return str(renderer.renderToken(tokens, idx, options, env))
    inside_a_link = sum(
        1 if t.type == "link_open" else -1 for t in tokens[:idx] if t.type in _LINK_TOKENS
    )
    return _elsewhere(src, alt, inside_a_link=inside_a_link > 0)


def _elsewhere(src: str, alt: str, *, inside_a_link: bool) -> str:
    """What an image on another host shows: a link to it that names the host (inside a link,
    just those words); with nothing to link to (``data:`` and the like), its alt text."""
    parts = urlsplit(src.strip())
    if parts.scheme.lower() not in ("http", "https", "") or not parts.hostname:
        return escapeHtml(alt or "image")
    words = escapeHtml(
        f"{alt} (image on {parts.hostname})" if alt else f"image on {parts.hostname}"
    )
    return words if inside_a_link else f'<a href="{escapeHtml(src)}">{words}</a>'


_IMG = re.compile(r"<img\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'([a-zA-Z-]+)="([^"]*)"')
_ANCHOR = re.compile(r"<(/?)a\b", re.IGNORECASE)


def link_images_elsewhere(rendered: str) -> str:
    """HTML rendered before images elsewhere became links (stored by an earlier version), as
    ``render_markdown`` renders it now: each ``<img>`` of another host becomes the same link.
    For the sanitiser's own output (quoted attributes), which is what the database holds."""
    out: list[str] = []
    last = depth = 0
    for match in _IMG.finditer(rendered):
        before = rendered[last : match.start()]
        depth += sum(-1 if closing else 1 for closing in _ANCHOR.findall(before))
        attributes = {k.lower(): html.unescape(v) for k, v in _ATTRIBUTE.findall(match.group(1))}
        src = attributes.get("src", "")
        out.append(before)
        if src and is_local(src):
            out.append(match.group(0))
        else:
            out.append(_elsewhere(src, attributes.get("alt", ""), inside_a_link=depth > 0))
        last = match.end()
    if not out:
        return rendered
    out.append(rendered[last:])
    return sanitize("".join(out))


_LINK_TOKENS = frozenset({"link_open", "link_close"})


_md = parser()


def render_markdown(text: str) -> str:
    return sanitize(_md.render(text))


def sanitize(html: str) -> str:
    """The allow-list every rendering goes through."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_local_images,
        allowed_classes=_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
        filter_style_properties={"text-align"},
    )


def _local_images(element: str, attribute: str, value: str) -> str | None:
    """The safety net under ``_image``: no HTML that gets here makes a browser fetch an image
    from another host."""
    if element == "img" and attribute == "src" and not is_local(value):
        return None
    return value


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
