"""Each save records ``wiki_edit`` interactions: toward the space for a page's first revision,
then from the editor toward each distinct earlier editor of the page (never oneself)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.wiki import service
from tests.factories import make_person
from tests.wiki.helpers import add, make_space, save, wiki_for


async def _edits(db: AsyncSession) -> list[tuple[int, int | None, int | None, bool]]:
    rows = await db.scalars(
        select(Interaction).where(Interaction.kind == "wiki_edit").order_by(Interaction.id)
    )
    return [(r.actor_id, r.target_id, r.space_id, r.new_tie) for r in rows]


async def test_wiki_edits_tie_the_editor_to_the_earlier_editors(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    bo = await make_person(db, name="Bo")
    cy = await make_person(db, name="Cy")
    space = await make_space(db, ana)
    for person in (bo, cy):
        await add(db, space, person)
    await save(db, ana, space, "Plan", "1")
    assert await _edits(db) == [(ana.id, None, space.id, True)]
    await save(db, ana, space, "Plan", "2", base=1)  # only herself before: nothing
    assert len(await _edits(db)) == 1
    await save(db, bo, space, "Plan", "3", base=2)
    assert (await _edits(db))[1:] == [(bo.id, ana.id, space.id, True)]
    await save(db, cy, space, "Plan", "4", base=3)
    assert sorted((await _edits(db))[2:]) == sorted(
        [(cy.id, ana.id, space.id, True), (cy.id, bo.id, space.id, True)]
    )
    # Ana again: toward Bo and Cy (not herself); her tie with each is not new any more
    await save(db, ana, space, "Plan", "5", base=4)
    assert sorted((await _edits(db))[4:]) == sorted(
        [(ana.id, bo.id, space.id, False), (ana.id, cy.id, space.id, False)]
    )
    # a save that changes nothing records nothing; a refused one neither
    await save(db, ana, space, "Plan", "5", base=5)
    assert len(await _edits(db)) == 6


async def test_restore_and_rename_are_edits_too_delete_is_not(db: AsyncSession) -> None:
    ana = await make_person(db)
    bo = await make_person(db)
    space = await make_space(db, ana)
    await add(db, space, bo)
    page = await save(db, ana, space, "Plan", "1")
    wiki = await wiki_for(db, bo, space)
    page = await service.do_rename(db, editor=bo, wiki=wiki, page=page, title="Plan B")
    await db.commit()
    page = await service.do_restore(db, editor=bo, wiki=wiki, page=page, number=1)
    await db.commit()
    await service.do_delete_page(db, editor=bo, wiki=wiki, page=page)
    await db.commit()
    assert [(a, t) for a, t, _, _ in await _edits(db)] == [
        (ana.id, None),
        (bo.id, ana.id),
        (bo.id, ana.id),
    ]
