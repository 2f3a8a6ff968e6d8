"""Slugs and ``[[links]]``: how a title becomes a slug, how a page body becomes HTML with its
links between pages, and how those links are made right (blue or red) when a page is read.

At save time the body is rendered once (markdown-it with one more inline rule, then the same
nh3 allow-list as posts) and every ``[[Title]]`` / ``[[Title|label]]`` becomes
``<a href="…/wiki/{slug}" class="wikilink" title="Title">label</a>``; the slugs linked to are
kept as ``WikiLink`` rows ("linked from"). At read time ``resolve`` rewrites just those anchors
for the space's current slug and for which targets exist now, so a page created later turns
the links to it blue without anyone saving the linking page again.
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import quote, urlencode

from markdown_it.rules_inline import StateInline

from atoll.kit.markdown import parser, sanitize

MAX_SLUG = 200
_LINK = re.compile(r"\[\[([^\[\]|\n]{1,200}?)(?:\|([^\[\]\n]{1,200}?))?\]\]")
# The anchors our own rule writes, after sanitising (nh3 keeps the attribute order).
_ANCHOR = re.compile(r'<a href="[^"]*" class="wikilink" title="([^"]*)"')


def slugify(title: str) -> str:
    """A title's slug: NFKC-normalised, lower-cased; letters (any script), digits and
    combining marks are kept, every run of anything else becomes one "-"; no "-" at either
    end; at most 200 characters. "" when nothing is left (such a title is refused)."""
    text = unicodedata.normalize("NFKC", title).lower()
    out: list[str] = []
    dash = False
    for ch in text:
        if unicodedata.category(ch)[0] in "LNM":
            if dash and out:
                out.append("-")
            out.append(ch)
            dash = False
        else:
            dash = True
    return "".join(out)[:MAX_SLUG].strip("-")


def page_path(space_slug: str, slug: str) -> str:
    return f"/spaces/{quote(space_slug, safe='')}/wiki/{quote(slug, safe='')}"


def _wikilink(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("[[", state.pos):
        return False
    found = _LINK.match(state.src, state.pos)
    if found is None:
        return False
    target = " ".join(found.group(1).split())
    label = " ".join((found.group(2) or found.group(1)).split())
    slug = slugify(target)
    if not slug or not label:
        return False
    if not silent:
        opening = state.push("link_open", "a", 1)
        opening.attrs = {
            "href": page_path(state.env.get("space_slug", ""), slug),
            "class": "wikilink",
            "title": target,
        }
        text = state.push("text", "", 0)
        text.content = label
        state.push("link_close", "a", -1)
        state.env.setdefault("wikilinks", set()).add(slug)
    state.pos = found.end()
    return True


_md = parser()
_md.inline.ruler.before("link", "wikilink", _wikilink)


def render(body: str, *, space_slug: str) -> tuple[str, set[str]]:
    """The sanitised HTML of a page body and the slugs its ``[[links]]`` point to."""
    env: dict[str, object] = {"space_slug": space_slug}
    html = sanitize(_md.render(body, env))
    slugs = env.get("wikilinks")
    return html, set(slugs) if isinstance(slugs, set) else set()


def targets(html: str) -> set[str]:
    """The slugs the wiki links of a rendered page point to."""
    return {slugify(htmllib.unescape(t)) for t in _ANCHOR.findall(html)}


def resolve(html: str, *, space_slug: str, exists: Callable[[str], bool]) -> str:
    """Rewrite the wiki links of a rendered page: an existing target links to the page, a
    missing one (class ``wikilink missing``) to its editor with the title filled in."""

    def fix(found: re.Match[str]) -> str:
        title_attr = found.group(1)
        title = htmllib.unescape(title_attr)
        slug = slugify(title)
        href = page_path(space_slug, slug)
        if exists(slug):
            return f'<a href="{href}" class="wikilink" title="{title_attr}"'
        edit = htmllib.escape(f"{href}/edit?{urlencode({'title': title})}")
        return f'<a href="{edit}" class="wikilink missing" title="{title_attr}"'

    return _ANCHOR.sub(fix, html)
