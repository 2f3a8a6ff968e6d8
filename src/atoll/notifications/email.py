"""What notifications say by e-mail: a message at once for mentions and invitations, the daily
digest, and signed unsubscribe links that work without signing in. Sending is ``atoll.mail``'s:
queued on the session, handed to SMTP after the commit. Unsubscribe links take the settings as
an argument."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from email.message import EmailMessage
from urllib.parse import quote

from atoll.kit.ids import parse_id
from atoll.kit.settings import Settings
from atoll.mail import absolute, message
from atoll.notifications.views import NotificationView
from atoll.people.models import Person

# What an unsubscribe link turns off: its name in the link → the preference column.
UNSUBSCRIBE = {
    "mentions": "email_mentions",
    "invitations": "email_invitations",
    "digest": "email_digest",
}
ABOUT = {
    "mentions": "mentions of you",
    "invitations": "being added to spaces",
    "digest": "the daily digest of unread notifications",
}


# --- signed unsubscribe links ---------------------------------------------------------------


def _signature(settings: Settings, payload: str) -> str:
    key = settings.signing_key
    return hmac.new(key, b"unsubscribe:" + payload.encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_token(settings: Settings, person_id: int, what: str) -> str:
    """A token that lets whoever holds it turn off one kind of e-mail for one person."""
    if what not in UNSUBSCRIBE:
        raise ValueError(what)
    payload = f"{person_id}.{what}"
    return f"{payload}.{_signature(settings, payload)}"


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[int, str] | None:
    """(person id, kind of e-mail) from a token this server signed; None otherwise."""
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[1] not in UNSUBSCRIBE:
        return None
    person_id = parse_id(parts[0])
    if person_id is None:
        return None
    if not hmac.compare_digest(_signature(settings, f"{parts[0]}.{parts[1]}"), parts[2]):
        return None
    return person_id, parts[1]


def unsubscribe_url(settings: Settings, person_id: int, what: str) -> str:
    token = quote(unsubscribe_token(settings, person_id, what))
    return absolute(settings, f"/notifications/unsubscribe?token={token}")


# --- messages -------------------------------------------------------------------------------


def _message(settings: Settings, *, to: Person, subject: str, body: str, what: str) -> EmailMessage:
    stop = unsubscribe_url(settings, to.id, what)
    footer = (
        f"\n\n-- \nYou get this e-mail because e-mail about {ABOUT[what]} is on in your Atoll "
        f"preferences.\nStop these e-mails (no sign-in needed): {stop}\n"
        f"All your e-mail preferences: {absolute(settings, '/notifications/preferences')}\n"
    )
    return message(
        settings,
        to=to.email,
        subject=subject,
        body=body.rstrip() + footer,
        headers={"List-Unsubscribe": f"<{stop}>"},
    )


def _quoted(excerpt: str) -> str:
    text = excerpt.strip()
    if not text:
        return ""
    if len(text) > 300:
        text = text[:300].rstrip() + "…"
    return "\n".join("> " + line for line in text.splitlines()) + "\n\n"


def notification_message(
    settings: Settings, *, to: Person, view: NotificationView, what: str, excerpt: str = ""
) -> EmailMessage:
    """The e-mail sent at once about one notification (a mention, an invitation)."""
    body = f"{view.text}.\n\n{_quoted(excerpt)}Open it: {absolute(settings, view.url)}\n"
    return _message(settings, to=to, subject=view.text, body=body, what=what)


def digest_message(
    settings: Settings, *, to: Person, views: Sequence[NotificationView], total: int
) -> EmailMessage:
    """The daily digest: the unread notifications not e-mailed yet, newest first."""
    lines = [
        f"Hello {to.name},",
        "",
        f"You have {total} unread notification{'' if total == 1 else 's'} on Atoll:",
        "",
    ]
    for view in views:
        lines.append(f"- {view.text}\n  {absolute(settings, view.url)}")
    if total > len(views):
        lines.append(f"- and {total - len(views)} more")
    lines += ["", f"See them all: {absolute(settings, '/notifications')}"]
    subject = f"{total} unread notification{'' if total == 1 else 's'} on Atoll"
    return _message(settings, to=to, subject=subject, body="\n".join(lines), what="digest")
