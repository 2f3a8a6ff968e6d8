"""A person's practice space with its welcome post (``atoll.spaces.practice`` makes the space;
the post that teaches Markdown, @mentions, questions and the wiki is written here, once, when
the space is made). Nothing in it notifies anyone — nobody else can read it, and a mention of
someone who cannot read a space is refused — nor counts in analytics (its subscriber leaves
practice spaces out)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import service
from atoll.people.models import Person
from atoll.spaces import practice
from atoll.spaces.models import Space
from atoll.spaces.policy import SpaceAccess

WELCOME = """\
**Welcome to your practice space.** Only you can see it: try things here without an audience.
Nothing you write notifies anyone or counts anywhere. (Atoll wrote this first post for you.)

### Markdown
Write `**bold**` for **bold**, `*italic*` for *italic*, `[a link](https://example.com)` for
[a link](https://example.com), start lines with `- ` for a list and with `> ` for a quote.
Click **Preview** under the composer to see your post as readers will.

### @mentions
Type `@` and a name: the suggestions list people who can read the space, and the person you
pick is told. Here nobody else can read, so Atoll refuses to mention a colleague — it never
lets you name someone who would not see the post. Try `@{name}`: that is you.

### Questions
Choose **Question** above the text box to ask something; people answer in comments and you
can accept the best answer, which is then shown first.

### The wiki
Every space has a [wiki]({wiki}) for pages that last longer than a post: notes, how-tos,
decisions. Start a page in yours and edit it as often as you like; every version is kept.
"""


def welcome_body(person: Person, space: Space) -> str:
    return WELCOME.format(name=person.name.replace("`", "'"), wiki=f"/spaces/{space.slug}/wiki")


async def do_open_practice_space(session: AsyncSession, *, person: Person) -> SpaceAccess:
    """The person's practice space, made with its welcome post on first use (members only)."""
    access, made = await practice.do_open_practice_space(session, person=person)
    if made:
        await service.do_create_post(
            session, author=person, space=access.space, body=welcome_body(person, access.space)
        )
    return access
