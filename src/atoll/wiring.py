"""The shell's wiring: which subscribers follow which events, and the sessionmaker that runs
them. The app, the CLI, the benchmarks and the tests all make their sessions here, so every
change is followed by the same subscribers wherever it is made."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from atoll import mail
from atoll.analytics import subscribers as analytics_subscribers
from atoll.conversations import subscribers as conversations_subscribers
from atoll.db.engine import make_sessionmaker
from atoll.events.broker import Broker
from atoll.events.outbox import Subscriber, Subscribers, wire
from atoll.kit.settings import Settings
from atoll.notifications import conversations as notifications_conversations
from atoll.notifications import moderation as notifications_moderation
from atoll.notifications import spaces as notifications_spaces
from atoll.search import content as search_content
from atoll.search import directory as search_directory
from atoll.spaces import subscribers as spaces_subscribers
from atoll.spaces import unit_spaces


def subscribers(settings: Settings) -> Subscribers:
    """Every domain's subscriptions, merged: event type -> subscribers, in the order of the
    layers — spaces, conversations, search (content, then people and spaces), notifications
    (of conversations, then of spaces), analytics: what a subscriber reads was written by
    those before it. Analytics gets the silo level and look-back window of ``settings``."""
    merged: defaultdict[str, list[Subscriber]] = defaultdict(list)
    for subscriptions in _subscriptions(settings):
        for type, subscriber in subscriptions:
            merged[type].append(subscriber)
    return dict(merged)


def _subscriptions(settings: Settings) -> Iterable[Iterable[tuple[str, Subscriber]]]:
    ties = analytics_subscribers.Ties(settings.silo_level, settings.tie_lookback_days)
    return (
        spaces_subscribers.subscriptions(),
        unit_spaces.subscriptions(unit_spaces.UnitSpaceLevels(settings.unit_space_level_set)),
        conversations_subscribers.subscriptions(),
        search_content.subscriptions(),
        search_directory.subscriptions(),
        notifications_conversations.subscriptions(),
        notifications_spaces.subscriptions(),
        notifications_moderation.subscriptions(),
        analytics_subscribers.subscriptions(ties),
    )


def make_sessions(
    engine: AsyncEngine, settings: Settings, *, broker: Broker | None = None
) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker whose sessions run the subscribers, announce on ``broker`` and send
    e-mail with ``settings``."""
    maker = make_sessionmaker(engine)
    wire(maker, subscribers=subscribers(settings), broker=broker)
    mail.wire(maker, settings)  # after the outbox's: it keeps what that wired
    return maker
