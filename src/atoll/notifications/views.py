"""What a notification says: the view of it its reader gets (who, where, in words, and the
link to the exact place), as the pages, the API, the live event and the e-mails show it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from atoll.notifications.models import Notification
from atoll.spaces.policy import MANAGERS

IDEA_LABELS = {"new": "New", "reviewing": "Reviewing", "adopted": "Adopted", "declined": "Declined"}


@dataclass
class NotificationView:
    """A notification with the names it speaks of, as its reader sees it."""

    notification: Notification
    actor_id: int | None
    actor_name: str | None
    space_id: int | None
    space_name: str | None
    space_slug: str | None

    @property
    def text(self) -> str:
        return describe(self.notification, self.actor_name, self.space_name)

    @property
    def url(self) -> str:
        return link_of(self.notification, self.space_slug)


def describe(n: Notification, actor: str | None, space: str | None) -> str:
    """In words: "Ana and 4 others reacted 👍 to your post in Guild"."""
    who = actor or "Someone"
    if n.count > 1:
        others = n.count - 1
        who = f"{who} and {others} other{'' if others == 1 else 's'}"
    where = f" in {space}" if space else ""
    place = space or "a space"
    if n.kind == "mention":
        return f"{who} mentioned you in a {'comment' if n.comment_id else 'post'}{where}"
    if n.kind == "reply":
        return f"{who} replied to your {'comment' if n.detail == 'comment' else 'post'}{where}"
    if n.kind == "reaction":
        emoji = f" {n.detail}" if n.detail else ""
        return f"{who} reacted{emoji} to your post{where}"
    if n.kind == "invitation":
        role = f" as {n.detail}" if n.detail in MANAGERS else ""
        return f"{who} added you to {place}{role}"
    if n.kind == "join_request":
        return f"{who} asked to join {place}"
    if n.kind == "join_answer":
        verb = "approved" if n.detail == "approved" else "declined"
        return f"{who} {verb} your request to join {place}"
    if n.kind == "accepted":
        return f"{who} accepted your answer{where}"
    if n.kind == "new_post":
        kind = "someone you follow" if n.detail == "person" else "a space you follow"
        return f"{who} posted{where} ({kind})"
    if n.kind in ("moderation", "report_outcome"):
        return describe_moderation(n, space)
    if n.kind == "idea_status":
        return f"{who} moved your idea to {IDEA_LABELS.get(n.detail, n.detail)}{where}"
    return f"{who} did something{where}"


# What a report was about, and what a moderator did, in words.
NOUNS = {"post": "post", "comment": "comment", "wiki_page": "wiki page", "person": "profile"}
DONE = {
    "hide": "A moderator hid your {noun}",
    "delete": "A moderator removed your {noun}",
    "warn": "A moderator warned you about your {noun}",
    "suspend": "A moderator suspended your account for {days} days because of your {noun}",
}
OUTCOMES = {
    "dismiss": "no action",
    "hide": "hidden",
    "delete": "removed",
    "warn": "the author was warned",
    "suspend": "the author was suspended",
}
REASON_WORDS = {"off_topic": "off topic"}


def describe_moderation(n: Notification, space: str | None) -> str:
    """ "A moderator hid your post in Guild (reason: spam): <note>"; "Your report on a post
    in Guild was reviewed: removed". ``detail`` is ``action|type|reasons|days|note`` for the
    author, ``action|type`` for a reporter."""
    parts = n.detail.split("|", 4) + [""] * 5
    action, kind, reasons, days, note = parts[:5]
    noun = NOUNS.get(kind, "content")
    where = f" in {space}" if space else ""
    if n.kind == "report_outcome":
        article = "an" if noun[0] in "aeiou" else "a"
        subject = "a person" if kind == "person" else f"{article} {noun}{where}"
        return f"Your report on {subject} was reviewed: {OUTCOMES.get(action, action)}"
    words = ", ".join(REASON_WORDS.get(r, r) for r in reasons.split(",") if r)
    text = DONE.get(action, "A moderator acted on your {noun}").format(noun=noun, days=days)
    if kind == "person":
        text = text.replace(f" about your {noun}", "").replace(f" because of your {noun}", "")
    text += where if kind != "person" else ""
    text += f" (reason: {words})" if words else ""
    return f"{text}: {note}" if note else text


def link_of(n: Notification, space_slug: str | None) -> str:
    """The exact place: the comment in its thread, the post, the space (or its requests)."""
    if n.post_id is not None and n.comment_id is not None:
        return f"/posts/{n.post_id}#comment-{n.comment_id}"
    if n.post_id is not None:
        return f"/posts/{n.post_id}"
    if space_slug and n.kind == "join_request":
        return f"/spaces/{space_slug}?tab=members"
    if space_slug:
        return f"/spaces/{space_slug}"
    return "/notifications"


def as_json(view: NotificationView) -> dict[str, Any]:
    """The API's form of a notification (also the payload of the live ``notification`` event)."""
    n = view.notification
    return {
        "id": str(n.id),
        "kind": n.kind,
        "text": view.text,
        "url": view.url,
        "actor": {"id": str(view.actor_id), "name": view.actor_name}
        if view.actor_id is not None and view.actor_name is not None
        else None,
        "count": n.count,
        "space": {"id": str(view.space_id), "name": view.space_name, "slug": view.space_slug}
        if view.space_id is not None and view.space_name is not None
        else None,
        "post_id": str(n.post_id) if n.post_id is not None else None,
        "comment_id": str(n.comment_id) if n.comment_id is not None else None,
        "detail": n.detail,
        "created_at": n.created_at,
        "updated_at": n.updated_at,
        "read": n.read_at is not None,
        "read_at": n.read_at,
    }
