"""Durable issuance outbox: credentials wait here until their batch root is mined.

An issuing agency signs many credentials and anchors them in batches, one Merkle root per
batch. The outbox (one SQLite file on the issuer's own disk) guarantees:

* a credential issued but not yet anchored survives a crash or a devnet restart;
* each credential lands in exactly one batch, sealed in one transaction with its root, leaf
  position and inclusion proof;
* the signed anchor transaction is recorded *before* it is broadcast (write-ahead), so after a
  crash the very same transaction (same nonce, same hash) is re-sent instead of a new one, and
  a batch is anchored at most once (the contract also rejects a duplicate root);
* a credential is handed out (`deliverable`) only once its batch's anchor is mined.

A credential anchored on its own (`Issuer.issue(anchor="now")`) goes through the same table as a
*single* batch: root = its digest, anchored by `AnchorRegistry.anchor` rather than
`anchorBatch`, no Merkle proof. `enqueue_single` stores it together with its signed anchor
transaction, so a crash between broadcast and receipt loses neither.

Durability: WAL journal with ``synchronous=FULL``. In WAL mode FULL fsyncs the log at every
commit, so a committed write-ahead record survives power loss, not just a process crash (NORMAL
would only survive the latter, and losing the record of a broadcast transaction is what this
module exists to prevent). WAL rather than a rollback journal so that readers (a CLI asking for
a deliverable) never block the writer that seals and anchors.

Flow for the integration layer::

    outbox.enqueue(PendingCredential(...))             # right after signing the SD-JWT
    batch = outbox.seal_batch(type_id, max_size=1000)  # root + membership + proofs
    raw, tx_hash, nonce = sign_anchor_tx(batch.root, batch.type_id)
    outbox.record_submission(batch.id, raw, tx_hash, nonce)   # BEFORE broadcasting
    broadcast(raw); block, ts = wait_receipt(tx_hash)
    outbox.mark_anchored(batch.id, block, ts)
    outbox.deliverable(credential_id)                  # compact SD-JWT + anchor proof

and after any restart, ``outbox.recover(chain)`` before anything else.
"""

from __future__ import annotations

import enum
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ledger.agency._sqlite import SQLiteStore, connect, transaction
from ledger.chain.merkle import MerkleTree, leaf_hash
from ledger.errors import (
    BatchNotFound,
    BatchStateError,
    CredentialNotFound,
    CredentialNotYetAnchored,
    DuplicateCredential,
    OutboxError,
    OutboxSchemaMismatch,
)

SCHEMA_VERSION = 2  # 2: batches.single

