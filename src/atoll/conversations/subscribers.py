"""What conversations do when people change (``atoll.people.events``), in the same
transaction: someone who became external stops following the spaces they may no longer read
and the people they no longer share a space with (whom they may no longer see). This runs
after spaces took away their memberships (the subscribers run in the order of the layers), so
who reads what and who shares a space with whom is settled by then."""

from __future__ import annotations

from sqlalchemy import delete, exists
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.models import Follow
from atoll.events.outbox import Recorded, Subscriber
from atoll.kit.batches import batches
from atoll.people.events import KIND_CHANGED, KindChanged
from atoll.spaces import policy as space_policy
from atoll.spaces.models import Space


def subscriptions() -> list[tuple[str, Subscriber]]:
    return [(KIND_CHANGED, drop_follows_of_externals)]


async def drop_follows_of_externals(session: AsyncSession, recorded: Recorded) -> None:
    change: KindChanged = recorded.facts["change"]
    for chunk in batches(list(change.externals)):
        await _drop_follows(session, chunk)


async def _drop_follows(session: AsyncSession, chunk: list[int]) -> None:
    """Follows of spaces an external no longer reads and of people they no longer see."""
    readable = exists().where(
        Space.id == Follow.target_id,
        space_policy.readable_spaces_of("external", Follow.follower_id),
    )
    await session.execute(
        delete(Follow).where(
            Follow.follower_id.in_(chunk), Follow.target_type == "space", ~readable
        )
    )
    await session.execute(
        delete(Follow).where(
            Follow.follower_id.in_(chunk),
            Follow.target_type == "person",
            Follow.target_id != Follow.follower_id,
            ~space_policy.share_a_space(Follow.follower_id, Follow.target_id),
        )
    )
