"""E-mail through SMTP, for every domain: messages are queued on the database session
(``queue``) and handed to SMTP only after that session's transaction commits, so a rolled-back
change never sends mail. Sending runs smtplib in a worker thread, in the background of the
request; ``drain()`` waits for what is on its way (the CLI, the housekeeping loop and the tests
use it). With no SMTP host configured, nothing is sent and the skip is logged.

The settings mail is made and sent with (SMTP server, sender, base URL) travel with the
session, as the broker does for the event log: the shell wires them into the sessionmaker it
makes (``wire``, from ``atoll.wiring.make_sessions``), and what queues mail finds them on the
session it was given (``mail_of``); the delivery after the commit, which has nothing but the
session, too. So two apps with different settings in one process each send their own mail.

What a message says is its domain's business (notifications, password reset, invitations);
``message`` gives every one the same envelope."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from atoll.kit.settings import Settings

log = logging.getLogger("atoll.email")

_QUEUE = "atoll.email.queue"
_MAIL = "atoll.email.mail"  # session.info: the Mail its sessionmaker was wired with
_sending: set[asyncio.Task[None]] = set()


def enabled(settings: Settings) -> bool:
    """Whether e-mail goes out at all: an SMTP host is configured."""
    return bool(settings.smtp_host)


class Mail:
    """The e-mail of one app: its settings, and whether it said yet that e-mail is off."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._said_off = False

    def enabled(self) -> bool:
        """Whether e-mail goes out at all (``enabled``). Says so once if not."""
        if enabled(self.settings):
            return True
        if not self._said_off:
            log.info("e-mail is off: no SMTP host is configured (ATOLL_SMTP_HOST)")
            self._said_off = True
        return False


def wire(maker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Make the sessions of ``maker`` queue and send mail with ``settings`` (keeping what
    else its sessions are wired with)."""
    info = dict(maker.kw.get("info") or {})
    info[_MAIL] = Mail(settings)
    maker.configure(info=info)


def mail_of(session: AsyncSession | Session) -> Mail:
    """The e-mail of the app whose sessionmaker made ``session``."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    mail = sync.info.get(_MAIL)
    if mail is None:
        raise RuntimeError("this session's sessionmaker was not wired for e-mail (email.wire)")
    assert isinstance(mail, Mail)
    return mail


def absolute(settings: Settings, path: str) -> str:
    return settings.base_url.rstrip("/") + path


def message(
    settings: Settings, *, to: str, subject: str, body: str, headers: dict[str, str] | None = None
) -> EmailMessage:
    """A plain-text message from Atoll to one address, with the headers every one carries."""
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = " ".join(subject.split())[:200]  # names may hold any whitespace
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or "atoll")
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg


# --- sending after commit -------------------------------------------------------------------


def queue(session: AsyncSession | Session, message: EmailMessage, *, about: Any = None) -> None:
    """Send ``message`` once the session's transaction commits, with the settings of the
    session's app (``mail_of``). ``about`` is the row it tells of: if that row is not in the
    database after all (rolled back to a savepoint), no mail."""
    mail_of(session)  # wired, or it would fail at the commit
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(_QUEUE, []).append((message, about))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    queued = session.info.pop(_QUEUE, None)
    if not queued:
        return
    messages = [m for m, about in queued if about is None or inspect(about).persistent]
    if messages:
        _dispatch(mail_of(session).settings, messages)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost one ended without commit: forget its mail
        session.info.pop(_QUEUE, None)


def _dispatch(settings: Settings, messages: list[EmailMessage]) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no event loop (a synchronous caller): send right here
        deliver(settings, messages)
        return
    task = loop.create_task(_deliver_in_thread(settings, messages), name="atoll-email")
    _sending.add(task)
    task.add_done_callback(_sending.discard)


async def _deliver_in_thread(settings: Settings, messages: list[EmailMessage]) -> None:
    try:
        await asyncio.to_thread(deliver, settings, messages)
    except Exception:  # noqa: BLE001 - the change is committed; a mail server hiccup is logged
        log.exception("could not send %d e-mail(s) through %s", len(messages), settings.smtp_host)


def deliver(settings: Settings, messages: Sequence[EmailMessage]) -> int:
    """Hand the messages to the SMTP server, over one connection. Returns how many it took."""
    if not settings.smtp_host:
        log.info("no SMTP host configured (ATOLL_SMTP_HOST): %d e-mail(s) not sent", len(messages))
        return 0
    sent = 0
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        for message in messages:
            try:
                smtp.send_message(message)
                sent += 1
            except smtplib.SMTPRecipientsRefused:
                log.warning("the SMTP server refused the recipient %s", message["To"])
    return sent


async def drain() -> None:
    """Wait until every e-mail on its way has been handed over (or failed and been logged)."""
    while _sending:
        await asyncio.gather(*list(_sending), return_exceptions=True)
