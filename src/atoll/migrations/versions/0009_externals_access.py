# ruff: noqa: S608 - the SQL below is made of this file's own constants
"""externals access

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 10:00:00

A data repair. Before this release a person could become external and keep what only members
may hold: the org-chart import left their analyst permission, and every path left their
memberships of unit spaces, communities and situation rooms (and their follows, and pending
requests to join). This makes every external now what they would be had the rule of
``atoll.people.access`` held all along:

- role guest (never admin), no analyst permission, no unit;
- no membership outside hybrid spaces, no pending request to join one;
- no follow of a space they cannot read (not public, not theirs) or of a person they share no
  space with;
- a space left without an owner by this passes to its longest-standing active moderator.

There is nothing to undo: the downgrade leaves the data as it is.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXTERNALS = "SELECT id FROM person WHERE kind = 'external'"
INTERNAL_ONLY = "SELECT id FROM space WHERE kind <> 'hybrid'"


def upgrade() -> None:
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE person SET role = 'guest', is_analyst = :no, unit_id = NULL "
            "WHERE kind = 'external' AND (role <> 'guest' OR is_analyst = :yes "
            "OR unit_id IS NOT NULL)"
        ),
        {"no": False, "yes": True},
    )
    orphaned = [
        row[0]
        for row in bind.execute(
            sa.text(
                "SELECT DISTINCT space_id FROM membership WHERE role = 'owner' "
                f"AND person_id IN ({EXTERNALS}) AND space_id IN ({INTERNAL_ONLY}) "
                "ORDER BY space_id"
            )
        )
    ]
    bind.execute(
        sa.text(
            f"DELETE FROM membership WHERE person_id IN ({EXTERNALS}) "
            f"AND space_id IN ({INTERNAL_ONLY})"
        )
    )
    bind.execute(
        sa.text(
            f"DELETE FROM join_request WHERE status = 'pending' AND person_id IN ({EXTERNALS}) "
            f"AND space_id IN ({INTERNAL_ONLY})"
        )
    )
    bind.execute(
        sa.text(
            f"DELETE FROM follow WHERE target_type = 'space' AND follower_id IN ({EXTERNALS}) "
            "AND NOT EXISTS (SELECT 1 FROM space WHERE space.id = follow.target_id AND "
            "(space.kind = 'public' OR EXISTS (SELECT 1 FROM membership WHERE "
            "membership.space_id = space.id AND membership.person_id = follow.follower_id)))"
        )
    )
    bind.execute(
        sa.text(
            f"DELETE FROM follow WHERE target_type = 'person' AND follower_id IN ({EXTERNALS}) "
            "AND target_id <> follower_id AND NOT EXISTS (SELECT 1 FROM membership mine "
            "JOIN membership theirs ON theirs.space_id = mine.space_id "
            "WHERE mine.person_id = follow.follower_id AND theirs.person_id = follow.target_id)"
        )
    )
    for space_id in orphaned:
        if bind.execute(
            sa.text("SELECT 1 FROM membership WHERE space_id = :s AND role = 'owner'"),
            {"s": space_id},
        ).first():
            continue
        heir = bind.execute(
            sa.text(
                "SELECT membership.person_id FROM membership JOIN person "
                "ON person.id = membership.person_id WHERE membership.space_id = :s "
                "AND membership.role = 'moderator' AND person.is_active = :yes "
                "ORDER BY membership.created_at, membership.person_id LIMIT 1"
            ),
            {"s": space_id, "yes": True},
        ).scalar()
        if heir is not None:
            bind.execute(
                sa.text(
                    "UPDATE membership SET role = 'owner' WHERE space_id = :s AND person_id = :p"
                ),
                {"s": space_id, "p": heir},
            )


def downgrade() -> None:
    """Nothing to undo: the rows this removed described access nobody should have had."""
