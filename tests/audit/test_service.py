"""The audit log's own rules: an entry commits with its change, is never edited or deleted
through the application, and an erased person's name leaves the details while the entries
stay."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.models import AuditEntry, AuditLogIsAppendOnly
from atoll.audit.service import changed, detail_of, do_pseudonymise, record_audit
from tests.factories import make_person


async def test_an_entry_keeps_who_what_and_the_change(db: AsyncSession) -> None:
    ada = await make_person(db, name="Ada", role="admin")
    cleo = await make_person(db, name="Cleo")
    record_audit(
        db,
        actor_id=ada.id,
        action="person.role_changed",
        target_type="person",
        target_id=cleo.id,
        **changed({"role": "member", "title": "x"}, {"role": "moderator", "title": "x"}),
    )
    await db.commit()
    entry = (
        await db.execute(select(AuditEntry).where(AuditEntry.action == "person.role_changed"))
    ).scalar_one()
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        ada.id,
        "person.role_changed",
        "person",
        str(cleo.id),
    )
    assert detail_of(entry) == {"before": {"role": "member"}, "after": {"role": "moderator"}}


async def test_a_rolled_back_change_leaves_no_entry(db: AsyncSession) -> None:
    record_audit(db, actor_id=None, action="space.archived", target_type="space", target_id=1)
    await db.rollback()
    assert (await db.execute(select(AuditEntry))).first() is None


async def test_an_entry_cannot_be_edited_or_deleted_through_the_orm(db: AsyncSession) -> None:
    entry = record_audit(db, actor_id=None, action="x.y", target_type="space", target_id=1)
    await db.commit()
    await db.refresh(entry)
    entry_id = entry.id
    entry.action = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        await db.flush()
    await db.rollback()
    await db.delete(await db.get(AuditEntry, entry_id))
    with pytest.raises(AuditLogIsAppendOnly):
        await db.flush()
    await db.rollback()
    assert (await db.get(AuditEntry, entry_id)) is not None


async def test_pseudonymising_replaces_the_name_and_keeps_the_entries(db: AsyncSession) -> None:
    ada = await make_person(db, name="Ada", role="admin")
    cleo = await make_person(db, name='Cléo Quote"s', email="cleo@example.com")
    other = await make_person(db, name="Other")
    record_audit(
        db,
        actor_id=ada.id,
        action="person.changed",
        target_type="person",
        target_id=cleo.id,
        before={"name": cleo.name, "email": "cleo@example.com"},
    )
    record_audit(
        db,
        actor_id=cleo.id,
        action="space.changed",
        target_type="space",
        target_id=9,
        note=f"asked by {cleo.name}",
    )
    record_audit(
        db,
        actor_id=ada.id,
        action="person.changed",
        target_type="person",
        target_id=other.id,
        note=f"not about {cleo.name}'s entries",
    )
    await db.commit()

    count = await do_pseudonymise(
        db,
        person_id=cleo.id,
        replacements={cleo.name: "Former member 7", "cleo@example.com": "erased-7@invalid"},
    )
    await db.commit()
    assert count == 3  # the two below, and the entry of Cléo's account being made
    made = (
        await db.execute(select(AuditEntry).where(AuditEntry.action == "person.created"))
    ).scalars()
    assert "Cléo" not in "".join(e.detail for e in made)
    entries = (
        (
            await db.execute(
                select(AuditEntry)
                .where(AuditEntry.action != "person.created")
                .order_by(AuditEntry.id)
            )
        )
        .scalars()
        .all()
    )
    assert len(entries) == 3
    assert detail_of(entries[0])["before"] == {
        "name": "Former member 7",
        "email": "erased-7@invalid",
    }
    assert detail_of(entries[1])["note"] == "asked by Former member 7"
    # an entry that names neither as actor nor as target is not rewritten
    assert "Cléo" in detail_of(entries[2])["note"]
