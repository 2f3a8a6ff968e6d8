"""The interaction log: one row per act of collaboration, with both sides as they were then.

Written in the same transaction as the change it records (``service.record_interaction``);
the value matrix, the network measures and adoption figures are computed from it.

**Scope** (``Interaction.scope``), decided from both sides as they were (service.scope_of):

- a row without a target (a new post, a wiki page's first revision) is ``activity``: it
  counts for adoption, never as a tie;
- otherwise, in this order: two externals → ``externals``; a member in no silo takes part
  → ``no_silo`` (both reported apart from the grid, ``APART_SCOPES``); a member with an
  external → ``external``; two members of one silo → ``within``; of two silos → ``across``
  (the value matrix's grid, ``GRID_SCOPES``).

A member's silo is the unit's ancestor at the silo level (``ATOLL_SILO_LEVEL``), a unit at
that level its own; a member in a unit above it, or in none, sits in no silo; externals
never sit in a silo.

**Ties**: two people share one tie, in either direction (``tie_key`` "p:<low>:<high>"; a row
without a target keeps "s:<person>:<space>"). A row is on a new tie when no row on the same
tie lies within the look-back window before it (``ATOLL_TIE_LOOKBACK_DAYS``).

A reaction and a vote are logged once per person and post (subscribers.record_added)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from atoll.conversations.models import Comment, Post
from atoll.db.base import Base, BigId, UtcDateTime, id_column
from atoll.kit.time import utcnow

# The value matrix's rows; the two kinds of person-to-person rows reported beside it; and the
# rows without a target.
GRID_SCOPES = ("within", "across", "external")
APART_SCOPES = ("externals", "no_silo")
ACTIVITY = "activity"
SCOPES = (*GRID_SCOPES, *APART_SCOPES, ACTIVITY)

# Room for every scope. SQLite does not enforce a VARCHAR's length: its columns keep the
# VARCHAR(8) they were made with (widening would rebuild the log's whole table for nothing);
# PostgreSQL's are widened by migration 0022.
ScopeType = String(16).with_variant(String(8), "sqlite")

INTERACTION_KINDS = (
    "post",
    "comment",
    "reply",
    "reaction",
    "mention",
    "accept",
    "vote",
    "wiki_edit",
)


# A row of the grid, written with its values in the SQL (not bound): how the partial indexes
# below are defined, and how a query must say it for the planners to use them.
GRID = text("scope IN ('within', 'across', 'external')")
# The rows reported apart from the grid, said the same way.
APART = text("scope IN ('externals', 'no_silo')")


# What the value matrix reads of a row under a unit filter (with the other side's unit).
UNIT_COVER = ("scope", "new_tie", "tie_key", "actor_id", "target_id")


class Interaction(Base):
    __tablename__ = "interaction"

    id: Mapped[int] = id_column()
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("person.id", ondelete="CASCADE"))
    # Toward whom: the person answered, reacted to or mentioned; None for a new post (the
    # space is the audience).
    target_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE")
    )
    space_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("space.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(BigId)
    # Each side at that moment: unit, silo (the unit's ancestor at the silo level), kind and,
    # for externals, organisation.
    actor_unit_id: Mapped[int | None] = mapped_column(BigId)
    actor_silo_id: Mapped[int | None] = mapped_column(BigId)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_organization: Mapped[str | None] = mapped_column(String(200))
    target_unit_id: Mapped[int | None] = mapped_column(BigId)
    target_silo_id: Mapped[int | None] = mapped_column(BigId)
    target_kind: Mapped[str | None] = mapped_column(String(16))
    target_organization: Mapped[str | None] = mapped_column(String(200))
    # Decided when the row is written from both sides as they were (see the module): the
    # scope (SCOPES); the tie (two people "p:<low id>:<high id>", or for a row without a
    # target its author and the space "s:<person>:<space>"); and whether the tie is new (no
    # interaction on it within the look-back window before).
    scope: Mapped[str] = mapped_column(ScopeType, default="within")
    tie_key: Mapped[str] = mapped_column(String(48), default="")
    new_tie: Mapped[bool] = mapped_column(Boolean, default=True)
    # Roll-up helpers, so that distinct counts over any range are plain sums (see
    # analytics/matrix.py): when the previous row (by at, id) on the same tie *and* in the
    # same cell (scope, new_tie) happened; and on a row of the grid (GRID_SCOPES), when each
    # side's person last appeared in a row of the grid (as actor or target) — None on rows
    # outside the grid. None: never before. Kept by record_interaction and recomputed for
    # the whole log by ties.rebuild_log (and rebuild_ties).
    cell_prev_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    actor_prev_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    target_prev_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_interaction_at", "at"),
        Index("ix_interaction_actor_id_target_id_at", "actor_id", "target_id", "at"),
        Index("ix_interaction_space_id_at", "space_id", "at"),
        Index("ix_interaction_tie_key_at", "tie_key", "at"),
        Index("ix_interaction_actor_id_at", "actor_id", "at"),
        Index("ix_interaction_target_id_at", "target_id", "at"),
        # Covers the value matrix's sums over a time range (matrix.py), read without the rows.
        Index(
            "ix_interaction_at_cells",
            "at",
            "scope",
            "new_tie",
            "target_id",
            "cell_prev_at",
            "actor_prev_at",
            "target_prev_at",
        ),
        # "Has this person reacted to (voted on) this post before?" (record_added).
        Index("ix_interaction_post_id_actor_id_kind", "post_id", "actor_id", "kind"),
        # Each person's last row in the grid (record_interaction's people helpers).
        Index(
            "ix_interaction_actor_id_at_grid",
            "actor_id",
            "at",
            sqlite_where=GRID,
            postgresql_where=GRID,
        ),
        Index(
            "ix_interaction_target_id_at_grid",
            "target_id",
            "at",
            sqlite_where=GRID,
            postgresql_where=GRID,
        ),
        # Cover the value matrix with a unit filter (matrix_counts.py): the rows whose actor,
        # or target, was in one of the unit's units, read without the rows.
        Index(
            "ix_interaction_actor_unit_id_at", "actor_unit_id", "at", *UNIT_COVER, "target_unit_id"
        ),
        Index(
            "ix_interaction_target_unit_id_at", "target_unit_id", "at", *UNIT_COVER, "actor_unit_id"
        ),
        # The people of the rows reported apart (matrix_counts.apart_people), read from the
        # index alone.
        Index(
            "ix_interaction_at_apart",
            "at",
            "scope",
            "actor_id",
            "target_id",
            sqlite_where=APART,
            postgresql_where=APART,
        ),
    )


class InteractionMonth(Base):
    """The rows of one closed calendar month of the log, counted by cell and by the month of
    each side's previous appearance (see months.py): derived from ``interaction``, filled by
    housekeeping, for the value matrix's sums over whole months."""

    __tablename__ = "interaction_month"

    month: Mapped[str] = mapped_column(String(10), primary_key=True)  # "YYYY-MM-01"
    scope: Mapped[str] = mapped_column(ScopeType, primary_key=True)
    new_tie: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    side: Mapped[str] = mapped_column(String(8), primary_key=True)  # cell | actor | target
    prev_month: Mapped[str] = mapped_column(String(10), primary_key=True)  # or months.NEVER
    count: Mapped[int] = mapped_column(BigInteger)
    # The calendar the periods are of: "month" or "week" ("month" then holds the week's
    # Monday), in the time zone named (ATOLL_TIMEZONE); counts of one calendar are never read
    # for another.
    period: Mapped[str] = mapped_column(String(8), primary_key=True, default="month")
    zone: Mapped[str] = mapped_column(String(64), primary_key=True, default="UTC")


