"""Full-text search over posts, comments, wiki pages, people and spaces.

One table, ``search_doc``, holds the text of everything searchable; the database indexes it:
SQLite through FTS5 tables kept in step by triggers, PostgreSQL through a generated
``tsvector`` column with GIN indexes (both made by migration 0007). Search follows the
changes of other domains (:mod:`atoll.search.content`, :mod:`atoll.search.directory`) and
writes rows with :mod:`atoll.search.index` in the transaction of the change; it reads with
:mod:`atoll.search.query` (the query language in :mod:`atoll.search.language`, what a hit
shows in :mod:`atoll.search.hits`), which joins the visibility rules of the spaces and people
policies into the SQL.
"""
