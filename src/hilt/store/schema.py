"""The tables of a project file, its schema version, and the migrations from older versions.

A project file records ``schema_version`` in its ``meta`` table. A newer hilt opens an older
file by running the migrations in :data:`MIGRATIONS` one version at a time; an older hilt
refuses a newer file instead of guessing at columns it does not know.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "metadata"]

#: The version this hilt writes. Bump it together with a new entry in :data:`MIGRATIONS`.
SCHEMA_VERSION = 7

metadata = MetaData()
_STARTED = "needed > 1 AND answered > 0 AND answered < needed"

#: Key/value settings, each value a JSON document: schema_version, labels, strategy, kind,
#: text_column, feature_columns, settings, and the queue pointer ``queue_run``.
meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)

#: One row per item. ``id`` is SQLite's rowid; ``key`` the user's stable item id.
#: ``shuffle`` is a random number fixed at import: ordering by it gives the random order the
#: cold start and the evaluation sample are served in, without ``ORDER BY random()`` scans.
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String, nullable=False, unique=True),
    Column("data", Text, nullable=False),
    Column("is_eval", Integer, nullable=False, default=0),
    Column("shuffle", BigInteger, nullable=False),  # 62 random bits (PostgreSQL's INTEGER has 32)
    Column("created_at", String, nullable=False),
    # How many different annotators should label the item: 1, or the project's
    # annotators_per_item for the overlapped share (version 3).
    Column("needed", Integer, nullable=False, server_default=text("1")),
    # How many different people labelled it (current answers), kept up to date for overlapped
    # items only (needed > 1): it finds the items someone started without scanning the answers.
    Column("answered", Integer, nullable=False, server_default=text("0")),
    Index("items_eval_shuffle", "is_eval", "shuffle"),
    # Only the overlapped items someone started and nobody finished: a handful at any time.
    Index("items_started", "id", sqlite_where=text(_STARTED), postgresql_where=text(_STARTED)),
)

#: Append-only: an answer is never updated except to mark it retracted (undo).
answers = Table(
    "answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("answer_id", String, nullable=False, unique=True),
    Column("item", Integer, ForeignKey("items.id"), nullable=False),
    Column("annotator", String, nullable=False),
    Column("label", String, nullable=True),  # NULL = skipped
    Column("created_at", String, nullable=False),
    Column("retracted", Integer, nullable=False, default=0),
    Column("retracted_at", String, nullable=True),
    # "annotate", or "review": a reviewer's decision, which settles the item's label (version 3).
    Column("role", String, nullable=False, server_default=text("'annotate'")),
    # Version 7: how long the person spent on the item (focus seconds, from the page or the
    # terminal; NULL when the face did not say), the group of a bulk labelling (one id per
    # selection labelled at once, undone together; NULL for one-by-one answers), and whether
    # the answer kept the model suggestion shown with the item (1 / 0; NULL: none shown).
    Column("seconds", Float, nullable=True),
    Column("batch", String, nullable=True),
    Column("kept_suggestion", Integer, nullable=True),
    Index("answers_item", "item", "retracted"),
    Index("answers_annotator", "annotator", "retracted"),
)

annotators = Table(
    "annotators",
    metadata,
    Column("name", String, primary_key=True),
    Column("token_hash", String, nullable=False, unique=True),
    Column("created_at", String, nullable=False),
    Column("role", String, nullable=False, server_default=text("'annotator'")),  # or "reviewer" (version 3)
)

#: ``finished_at`` is NULL while a run is being written; only finished runs are reported.
model_runs = Table(
    "model_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", String, nullable=False),
    Column("finished_at", String, nullable=True),
    Column("n_train", Integer, nullable=False, default=0),
    Column("strategy", String, nullable=False),
    Column("eval_accuracy", Float, nullable=True),
    Column("n_eval", Integer, nullable=False, default=0),
    # Version 6: the task's figures beyond the headline in eval_accuracy (a JSON object of
    # name -> {"value", "ci"}: micro-F1 and the rest for a multi-label project); NULL for single.
    Column("metrics", Text, nullable=True),
)

#: Version 7: another model's predictions for items (pre-annotations), imported from a column or
#: a tool's format: one per item and ``source`` (the model's name or version), ``label`` encoded
#: by the project's task like an answer, ``score`` the model's confidence (NULL when not given).
#: Never a label: nothing here is trained on or counted.
suggestions = Table(
    "suggestions",
    metadata,
    Column("item", Integer, ForeignKey("items.id"), primary_key=True),
    Column("source", String, primary_key=True),
    Column("label", Text, nullable=False),
    Column("score", Float, nullable=True),
    Column("created_at", String, nullable=False),
)

#: The ranked queue of each run (only the run ``meta.queue_run`` points at is served).
queue = Table(
    "queue",
    metadata,
    Column("run_id", Integer, nullable=False, primary_key=True),
    Column("position", Integer, nullable=False, primary_key=True),
    Column("item", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("guess", String, nullable=True),  # added in schema version 2
    # Version 5: an item's row in the served run, found without reading the run's whole queue
    # (the guesses of evaluation items, served in their random order, and of items served again).
    Index("queue_item", "run_id", "item"),
)

#: One lease per annotator (by construction: a claim drops the annotator's others) and per
#: (item, annotator); an overlapped item may be leased to several annotators at once, never
#: to more than it still needs (the claim checks under the write lock).
leases = Table(
    "leases",
    metadata,
    Column("item", Integer, primary_key=True),
    Column("annotator", String, primary_key=True),
    Column("expires_at", Float, nullable=False),  # unix seconds: compared on every serve
    Index("leases_annotator", "annotator"),
)

#: Undos already done, by the id the client sent with them (version 4): a retried undo, on this
#: server process or another one over the same project, finds its row and retracts nothing more.
#: Written in the undo's own transaction; rows older than a day are deleted as new ones come
#: (:class:`hilt.store.shared_state.SharedStateMixin`).
undos = Table(
    "undos",
    metadata,
    Column("annotator", String, primary_key=True),
    Column("undo_id", String, primary_key=True),
    Column("item", Integer, nullable=True),  # the item handed back; NULL: none (nothing to undo)
    Column("created_at", Float, nullable=False),  # unix seconds
    Index("undos_created", "created_at"),
)


def _v1_to_v2(conn: Connection) -> None:
    # Version 2 shows annotators the model's guess, kept with each queued item.
    conn.execute(text("ALTER TABLE queue ADD COLUMN guess VARCHAR"))


def _v2_to_v3(conn: Connection) -> None:
    # Version 3: overlap (items.needed, items.answered), review decisions (answers.role), reviewers
    # (annotators.role), and several leases on one item (the leases key becomes item + annotator).
    conn.execute(text("ALTER TABLE items ADD COLUMN needed INTEGER NOT NULL DEFAULT 1"))
    conn.execute(text("ALTER TABLE items ADD COLUMN answered INTEGER NOT NULL DEFAULT 0"))
    conn.execute(text("CREATE INDEX items_started ON items (id) WHERE needed > 1 AND answered > 0 AND answered < needed"))
    conn.execute(text("ALTER TABLE answers ADD COLUMN role VARCHAR NOT NULL DEFAULT 'annotate'"))
    conn.execute(text("ALTER TABLE annotators ADD COLUMN role VARCHAR NOT NULL DEFAULT 'annotator'"))
    conn.execute(text("ALTER TABLE leases RENAME TO leases_v2"))
    conn.execute(text("DROP INDEX IF EXISTS leases_annotator"))
    leases.create(conn)
    conn.execute(text("INSERT INTO leases (item, annotator, expires_at) "
                      "SELECT item, annotator, expires_at FROM leases_v2"))
    conn.execute(text("DROP TABLE leases_v2"))


def _v3_to_v4(conn: Connection) -> None:
    # Version 4 remembers undos by their id in the project, not in one server process's memory.
    # (checkfirst: a file downgraded by hand may still hold the table.)
    undos.create(conn, checkfirst=True)


def _v4_to_v5(conn: Connection) -> None:
    # Version 5 looks queue rows up by item: runs write guesses for evaluation items too.
    conn.execute(text("CREATE INDEX IF NOT EXISTS queue_item ON queue (run_id, item)"))


def _v5_to_v6(conn: Connection) -> None:
    # Version 6 keeps a run's figures by the project's task (multi-label: micro-F1 and three more).
    conn.execute(text("ALTER TABLE model_runs ADD COLUMN metrics TEXT"))


def _v6_to_v7(conn: Connection) -> None:
    # Version 7: time per answer, bulk-labelling groups, kept suggestions, and the suggestions.
    conn.execute(text("ALTER TABLE answers ADD COLUMN seconds FLOAT"))
    conn.execute(text("ALTER TABLE answers ADD COLUMN batch VARCHAR"))
    conn.execute(text("ALTER TABLE answers ADD COLUMN kept_suggestion INTEGER"))
    suggestions.create(conn, checkfirst=True)


#: ``MIGRATIONS[v]`` turns a version ``v`` file into a version ``v + 1`` file.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5,
                                                       5: _v5_to_v6, 6: _v6_to_v7}