class ActivityDay(Base):
    """A day on which a person used Atoll (read or wrote): the base of active-people counts
    and of the readers in the 90-9-1 split."""

    __tablename__ = "activity_day"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)

    __table_args__ = (Index("ix_activity_day_day", "day"),)


# --- adoption roll-ups (analytics/adoption_store.py): derived from activity_day and the
# interaction log by housekeeping, one organisation time zone (``zone``) at a time.

NEVER = date(1, 1, 1)  # the "previous day" of a first appearance: before every day


class AdoptionDay(Base):
    """One member's day (in the organisation's time zone) on which they were active, or acted
    toward by someone: what they did and received that day."""

    __tablename__ = "adoption_day"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    active: Mapped[bool] = mapped_column(Boolean)
    contributions: Mapped[int] = mapped_column(Integer)  # posts, comments, replies, reactions
    new_week: Mapped[bool] = mapped_column(Boolean)  # the person's first contribution that week
    posts: Mapped[int] = mapped_column(Integer)
    given: Mapped[int] = mapped_column(Integer)  # acts toward another person
    received: Mapped[int] = mapped_column(Integer)  # acts of others toward them

    # SQLite keeps the rows in the order of the primary key: a run of days is read in place.
    # No index on person_id: people are deactivated, never deleted, and an index by person
    # tempts SQLite's planner into reading every day to group by person.
    __table_args__ = ({"sqlite_with_rowid": False},)


