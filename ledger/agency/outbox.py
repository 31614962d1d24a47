"""Durable issuance outbox: credentials wait here until their batch root is mined and final.

An issuing agency signs many credentials and anchors them in batches, one Merkle root per
batch. The outbox (one SQLite file on the issuer's own disk) guarantees:

* a credential issued but not yet anchored survives a crash or a devnet restart;
* each credential lands in exactly one batch, sealed in one transaction with its root, leaf
  position and inclusion proof;
* the signed anchor transaction is recorded *before* it is broadcast (write-ahead), so after a
  crash the very same transaction (same nonce, same hash) is re-sent instead of a new one, and
  a batch is anchored at most once (the contract also rejects a duplicate root);
* a credential is handed out (`deliverable`) only once its batch's anchor is mined *and
  confirmed* (the chain has given it the confirmations the issuer asks for, and, on a devnet,
  its state is on disk): a batch goes sealed -> submitted -> mined -> anchored, and only
  `anchored` is delivered;
* an anchor that vanished from the chain (a reorganisation, a devnet killed before it saved its
  state) is noticed by `recover`, which re-checks every anchor it recorded (block hash at its
  block number, else the AnchorRegistry record): the batch goes back to `submitted` with its
  stored transaction re-sent when that transaction's nonce is the account's next one, else to
  `sealed` to be signed anew. Root, membership and proofs stay, so a credential already handed
  out becomes valid again once the same root is re-anchored (`rollbacks` counts this);
* a credential signed, or whose anchor was attempted, while the agency was suspended is `held`:
  never sealed nor anchored until an operator releases it (`release_held`, back to pending) or
  discards it (`discard_held`, kept as a record, never anchored).

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
    broadcast(raw); block, block_hash, ts = wait_receipt(tx_hash)
    outbox.mark_mined(batch.id, block, block_hash, ts)
    wait_confirmations(block)                          # and persist the devnet's state
    outbox.mark_anchored(batch.id, block, ts, block_hash=block_hash)
    outbox.deliverable(credential_id)                  # compact SD-JWT + anchor proof

and after any restart, ``outbox.recover(chain)`` before anything else.

The records and the chain interface are in `ledger.agency.outbox_records`, the schema and the
rebuild of older files in `ledger.agency.outbox_schema`, the queries in
`ledger.agency.outbox_reads`, the reconciliation with the chain in `ledger.agency.outbox_recovery`;
this module is the state machine. It stays near 500 lines (most of them this statement of the
guarantees and the docstrings of each transition) because every transition of a batch and of its
credentials is here, each in one transaction, so the states can be checked against one another.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ledger.agency._sqlite import connect, transaction
from ledger.agency.outbox_reads import OutboxReader, held_count_in
from ledger.agency.outbox_records import (
    AnchorChain,
    AnchorInclusion,
    AnchorProof,
    BatchRecord,
    BroadcastOutcome,
    DeliveredCredential,
    HeldCredential,
    OutboxStats,
    PendingCredential,
    RecoveryReport,
    SealedBatch,
)
from ledger.agency.outbox_recovery import recover
from ledger.agency.outbox_schema import SCHEMA, SCHEMA_VERSION, rebuild_from
from ledger.chain.merkle import MerkleTree, leaf_hash
from ledger.errors import (
    BatchStateError,
    DuplicateCredential,
    OutboxError,
    OutboxSchemaMismatch,
)

__all__ = [
    "SCHEMA_VERSION",
    "AnchorChain",
    "AnchorInclusion",
    "AnchorProof",
    "BatchRecord",
    "BroadcastOutcome",
    "DeliveredCredential",
    "HeldCredential",
    "Outbox",
    "OutboxStats",
    "PendingCredential",
    "RecoveryReport",
    "SealedBatch",
    "held_count_in",
]


# --- the outbox ------------------------------------------------------------------------------


class Outbox(OutboxReader):
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
        for statement in SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        row = db.execute("SELECT value FROM outbox_meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            db.execute(
                "INSERT INTO outbox_meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        elif row[0] in ("1", "2"):  # 2 added single anchors, 3 confirmations and held credentials
            rebuild_from(db, int(row[0]))
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

    def enqueue(
        self, credential: PendingCredential, *, now: int | None = None, held: bool = False
    ) -> None:
        """Store an issued credential as pending (or `held`: signed while the agency was
        suspended). Raises `DuplicateCredential` if its id, digest or status index is already
        in the outbox."""
        self.enqueue_many((credential,), now=now, held=held)

    def enqueue_many(
        self,
        credentials: Sequence[PendingCredential],
        *,
        now: int | None = None,
        held: bool = False,
    ) -> None:
        """Store several issued credentials as pending (or `held`) in one transaction (one
        fsync): all or none. Raises `DuplicateCredential` if any id, digest or status index is
        taken."""
        t = _now(now)
        state, held_at = ("held", t) if held else ("pending", None)
        with self._inserting(credentials) as db:
            db.executemany(
                f"INSERT INTO credentials({_CREDENTIAL_COLUMNS}, state, created_at, held_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*_credential_values(c), state, t, held_at) for c in credentials],
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

    def mark_mined(
        self, batch_id: int, block_number: int, block_hash: str | None, anchored_at: int
    ) -> None:
        """Record that the batch's anchor is mined in block `block_number` (hash `block_hash`)
        but not yet confirmed: its credentials are still not deliverable (`mark_anchored` once
        it has its confirmations). From sealed or submitted; on a mined batch it moves the
        record to the block given (the anchor was re-mined elsewhere after a reorganisation).
        An anchored batch raises `BatchStateError`."""
        with self._write() as db:
            b = self._batch(db, batch_id)
            if b.state == "anchored":
                raise BatchStateError(f"batch {batch_id} is already anchored")
            db.execute(
                "UPDATE batches SET state = 'mined', block_number = ?, block_hash = ?,"
                " anchored_at = ? WHERE id = ?",
                (block_number, block_hash, anchored_at, batch_id),
            )

    def mark_anchored(
        self,
        batch_id: int,
        block_number: int | None,
        anchored_at: int,
        *,
        block_hash: str | None = None,
    ) -> None:
        """Record that the batch root is mined and confirmed (normally from the mined state;
        from submitted or sealed when the chain says the inclusion is final); its credentials
        become deliverable.

        Idempotent for the same anchor; a missing block number or hash may be filled in later.
        A different ``anchored_at``, block number or hash raises `BatchStateError`."""
        with self._write() as db:
            b = self._batch(db, batch_id)
            if b.state == "anchored":
                same_block = None in (b.block_number, block_number) or (
                    b.block_number == block_number
                )
                same_hash = None in (b.block_hash, block_hash) or b.block_hash == block_hash
                if b.anchored_at != anchored_at or not same_block or not same_hash:
                    raise BatchStateError(
                        f"batch {batch_id} is already anchored at {b.anchored_at}"
                        f" (block {b.block_number})"
                    )
                db.execute(
                    "UPDATE batches SET block_number = coalesce(block_number, ?),"
                    " block_hash = coalesce(block_hash, ?) WHERE id = ?",
                    (block_number, block_hash, batch_id),
                )
                return
            if b.state == "mined":
                block_number = b.block_number if block_number is None else block_number
                block_hash = b.block_hash if block_hash is None else block_hash
            db.execute(
                "UPDATE batches SET state = 'anchored', block_number = ?, block_hash = ?,"
                " anchored_at = ? WHERE id = ?",
                (block_number, block_hash, anchored_at, batch_id),
            )
            db.execute("UPDATE credentials SET state = 'anchored' WHERE batch_id = ?", (batch_id,))

    def mark_vanished(self, batch_id: int, *, resend: bool) -> None:
        """Record that the mined or anchored anchor of the batch is no longer on the chain (a
        reorganisation, a devnet restarted from older state). With `resend` the batch goes back
        to `submitted`, keeping its stored transaction (the caller has re-sent it); without, to
        `sealed`, forgetting it (its nonce is taken or out of reach: sign anew). Its credentials
        are no longer deliverable until it is anchored again; `rollbacks` counts this.

        Warning: only call it once the chain shows neither the block nor the anchor record."""
        with self._write() as db:
            b = self._batch(db, batch_id)
            if b.state not in ("mined", "anchored"):
                raise BatchStateError(f"batch {batch_id} is {b.state}, not mined or anchored")
            if resend and b.raw_tx is None:
                raise BatchStateError(f"batch {batch_id} has no stored transaction to re-send")
            if resend:
                db.execute(
                    "UPDATE batches SET state = 'submitted', block_number = NULL,"
                    " block_hash = NULL, anchored_at = NULL, rollbacks = rollbacks + 1"
                    " WHERE id = ?",
                    (batch_id,),
                )
            else:
                db.execute(
                    "UPDATE batches SET state = 'sealed', raw_tx = NULL, tx_hash = NULL,"
                    " nonce = NULL, submitted_at = NULL, block_number = NULL, block_hash = NULL,"
                    " anchored_at = NULL, rollbacks = rollbacks + 1 WHERE id = ?",
                    (batch_id,),
                )
            db.execute("UPDATE credentials SET state = 'batched' WHERE batch_id = ?", (batch_id,))

    # held credentials

    def hold_unsubmitted(self, *, now: int | None = None) -> int:
        """Hold every credential not yet on its way to the chain (the agency is suspended):
        pending ones, and the members of sealed batches, whose batches are dissolved (nothing
        was signed for them, no proof was handed out). Returns how many were held."""
        t = _now(now)
        with self._write() as db:
            sealed = [
                int(r[0]) for r in db.execute("SELECT id FROM batches WHERE state = 'sealed'")
            ]
            for batch_id in sealed:
                db.execute(
                    "UPDATE credentials SET state = 'pending', batch_id = NULL, leaf_index = NULL,"
                    " proof = NULL WHERE batch_id = ?",
                    (batch_id,),
                )
                db.execute("DELETE FROM batches WHERE id = ?", (batch_id,))
            cur = db.execute(
                "UPDATE credentials SET state = 'held', held_at = ? WHERE state = 'pending'", (t,)
            )
            return int(cur.rowcount)

    def release_held(self, credential_ids: Sequence[str] | None = None) -> int:
        """An operator's decision to anchor held credentials (all, or those named): they become
        pending, for the next `seal_batch`. Returns how many; a named id that is not held
        raises `OutboxError` and releases none."""
        return self._decide_held(credential_ids, "pending")

    def discard_held(self, credential_ids: Sequence[str] | None = None) -> int:
        """An operator's decision never to anchor held credentials (all, or those named): they
        stay in the outbox as `discarded` (their status indexes stay taken), are never anchored
        and never handed out. Returns how many; a named id that is not held raises
        `OutboxError` and discards none."""
        return self._decide_held(credential_ids, "discarded")

    def _decide_held(self, credential_ids: Sequence[str] | None, state: str) -> int:
        with self._write() as db:
            if credential_ids is None:
                ids = [
                    str(r[0]) for r in db.execute("SELECT id FROM credentials WHERE state = 'held'")
                ]
            else:
                ids = list(dict.fromkeys(credential_ids))
                for cid in ids:
                    row = db.execute("SELECT state FROM credentials WHERE id = ?", (cid,))
                    found = row.fetchone()
                    if found is None or found[0] != "held":
                        what = "not in the outbox" if found is None else found[0]
                        raise OutboxError(f"credential {cid!r} is not held ({what})")
            held_at_kept = "held_at" if state == "discarded" else "NULL"
            db.executemany(
                f"UPDATE credentials SET state = ?, held_at = {held_at_kept}"
                " WHERE id = ? AND state = 'held'",
                [(state, cid) for cid in ids],
            )
        return len(ids)

    def relocate(
        self, batch_id: int, block_number: int, block_hash: str | None, anchored_at: int
    ) -> None:
        """Record where a recorded anchor is on chain now (its state does not change): `recover`
        found it re-mined in another block, or learnt the hash of its block."""
        with self._write() as db:
            db.execute(
                "UPDATE batches SET block_number = ?, block_hash = ?, anchored_at = ? WHERE id = ?",
                (block_number, block_hash, anchored_at, batch_id),
            )

    # recovery

    def recover(self, chain: AnchorChain) -> RecoveryReport:
        """Reconcile the outbox with the chain; call after every (re)start. The steps are those
        of `ledger.agency.outbox_recovery.recover`; idempotent."""
        return recover(self, chain)


# --- internals -------------------------------------------------------------------------------

_CREDENTIAL_COLUMNS = "id, digest, type_id, list_id, status_idx, compact, holder_ref"


def _credential_values(c: PendingCredential) -> tuple[Any, ...]:
    """The values of `_CREDENTIAL_COLUMNS`."""
    return (c.id, c.digest, c.type_id, c.list_id, c.status_idx, c.compact, c.holder_ref)


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now
