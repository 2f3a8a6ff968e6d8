"""Helpers for page tests: read CSRF tokens out of forms, sign in through the real form, and
read the buttons that ask first and their confirmation pages."""

from __future__ import annotations

import html
import re

import httpx

from tests.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    page = await client.get("/sign-in")
    return await client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(page.text), "email": email, "password": password, "next": "/"},
    )


_ASK = re.compile(
    r'<form method="get" action="(?P<action>[^"]+)" class="ask" data-confirm="(?P<question>[^"]*)"'
    r' data-confirm-detail="(?P<detail>[^"]*)" data-confirm-button="(?P<confirm>[^"]*)">'
)


def asks(page: str) -> dict[str, dict[str, str]]:
    """The buttons of a page that ask first, by the address they act on: the question, what
    will happen and the confirm button's words (what the dialog of atoll.js shows)."""
    return {
        m["action"]: {k: html.unescape(m[k]) for k in ("question", "detail", "confirm")}
        for m in _ASK.finditer(page)
    }


def confirmation(page: str) -> dict[str, str]:
    """The confirmation page's question, what will happen, its form and its way back."""
    card = page.split('<section class="card confirm"', 1)[1].split("</section>", 1)[0]
    words = re.search(r"<h1[^>]*>(.*?)</h1>\s*<p>(.*?)</p>", card, re.S)
    form = re.search(r'<form method="post" action="([^"]+)"', card)
    back = re.search(r'<a class="button secondary" href="([^"]+)">Cancel</a>', card)
    button = re.search(r'<button type="submit" class="danger">(.*?)</button>', card)
    assert words and form and back and button, card
    return {
        "question": html.unescape(words[1]),
        "detail": html.unescape(words[2]),
        "confirm": html.unescape(button[1]),
        "action": form[1],
        "back": back[1],
        "csrf": csrf_of(card),
    }
