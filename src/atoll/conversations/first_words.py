"""The pages' question before a member's first words where outsiders read
(``atoll.conversations.outsiders``): the composer's and the comment form's POST answers a
page that keeps the whole draft in hidden fields and asks to confirm — "Post it" sends the
form again, confirmed — or to go back and edit (``comfort_pages``: the form again, with the
draft). It works without JavaScript; with it, it is the same page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from atoll.conversations import mentions, outsiders
from atoll.http.request import DB
from atoll.http.templating import render
from atoll.people.models import Person
from atoll.spaces.models import Space

CONFIRMED = "confirmed"
KEPT_OUT = ("csrf_token", "outsiders")  # the draft is every other field of the form


async def _has_files(request: Request) -> bool:
    items = (await request.form()).getlist("files")
    return any(isinstance(item, UploadFile) and item.filename for item in items)


async def ask_first(
    request: Request, db: DB, *, viewer: Person, space: Space, form: dict[str, str]
) -> Response | None:
    """The page to answer instead of posting the form (to ``request``'s own URL), or None:
    post it. With ``form["outsiders"] == "confirmed"`` the answer is remembered now, in the
    transaction that posts (an error that undoes the post undoes it too)."""
    body = form.get("body", "")
    question = await outsiders.question_for(db, author=viewer, space=space, body=body)
    if question is None:
        return None
    if form.get("outsiders") == CONFIRMED:
        await outsiders.do_confirm(db, person=viewer, question=question)
        return None
    names = await mentions.names_of(db, viewer=viewer, ids=mentions.mentioned_ids(body))
    action = request.url.path
    comment = action.endswith("/comments")
    ctx = {
        "question": question,
        "action": action,
        "edit_action": action + "/again" if comment else "/compose/again",
        "noun": "comment" if comment else "post",
        "draft": {k: v for k, v in form.items() if k not in KEPT_OUT},
        "draft_html": mentions.render_with_names(body, names),
        "had_files": await _has_files(request),
    }
    response = render(request, "conversations/confirm_outsiders.html", ctx)
    # Posting from here goes to the space (or the thread), not back to this page's address.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