class AdoptionTally(Base):
    """How many people were active (``measure`` "active") or contributed ("contributor") on a
    day, by the day they last were before it (``prev``; ``NEVER`` for a first time): the
    distinct people of any run of days are those whose previous day is before the run."""

    __tablename__ = "adoption_tally"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    prev: Mapped[date] = mapped_column(Date, primary_key=True)
    week: Mapped[date] = mapped_column(Date)  # the Monday of the day's ISO week
    month: Mapped[date] = mapped_column(Date)  # the first of the day's month
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = ({"sqlite_with_rowid": False},)


class AdoptionPeriod(Base):
    """The distinct people active (contributing) in each whole ISO week and calendar month of
    the organisation's time zone whose days are all counted."""

    __tablename__ = "adoption_period"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # week | month
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = ({"sqlite_with_rowid": False},)


class AdoptionMark(Base):
    """Each member's running totals before a day (the first of every month, and the end of
    what is counted so far): a range's totals are the difference of two marks."""

    __tablename__ = "adoption_mark"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    active_days: Mapped[int] = mapped_column(Integer)
    contribution_days: Mapped[int] = mapped_column(Integer)
    weeks: Mapped[int] = mapped_column(Integer)  # weeks with a contribution
    posts: Mapped[int] = mapped_column(Integer)
    given: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer)
    last_active: Mapped[date | None] = mapped_column(Date)
    last_contribution: Mapped[date | None] = mapped_column(Date)

    __table_args__ = ({"sqlite_with_rowid": False},)


class AdoptionFill(Base):
    """How far the adoption roll-ups of a time zone reach: every day before ``filled_to`` is
    counted; ``interaction_id`` is the last log row seen, so a row written later into a day
    already counted is noticed (and the days from it are counted again)."""

    __tablename__ = "adoption_fill"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    filled_to: Mapped[date] = mapped_column(Date)
    interaction_id: Mapped[int] = mapped_column(BigInteger)


class ReadinessThreshold(Base):
    """What a unit must reach to be ready to go outward (analytics/readiness.py), as an
    administrator set it on the analytics page: one row (id 1); the defaults while none."""

    __tablename__ = "readiness_threshold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    active_share: Mapped[float] = mapped_column(Float)
    across_share: Mapped[float] = mapped_column(Float)
    answer_rate: Mapped[float] = mapped_column(Float)
    first_answer_hours: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )


# Indexes on conversations' tables that adoption's questions are read through
# (analytics/adoption_questions.py): the questions of a range without the other posts, and
# each one's first answer without reading the comments' rows.
Index(
    "ix_post_kind_created_at",
    Post.kind,
    Post.created_at,
    Post.id,
    Post.author_id,
    Post.deleted_at,
)
Index(
    "ix_comment_post_id_answers",
    Comment.post_id,
    Comment.created_at,
    Comment.id,
    Comment.author_id,
    Comment.deleted_at,
)


class FirstStepsDismissal(Base):
    """A person who hid their first-steps checklist (``first_steps.do_dismiss_first_steps``);
    no row: the home page shows it while a step is left."""

    __tablename__ = "first_steps_dismissal"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    dismissed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
