"""A space's guidelines, "how we work here": Markdown its owners and moderators write
(``service.do_update_space``), rendered and sanitised like a post's body. A member who joins
(an open space, an accepted request, being added or invited) sees them on the space's page
until they say "Got it" (``Membership.guidelines_due``); the About tab always shows them."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Invalid
from atoll.kit.markdown import render_markdown
from atoll.people.models import Person
from atoll.spaces.models import Membership, Space
from atoll.spaces.policy import SpaceAccess

MAX_GUIDELINES = 10_000


def check_guidelines(text: str) -> str:
    """Markdown, at most 10,000 characters, no NUL character (empty: none)."""
    text = text.replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise Invalid.field("guidelines", "must not contain a NUL character")
    if len(text) > MAX_GUIDELINES:
        raise Invalid.field(
            "guidelines",
            f"must be at most {MAX_GUIDELINES:,} characters long (they have {len(text):,})",
        )
    return text


def guidelines_html(space: Space) -> str:
    """The guidelines rendered and sanitised ("" when there are none)."""
    return render_markdown(space.guidelines) if space.guidelines.strip() else ""


async def guidelines_due(session: AsyncSession, *, space: Space, person: Person | None) -> bool:
    """Whether the person joined the space and has not said "Got it" to its guidelines yet
    (False when it has none)."""
    if person is None or not space.guidelines.strip():
        return False
    due = await session.scalar(
        select(Membership.guidelines_due).where(
            Membership.space_id == space.id, Membership.person_id == person.id
        )
    )
    return bool(due)


async def do_dismiss_guidelines(session: AsyncSession, *, access: SpaceAccess) -> None:
    """The viewer said "Got it": the panel is not shown again (nothing when not a member)."""
    await session.execute(
        update(Membership)
        .where(Membership.space_id == access.space.id, Membership.person_id == access.actor.id)
        .values(guidelines_due=False)
    )
