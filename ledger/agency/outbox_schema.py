"""The outbox's SQLite schema (version `SCHEMA_VERSION`) and the rebuild of older versions.

States are enforced by table constraints (CHECKs on each state's columns), so a bug cannot
write a batch or credential in an impossible state; `rebuild_from` brings a schema-1 or -2 file
to this version in place (`ledger.agency.outbox.Outbox` calls it inside its transaction).
"""

from __future__ import annotations

import sqlite3

__all__ = ["SCHEMA", "SCHEMA_VERSION", "rebuild_from"]

SCHEMA_VERSION = 3  # 2: batches.single; 3: mined state, block hash, rollbacks, held credentials

_BATCHES_TABLE = """
CREATE TABLE IF NOT EXISTS batches (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    root         BLOB    NOT NULL UNIQUE CHECK (length(root) = 32),
    type_id      INTEGER NOT NULL,
    count        INTEGER NOT NULL CHECK (count > 0),
    state        TEXT    NOT NULL
                 CHECK (state IN ('sealed', 'submitted', 'mined', 'anchored')),
    raw_tx       BLOB,
    tx_hash      TEXT,
    nonce        INTEGER,
    block_number INTEGER,
    anchored_at  INTEGER,
    created_at   INTEGER NOT NULL,
    submitted_at INTEGER,
    single       INTEGER NOT NULL DEFAULT 0 CHECK (single IN (0, 1)),
    block_hash   TEXT,
    rollbacks    INTEGER NOT NULL DEFAULT 0 CHECK (rollbacks >= 0),
    CHECK (state != 'submitted' OR raw_tx IS NOT NULL),
    CHECK (single = 0 OR count = 1),
    CHECK ((state IN ('mined', 'anchored')) = (anchored_at IS NOT NULL)),
    CHECK (state != 'mined' OR block_number IS NOT NULL),
    CHECK (block_hash IS NULL OR state IN ('mined', 'anchored'))
)"""
_BATCHES_INDEX = "CREATE INDEX IF NOT EXISTS batches_by_state ON batches(state)"
# The columns a schema-1 outbox has (all but `single`), for the upgrade's copy.
_BATCHES_V1_COLUMNS = (
    "id, root, type_id, count, state, raw_tx, tx_hash, nonce, block_number, anchored_at,"
    " created_at, submitted_at"
)
_CREDENTIALS_TABLE = """
CREATE TABLE IF NOT EXISTS credentials (
    id         TEXT    PRIMARY KEY,
    digest     BLOB    NOT NULL UNIQUE CHECK (length(digest) = 32),
    type_id    INTEGER NOT NULL,
    list_id    INTEGER NOT NULL,
    status_idx INTEGER NOT NULL,
    compact    TEXT    NOT NULL,
    holder_ref TEXT    NOT NULL,
    state      TEXT    NOT NULL
               CHECK (state IN ('pending', 'held', 'discarded', 'batched', 'anchored')),
    batch_id   INTEGER REFERENCES batches(id),
    leaf_index INTEGER,
    proof      BLOB,
    created_at INTEGER NOT NULL,
    held_at    INTEGER,
    CHECK ((state IN ('pending', 'held', 'discarded')) = (batch_id IS NULL)),
    CHECK (state NOT IN ('held', 'discarded') OR held_at IS NOT NULL),
    UNIQUE (batch_id, leaf_index),
    UNIQUE (list_id, status_idx)
)"""
_CREDENTIALS_INDEXES = (
    "CREATE INDEX IF NOT EXISTS credentials_by_state ON credentials(state, type_id)",
    "CREATE INDEX IF NOT EXISTS credentials_by_batch ON credentials(batch_id)",
)
# The columns a schema-1 or -2 outbox has in `credentials` (all but `held_at`).
_CREDENTIALS_V2_COLUMNS = (
    "id, digest, type_id, list_id, status_idx, compact, holder_ref, state, batch_id,"
    " leaf_index, proof, created_at"
)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS outbox_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
{_BATCHES_TABLE};
{_CREDENTIALS_TABLE};
{_CREDENTIALS_INDEXES[0]};
{_CREDENTIALS_INDEXES[1]};
{_BATCHES_INDEX};
"""


def rebuild_from(db: sqlite3.Connection, version: int) -> None:
    """Bring a schema-1 or -2 outbox to this version: `batches` gets `single` (version 2),
    `block_hash`, `rollbacks` and the `mined` state (3), `credentials` the `held` and
    `discarded` states and `held_at` (3), each with its CHECKs. SQLite cannot add a table
    constraint to a table, so both tables are rebuilt: copied aside, dropped, created as this
    version writes them and filled again, inside the caller's transaction. Foreign keys are
    deferred to its commit, as `credentials.batch_id` points at no row between the drop and the
    refill; the commit fails if any is left dangling. Rows keep their states: an `anchored`
    batch of an older version was delivered, and stays `anchored`."""
    db.execute("PRAGMA defer_foreign_keys = ON")
    batch_columns = _BATCHES_V1_COLUMNS + (", single" if version >= 2 else "")
    db.execute(f"CREATE TEMP TABLE batches_old AS SELECT {batch_columns} FROM batches")
    db.execute(
        f"CREATE TEMP TABLE credentials_old AS SELECT {_CREDENTIALS_V2_COLUMNS} FROM credentials"
    )
    # AUTOINCREMENT's high-water mark goes with the table; keep it, so no id is ever reused.
    high_water = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'batches'").fetchone()
    db.execute("DROP TABLE credentials")
    db.execute("DROP TABLE batches")
    db.execute(_BATCHES_TABLE)
    db.execute(_CREDENTIALS_TABLE)
    db.execute(
        f"INSERT INTO batches ({_BATCHES_V1_COLUMNS}, single)"
        f" SELECT {_BATCHES_V1_COLUMNS}, {'single' if version >= 2 else '0'}"
        " FROM batches_old ORDER BY id"
    )
    db.execute(
        f"INSERT INTO credentials ({_CREDENTIALS_V2_COLUMNS})"
        f" SELECT {_CREDENTIALS_V2_COLUMNS} FROM credentials_old ORDER BY rowid"
    )
    if high_water is not None:
        db.execute("DELETE FROM sqlite_sequence WHERE name = 'batches'")
        db.execute(
            "INSERT INTO sqlite_sequence(name, seq)"
            " SELECT 'batches', max(?, coalesce(max(id), 0)) FROM batches",
            high_water,
        )
    db.execute("DROP TABLE batches_old")
    db.execute("DROP TABLE credentials_old")
    for index in _CREDENTIALS_INDEXES:
        db.execute(index)
    db.execute(_BATCHES_INDEX)
