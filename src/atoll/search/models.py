"""The searchable text of every post, comment, wiki page, person and space."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, id_column

CONTENT_KINDS = ("post", "comment", "wiki")
NAME_KINDS = ("person", "space")
KINDS = CONTENT_KINDS + NAME_KINDS


class SearchDoc(Base):
    """One searchable thing. ``kind`` + ``ref_id`` name it (a post id, a person id …);
    ``space_id`` is where it lives (the visibility of content is the visibility of its space,
    decided at query time so that a change of membership needs no re-indexing); ``person_id``
    is the author (of content) or the person (of a person document); ``stamp`` is the time
    that counts for recency, in seconds since 1970.

    Besides this table the migration made, per database: on SQLite the FTS5 tables
    ``search_fts`` (content, Porter stemming) and ``search_name_fts`` (people and spaces,
    with prefix indexes) and the triggers that keep them equal to this table; on PostgreSQL
    the generated column ``tsv`` and its GIN indexes. Those are not in the model: they are
    invisible to the ORM and filtered out of the migration comparison
    (:func:`atoll.migrate.include_name`)."""

    __tablename__ = "search_doc"

    id: Mapped[int] = id_column()
    kind: Mapped[str] = mapped_column(String(8))
    ref_id: Mapped[int] = mapped_column(BigInteger)
    space_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("space.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    stamp: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        Index("ix_search_doc_space_id", "space_id"),
        Index("ix_search_doc_post_id", "post_id"),
        Index("ix_search_doc_person_id_kind", "person_id", "kind"),
    )