_BATCHES_TABLE = """
CREATE TABLE IF NOT EXISTS batches (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    root         BLOB    NOT NULL UNIQUE CHECK (length(root) = 32),
    type_id      INTEGER NOT NULL,
    count        INTEGER NOT NULL CHECK (count > 0),
    state        TEXT    NOT NULL CHECK (state IN ('sealed', 'submitted', 'anchored')),
    raw_tx       BLOB,
    tx_hash      TEXT,
    nonce        INTEGER,
    block_number INTEGER,
    anchored_at  INTEGER,
    created_at   INTEGER NOT NULL,
    submitted_at INTEGER,
    single       INTEGER NOT NULL DEFAULT 0 CHECK (single IN (0, 1)),
    CHECK (state != 'submitted' OR raw_tx IS NOT NULL),
    CHECK (single = 0 OR count = 1),
    CHECK ((state = 'anchored') = (anchored_at IS NOT NULL))
)"""
_BATCHES_INDEX = "CREATE INDEX IF NOT EXISTS batches_by_state ON batches(state)"
# The columns a schema-1 outbox has (all but `single`), for the upgrade's copy.
_BATCHES_V1_COLUMNS = (
    "id, root, type_id, count, state, raw_tx, tx_hash, nonce, block_number, anchored_at,"
    " created_at, submitted_at"
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS outbox_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
{_BATCHES_TABLE};
CREATE TABLE IF NOT EXISTS credentials (
    id         TEXT    PRIMARY KEY,
    digest     BLOB    NOT NULL UNIQUE CHECK (length(digest) = 32),
    type_id    INTEGER NOT NULL,
    list_id    INTEGER NOT NULL,
    status_idx INTEGER NOT NULL,
    compact    TEXT    NOT NULL,
    holder_ref TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'batched', 'anchored')),
    batch_id   INTEGER REFERENCES batches(id),
    leaf_index INTEGER,
    proof      BLOB,
    created_at INTEGER NOT NULL,
    CHECK ((state = 'pending') = (batch_id IS NULL)),
    UNIQUE (batch_id, leaf_index),
    UNIQUE (list_id, status_idx)
);
CREATE INDEX IF NOT EXISTS credentials_by_state ON credentials(state, type_id);
CREATE INDEX IF NOT EXISTS credentials_by_batch ON credentials(batch_id);
{_BATCHES_INDEX};
"""


# --- what the outbox needs from the chain ----------------------------------------------------


@dataclass(frozen=True)
class AnchorInclusion:
    """When an anchor was mined: ``block.timestamp`` (the AnchorRegistry's ``anchoredAt``) and,
    when known (from the receipt or the ``BatchAnchored`` log), the block number."""

    anchored_at: int
    block_number: int | None = None


class BroadcastOutcome(enum.Enum):
    """Result of re-sending a stored signed transaction."""

    SENT = "sent"  # accepted by the node (or already known to it)
    STALE = "stale"  # its nonce was used by another transaction: it can never be mined


class AnchorChain(Protocol):
    """What `Outbox.recover` asks of the chain (the integration layer implements it)."""

    def anchor_of(self, root: bytes, *, single: bool = False) -> AnchorInclusion | None:
        """Where ``root`` was anchored (a credential digest anchored alone if ``single``), or
        None if it is not anchored (yet)."""
        ...

    def broadcast_raw(self, raw_tx: bytes) -> BroadcastOutcome:
        """Send a signed transaction; "already known" counts as `BroadcastOutcome.SENT`."""
        ...


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingCredential:
    """An issued credential waiting for its anchor. ``digest`` = sha256 of the issuer-signed
    JWT; ``compact`` is the full SD-JWT (kept on the issuer's disk only)."""

    id: str
    digest: bytes
    type_id: int
    list_id: int
    status_idx: int
    compact: str
    holder_ref: str = ""


@dataclass(frozen=True)
class SealedBatch:
    """A batch whose root and membership are fixed; next step: sign and record its anchor tx."""

    id: int
    root: bytes
    type_id: int
    count: int
    credential_ids: tuple[str, ...]  # in leaf order
    created_at: int


@dataclass(frozen=True)
class BatchRecord:
    """A batch as stored."""

    id: int
    root: bytes
    type_id: int
    count: int
    state: str  # 'sealed' | 'submitted' | 'anchored'
    raw_tx: bytes | None
    tx_hash: str | None
    nonce: int | None
    block_number: int | None
    anchored_at: int | None
    created_at: int
    single: bool = False  # one credential anchored alone: root is its digest, no Merkle tree


@dataclass(frozen=True)
class AnchorProof:
    """What the holder needs to prove a credential is anchored: the batch root, the Merkle
    inclusion proof of its leaf, and where the root was mined."""

    root: bytes
    proof: tuple[bytes, ...]
    leaf_index: int
    block_number: int | None
    anchored_at: int
    batch_id: int
    tx_hash: str | None
    single: bool = False  # anchored alone: `root` is the credential's digest, `proof` empty

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (hex strings)."""
        return {
            "single": self.single,
            "root": "0x" + self.root.hex(),
            "proof": ["0x" + p.hex() for p in self.proof],
            "leaf_index": self.leaf_index,
            "block_number": self.block_number,
            "anchored_at": self.anchored_at,
            "tx_hash": self.tx_hash,
        }


@dataclass(frozen=True)
class DeliveredCredential:
    """A credential whose anchor is mined: what the holder receives."""

    credential_id: str
    compact: str
    digest: bytes
    type_id: int
    list_id: int
    status_idx: int
    holder_ref: str
    anchor: AnchorProof


@dataclass(frozen=True)
class RecoveryReport:
    """What `Outbox.recover` did, by batch id."""

    anchored: tuple[int, ...]  # found anchored on chain, now marked anchored
    rebroadcast: tuple[int, ...]  # stored signed tx re-sent; still waiting to be mined
    resealed: tuple[int, ...]  # stored tx can never be mined; back to sealed, sign anew
    sealed: tuple[int, ...]  # never submitted; left for the normal path


@dataclass(frozen=True)
class OutboxStats:
    """Counts by state."""

    pending: int
    batched: int
    anchored: int
    batches_sealed: int
    batches_submitted: int
    batches_anchored: int


# --- the outbox ------------------------------------------------------------------------------


def _rebuild_batches_from_v1(db: sqlite3.Connection) -> None:
    """Give a schema-1 `batches` table the `single` column and its CHECK (a single holds one
    credential). SQLite cannot add a table constraint to a table, so the table is rebuilt:
    copied aside, dropped, created as version 2 writes it and filled again, inside the caller's
    transaction. Foreign keys are deferred to its commit, as `credentials.batch_id` points at
    no row between the drop and the refill; the commit fails if any is left dangling."""
    db.execute("PRAGMA defer_foreign_keys = ON")
    db.execute(f"CREATE TEMP TABLE batches_v1 AS SELECT {_BATCHES_V1_COLUMNS} FROM batches")
    # AUTOINCREMENT's high-water mark goes with the table; keep it, so no id is ever reused.
    high_water = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'batches'").fetchone()
    db.execute("DROP TABLE batches")
    db.execute(_BATCHES_TABLE)
    db.execute(
        f"INSERT INTO batches ({_BATCHES_V1_COLUMNS}, single)"
        f" SELECT {_BATCHES_V1_COLUMNS}, 0 FROM batches_v1 ORDER BY id"
    )
    if high_water is not None:
        db.execute("DELETE FROM sqlite_sequence WHERE name = 'batches'")
        db.execute(
            "INSERT INTO sqlite_sequence(name, seq)"
            " SELECT 'batches', max(?, coalesce(max(id), 0)) FROM batches",
            high_water,
        )
    db.execute("DROP TABLE batches_v1")
    db.execute(_BATCHES_INDEX)


class Outbox(SQLiteStore):
    """The issuance outbox in one SQLite file. The constructor does no I/O; call `open()` or
    use it as a context manager. One `Outbox` object per thread."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)

    # lifecycle

    def _not_open(self) -> Exception:
        return OutboxError("outbox is not open")

    def _connect(self) -> sqlite3.Connection:
        """Open (creating if needed) the database and check its schema version."""
        db: sqlite3.Connection | None = None
        try:
            db = connect(self._path, "foreign_keys=ON")
            with transaction(db):
                self._ensure_schema(db)
        except BaseException as exc:
            if db is not None:
                db.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise OutboxError(f"cannot open outbox {self._path}: {exc}") from exc
            raise
        return db

    def _ensure_schema(self, db: sqlite3.Connection) -> None:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        row = db.execute("SELECT value FROM outbox_meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            db.execute(
                "INSERT INTO outbox_meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        elif row[0] == "1":  # version 2 added single anchors
            _rebuild_batches_from_v1(db)
            db.execute(
                "UPDATE outbox_meta SET value = ? WHERE key = 'schema_version'",
                (str(SCHEMA_VERSION),),
            )
        elif row[0] != str(SCHEMA_VERSION):
            raise OutboxSchemaMismatch(
                f"outbox {self._path} has schema version {row[0]}, "
                f"this code expects {SCHEMA_VERSION}"
            )

    # issuance

    def enqueue(self, credential: PendingCredential, *, now: int | None = None) -> None:
        """Store an issued credential as pending. Raises `DuplicateCredential` if its id,
        digest or status index is already in the outbox."""
        self.enqueue_many((credential,), now=now)

    def enqueue_many(
        self, credentials: Sequence[PendingCredential], *, now: int | None = None
    ) -> None:
        """Store several issued credentials as pending in one transaction (one fsync): all or
        none. Raises `DuplicateCredential` if any id, digest or status index is taken."""
        t = _now(now)
        with self._inserting(credentials) as db:
            db.executemany(
                f"INSERT INTO credentials({_CREDENTIAL_COLUMNS}, state, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                [(*_credential_values(c), t) for c in credentials],
            )

    def enqueue_single(
        self,
        credential: PendingCredential,
        raw_tx: bytes,
        tx_hash: str,
        nonce: int,
        *,
        now: int | None = None,
    ) -> int:
        """Store a credential to be anchored alone together with its signed `anchor`
        transaction (write-ahead: call BEFORE broadcasting it), in one transaction. Returns the
        id of its single batch, already `submitted`. Raises `DuplicateCredential` like
        `enqueue`."""
        if not raw_tx:
            raise OutboxError("raw_tx is empty")
        t = _now(now)
        with self._inserting((credential,)) as db:
            cur = db.execute(
                "INSERT INTO batches(root, type_id, count, state, raw_tx, tx_hash, nonce,"
                " created_at, submitted_at, single)"
                " VALUES (?, ?, 1, 'submitted', ?, ?, ?, ?, ?, 1)",
                (credential.digest, credential.type_id, raw_tx, tx_hash, nonce, t, t),
            )
            batch_id = int(cur.lastrowid or 0)
            db.execute(
                f"INSERT INTO credentials({_CREDENTIAL_COLUMNS}, state, batch_id, leaf_index,"
                " proof, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'batched', ?, 0, x'', ?)",
                (*_credential_values(credential), batch_id, t),
            )
        return batch_id

    @contextmanager
    def _inserting(self, credentials: Sequence[PendingCredential]) -> Iterator[sqlite3.Connection]:
        """A write transaction that stores `credentials`: their digests are checked first, and
        an id, digest or status index already taken raises `DuplicateCredential`."""
        for credential in credentials:
            if len(credential.digest) != 32:
                raise OutboxError(f"credential {credential.id!r}: digest must be 32 bytes")
        try:
            with self._write() as db:
                yield db
        except sqlite3.IntegrityError as exc:
            raise DuplicateCredential(
                f"a credential id, digest or status index is already queued: {exc}"
            ) from exc

    def seal_batch(
        self, type_id: int, max_size: int, *, now: int | None = None
    ) -> SealedBatch | None:
        """Take up to ``max_size`` pending credentials of ``type_id`` (oldest first), build the
        Merkle tree, and record root, membership, leaf positions and proofs in one transaction.
        Returns None when nothing is pending."""
        if max_size <= 0:
            raise OutboxError("max_size must be positive")
        t = _now(now)
        with self._write() as db:
            rows = db.execute(
                "SELECT id, digest FROM credentials WHERE state = 'pending' AND type_id = ?"
                " ORDER BY created_at, rowid LIMIT ?",
                (type_id, max_size),
            ).fetchall()
            if not rows:
                return None
            ids = tuple(str(r[0]) for r in rows)
            tree = MerkleTree.from_leaves([leaf_hash(bytes(r[1])) for r in rows])
            root = bytes(tree.root)
            cur = db.execute(
                "INSERT INTO batches(root, type_id, count, state, created_at)"
                " VALUES (?, ?, ?, 'sealed', ?)",
                (root, type_id, len(ids), t),
            )
            batch_id = int(cur.lastrowid or 0)
            db.executemany(
                "UPDATE credentials SET state = 'batched', batch_id = ?, leaf_index = ?,"
                " proof = ? WHERE id = ? AND state = 'pending'",
                [(batch_id, i, b"".join(tree.proof(i)), cid) for i, cid in enumerate(ids)],
            )
        return SealedBatch(batch_id, root, type_id, len(ids), ids, t)

    def record_submission(
        self,
        batch_id: int,
        raw_tx: bytes,
        tx_hash: str,
        nonce: int,
        *,
        now: int | None = None,
    ) -> None:
        """Write-ahead record of the signed anchor transaction; call BEFORE broadcasting it.

        Recording the same transaction again is a no-op; recording a different one for a
        submitted batch raises `BatchStateError` (use `abandon_submission` first, and only when
        the stored one can never be mined)."""
        if not raw_tx:
            raise OutboxError("raw_tx is empty")
        with self._write() as db:
            b = self._batch(db, batch_id)
            if b.state == "submitted" and b.tx_hash == tx_hash and b.raw_tx == raw_tx:
                return
            if b.state != "sealed":
                raise BatchStateError(f"batch {batch_id} is {b.state}, not sealed")
            db.execute(
                "UPDATE batches SET state = 'submitted', raw_tx = ?, tx_hash = ?, nonce = ?,"
                " submitted_at = ? WHERE id = ?",
                (raw_tx, tx_hash, nonce, _now(now), batch_id),
            )

    def abandon_submission(self, batch_id: int) -> None:
        """Return a submitted batch to sealed, forgetting its signed transaction.

        Warning: only safe when that transaction can never be mined (its nonce was consumed by
        another transaction and the root is not anchored); otherwise the batch could be
        anchored by the old transaction while a new one is signed."""
        with self._write() as db:
            b = self._batch(db, batch_id)
            if b.state != "submitted":
                raise BatchStateError(f"batch {batch_id} is {b.state}, not submitted")
            db.execute(
                "UPDATE batches SET state = 'sealed', raw_tx = NULL, tx_hash = NULL,"
                " nonce = NULL, submitted_at = NULL WHERE id = ?",
                (batch_id,),
            )

    def mark_anchored(self, batch_id: int, block_number: int | None, anchored_at: int) -> None:
        """Record that the batch root is mined (normally from the submitted state, or from
        sealed when the chain says so); its credentials become deliverable.

        Idempotent for the same anchor; a missing block number may be filled in later. A
        different ``anchored_at`` or block number raises `BatchStateError`."""
        with self._write() as db:
            b = self._batch(db, batch_id)
            if b.state == "anchored":
                same_block = None in (b.block_number, block_number) or (
                    b.block_number == block_number
                )
                if b.anchored_at != anchored_at or not same_block:
                    raise BatchStateError(
                        f"batch {batch_id} is already anchored at {b.anchored_at}"
                        f" (block {b.block_number})"
                    )
                if b.block_number is None and block_number is not None:
                    db.execute(
                        "UPDATE batches SET block_number = ? WHERE id = ?", (block_number, batch_id)
                    )
                return
            db.execute(
                "UPDATE batches SET state = 'anchored', block_number = ?, anchored_at = ?"
                " WHERE id = ?",
                (block_number, anchored_at, batch_id),
            )
            db.execute("UPDATE credentials SET state = 'anchored' WHERE batch_id = ?", (batch_id,))

    # recovery

    def recover(self, chain: AnchorChain) -> RecoveryReport:
        """Reconcile unfinished batches with the chain; call after every (re)start.

        For each sealed or submitted batch: if its root is anchored on chain, mark it anchored;
        else if a signed transaction is stored, re-send exactly that transaction (if the node
        says its nonce is spent and the root is still not anchored, the batch goes back to
        sealed to be signed anew); else leave it sealed for the normal path. Idempotent: call it
        again after waiting to pick up re-sent transactions once mined."""
        anchored: list[int] = []
        rebroadcast: list[int] = []
        resealed: list[int] = []
        sealed: list[int] = []
        for b in self.unanchored_batches():
            inclusion = chain.anchor_of(b.root, single=b.single)
            if inclusion is not None:
                self.mark_anchored(b.id, inclusion.block_number, inclusion.anchored_at)
                anchored.append(b.id)
            elif b.state == "submitted" and b.raw_tx is not None:
                if chain.broadcast_raw(b.raw_tx) is BroadcastOutcome.SENT:
                    rebroadcast.append(b.id)
                    continue
                late = chain.anchor_of(b.root, single=b.single)  # mined in between?
                if late is not None:
                    self.mark_anchored(b.id, late.block_number, late.anchored_at)
                    anchored.append(b.id)
                else:
                    self.abandon_submission(b.id)
                    resealed.append(b.id)
            else:
                sealed.append(b.id)
        return RecoveryReport(tuple(anchored), tuple(rebroadcast), tuple(resealed), tuple(sealed))

    # reading

    def deliverable(self, credential_id: str) -> DeliveredCredential:
        """The credential and its anchor proof. Raises `CredentialNotYetAnchored` unless its
        batch's anchor is mined, `CredentialNotFound` if the id is unknown."""
        row = self._conn.execute(_DELIVERABLE_SQL + " WHERE c.id = ?", (credential_id,)).fetchone()
        if row is None:
            raise CredentialNotFound(f"no credential {credential_id!r} in the outbox")
        return _delivered(row)

    def deliverables(self, batch_id: int) -> tuple[DeliveredCredential, ...]:
        """Every credential of an anchored batch, in leaf order."""
        b = self.batch(batch_id)
        if b.state != "anchored":
            raise CredentialNotYetAnchored(f"batch {batch_id} is {b.state}, not anchored")
        rows = self._conn.execute(
            _DELIVERABLE_SQL + " WHERE c.batch_id = ? ORDER BY c.leaf_index", (batch_id,)
        ).fetchall()
        return tuple(_delivered(r) for r in rows)

    def batch(self, batch_id: int) -> BatchRecord:
        """One batch; raises `BatchNotFound`."""
        return self._batch(self._conn, batch_id)

    def unanchored_batches(self) -> tuple[BatchRecord, ...]:
        """Sealed and submitted batches, oldest first."""
        rows = self._conn.execute(_BATCH_SQL + " WHERE state != 'anchored' ORDER BY id").fetchall()
        return tuple(_batch_record(r) for r in rows)

    def batch_members(self, batch_id: int) -> tuple[bytes, ...]:
        """The credential digests of a batch, in leaf order."""
        rows = self._conn.execute(
            "SELECT digest FROM credentials WHERE batch_id = ? ORDER BY leaf_index", (batch_id,)
        ).fetchall()
        return tuple(bytes(r[0]) for r in rows)

    def pending_count(self, type_id: int | None = None) -> int:
        """Credentials not yet in a batch (of one type, or all)."""
        if type_id is None:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM credentials WHERE state = 'pending'"
            ).fetchone()
        else:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM credentials WHERE state = 'pending' AND type_id = ?",
                (type_id,),
            ).fetchone()
        return int(row[0])

    def pending_types(self) -> tuple[int, ...]:
        """Type ids that have pending credentials."""
        rows = self._conn.execute(
            "SELECT DISTINCT type_id FROM credentials WHERE state = 'pending' ORDER BY type_id"
        ).fetchall()
        return tuple(int(r[0]) for r in rows)

    def stats(self) -> OutboxStats:
        """Counts of credentials and batches by state."""
        db = self._conn
        c = dict(db.execute("SELECT state, COUNT(*) FROM credentials GROUP BY state").fetchall())
        b = dict(db.execute("SELECT state, COUNT(*) FROM batches GROUP BY state").fetchall())
        return OutboxStats(
            pending=c.get("pending", 0),
            batched=c.get("batched", 0),
            anchored=c.get("anchored", 0),
            batches_sealed=b.get("sealed", 0),
            batches_submitted=b.get("submitted", 0),
            batches_anchored=b.get("anchored", 0),
        )

    @staticmethod
    def _batch(db: sqlite3.Connection, batch_id: int) -> BatchRecord:
        row = db.execute(_BATCH_SQL + " WHERE id = ?", (batch_id,)).fetchone()
        if row is None:
            raise BatchNotFound(f"no batch {batch_id} in the outbox")
        return _batch_record(row)


# --- internals -------------------------------------------------------------------------------

_BATCH_SQL = (
    "SELECT id, root, type_id, count, state, raw_tx, tx_hash, nonce, block_number,"
    " anchored_at, created_at, single FROM batches"
)
_DELIVERABLE_SQL = (
    "SELECT c.id, c.compact, c.digest, c.type_id, c.list_id, c.status_idx, c.holder_ref,"
    " c.state, c.leaf_index, c.proof, b.id, b.root, b.state, b.block_number, b.anchored_at,"
    " b.tx_hash, b.single FROM credentials c LEFT JOIN batches b ON b.id = c.batch_id"
)


_CREDENTIAL_COLUMNS = "id, digest, type_id, list_id, status_idx, compact, holder_ref"


def _credential_values(c: PendingCredential) -> tuple[Any, ...]:
    """The values of `_CREDENTIAL_COLUMNS`."""
    return (c.id, c.digest, c.type_id, c.list_id, c.status_idx, c.compact, c.holder_ref)


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def _batch_record(r: Sequence[Any]) -> BatchRecord:
    return BatchRecord(
        id=int(r[0]),
        root=bytes(r[1]),
        type_id=int(r[2]),
        count=int(r[3]),
        state=str(r[4]),
        raw_tx=None if r[5] is None else bytes(r[5]),
        tx_hash=r[6],
        nonce=r[7],
        block_number=r[8],
        anchored_at=r[9],
        created_at=int(r[10]),
        single=bool(r[11]),
    )


def _delivered(r: Sequence[Any]) -> DeliveredCredential:
    cid = str(r[0])
    if r[10] is None or r[12] != "anchored" or r[7] != "anchored":
        state = "pending" if r[10] is None else f"in batch {r[10]} ({r[12]})"
        raise CredentialNotYetAnchored(f"credential {cid!r} is not anchored yet: {state}")
    proof_blob = bytes(r[9] or b"")
    proof = tuple(proof_blob[i : i + 32] for i in range(0, len(proof_blob), 32))
    return DeliveredCredential(
        credential_id=cid,
        compact=str(r[1]),
        digest=bytes(r[2]),
        type_id=int(r[3]),
        list_id=int(r[4]),
        status_idx=int(r[5]),
        holder_ref=str(r[6]),
        anchor=AnchorProof(
            root=bytes(r[11]),
            proof=proof,
            leaf_index=int(r[8]),
            block_number=None if r[13] is None else int(r[13]),
            anchored_at=int(r[14]),
            batch_id=int(r[10]),
            tx_hash=r[15],
            single=bool(r[16]),
        ),
    )
