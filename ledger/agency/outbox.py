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
rebuild of older files in `ledger.agency.outbox_schema`; this module is the state machine.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ledger.agency._sqlite import SQLiteStore, connect, transaction
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
from ledger.agency.outbox_schema import SCHEMA, SCHEMA_VERSION, rebuild_from
from ledger.chain.merkle import MerkleTree, leaf_hash
from ledger.errors import (
    BatchNotFound,
    BatchStateError,
    CredentialDiscarded,
    CredentialHeld,
    CredentialNotFound,
    CredentialNotYetAnchored,
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

    def held(self) -> tuple[HeldCredential, ...]:
        """The held credentials, oldest first."""
        rows = self._conn.execute(
            "SELECT id, type_id, list_id, status_idx, holder_ref, created_at, held_at"
            " FROM credentials WHERE state = 'held' ORDER BY created_at, rowid"
        ).fetchall()
        return tuple(
            HeldCredential(
                str(r[0]), int(r[1]), int(r[2]), int(r[3]), str(r[4]), int(r[5]), int(r[6])
            )
            for r in rows
        )

    def held_count(self) -> int:
        """How many credentials are held."""
        row = self._conn.execute("SELECT COUNT(*) FROM credentials WHERE state = 'held'")
        return int(row.fetchone()[0])

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

    # recovery

    def recover(self, chain: AnchorChain) -> RecoveryReport:
        """Reconcile the outbox with the chain; call after every (re)start.

        1. Every anchor recorded as mined or anchored is re-checked: the block at its number
           must still have the stored hash (one batched call for all), else the AnchorRegistry
           must still hold the record. One that vanished goes back to be anchored again (its
           stored transaction is re-sent if that can still be mined, see 3).
        2. Each sealed or submitted batch whose root is anchored on chain is marked anchored
           (mined, when the chain does not vouch the inclusion is final: the caller confirms).
        3. Stored transactions are re-sent in nonce order: one whose nonce is the account's
           next is re-sent as is (same bytes, same hash); one below it is re-sent too (the node
           says "already known" or that its nonce is spent: then, unless its root turned up on
           chain meanwhile, the batch goes back to sealed to be signed anew); one above it would
           wait behind a gap forever, so its batch goes back to sealed.
        4. Never-submitted batches stay sealed for the normal path.

        Idempotent: call it again after waiting to pick up re-sent transactions once mined."""
        anchored: list[int] = []
        rebroadcast: list[int] = []
        resealed: list[int] = []
        sealed: list[int] = []
        mined: list[int] = []
        vanished = [b.id for b in self._vanished_anchors(chain)]
        to_send: list[BatchRecord] = []
        for b in self.unanchored_batches():
            inclusion = chain.anchor_of(b.root, single=b.single)
            if inclusion is not None:
                self._mark_found(b.id, inclusion)
                (anchored if inclusion.confirmed else mined).append(b.id)
            elif b.state == "submitted" and b.raw_tx is not None:
                to_send.append(b)
            else:
                sealed.append(b.id)
        expected = chain.next_nonce() if to_send else 0
        for b in sorted(to_send, key=lambda r: (r.nonce is None, r.nonce or 0, r.id)):
            if b.nonce is not None and b.nonce > expected:  # behind a gap: never mined as is
                self.abandon_submission(b.id)
                resealed.append(b.id)
                continue
            assert b.raw_tx is not None
            if chain.broadcast_raw(b.raw_tx) is BroadcastOutcome.SENT:
                rebroadcast.append(b.id)
                if b.nonce == expected:
                    expected += 1
                continue
            late = chain.anchor_of(b.root, single=b.single)  # mined in between?
            if late is not None:
                self._mark_found(b.id, late)
                (anchored if late.confirmed else mined).append(b.id)
            else:
                self.abandon_submission(b.id)
                resealed.append(b.id)
        mined.extend(b.id for b in self.mined_batches() if b.id not in mined)
        return RecoveryReport(
            tuple(anchored),
            tuple(rebroadcast),
            tuple(resealed),
            tuple(sealed),
            tuple(vanished),
            tuple(sorted(mined)),
        )

    def _mark_found(self, batch_id: int, inclusion: AnchorInclusion) -> None:
        if inclusion.confirmed or inclusion.block_number is None:
            self.mark_anchored(
                batch_id,
                inclusion.block_number,
                inclusion.anchored_at,
                block_hash=inclusion.block_hash,
            )
        else:
            self.mark_mined(
                batch_id, inclusion.block_number, inclusion.block_hash, inclusion.anchored_at
            )

    def _vanished_anchors(self, chain: AnchorChain) -> list[BatchRecord]:
        """Step 1 of `recover`: re-check recorded anchors; those gone from the chain are moved
        back (to submitted, their stored transaction kept for step 3, else to sealed)."""
        recorded = self.recorded_anchors()
        if not recorded:
            return []
        numbers = sorted({b.block_number for b in recorded if b.block_number is not None})
        hashes = dict(zip(numbers, chain.block_hashes(numbers), strict=True)) if numbers else {}
        gone: list[BatchRecord] = []
        for b in recorded:
            if b.block_hash is not None and hashes.get(b.block_number or -1) == b.block_hash:
                continue  # the very block is still canonical
            inclusion = chain.anchor_of(b.root, single=b.single)
            if inclusion is None:
                self.mark_vanished(b.id, resend=b.raw_tx is not None)
                gone.append(b)
            elif b.block_hash is None and b.block_number is not None:
                # Recorded before schema 3: learn its block hash, so that the next recover
                # checks it with the batched call alone.
                found = hashes.get(b.block_number)
                if inclusion.block_number == b.block_number and found is not None:
                    self._relocate(b.id, b.block_number, found, b.anchored_at or 0)
            elif inclusion.block_number is not None:
                # Re-mined in another block after a reorganisation: still there; record where.
                self._relocate(
                    b.id, inclusion.block_number, inclusion.block_hash, inclusion.anchored_at
                )
        return gone

    def _relocate(
        self, batch_id: int, block_number: int, block_hash: str | None, anchored_at: int
    ) -> None:
        """Record where a recorded anchor is on chain now (its state does not change)."""
        with self._write() as db:
            db.execute(
                "UPDATE batches SET block_number = ?, block_hash = ?, anchored_at = ? WHERE id = ?",
                (block_number, block_hash, anchored_at, batch_id),
            )

    # reading

    def deliverable(self, credential_id: str) -> DeliveredCredential:
        """The credential and its anchor proof. Raises `CredentialNotYetAnchored` unless its
        batch's anchor is mined and confirmed (`CredentialHeld`, `CredentialDiscarded` for a
        held or discarded one), `CredentialNotFound` if the id is unknown."""
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
        return self._batches("state IN ('sealed', 'submitted')")

    def mined_batches(self) -> tuple[BatchRecord, ...]:
        """Batches whose anchor is mined but not yet confirmed, oldest first."""
        return self._batches("state = 'mined'")

    def recorded_anchors(self) -> tuple[BatchRecord, ...]:
        """Batches recorded as mined or anchored (what `recover` re-checks), oldest first."""
        return self._batches("state IN ('mined', 'anchored')")

    def _batches(self, where: str) -> tuple[BatchRecord, ...]:
        rows = self._conn.execute(_BATCH_SQL + f" WHERE {where} ORDER BY id").fetchall()
        return tuple(_batch_record(r) for r in rows)

    def batch_members(self, batch_id: int) -> tuple[bytes, ...]:
        """The credential digests of a batch, in leaf order."""
        rows = self._conn.execute(
            "SELECT digest FROM credentials WHERE batch_id = ? ORDER BY leaf_index", (batch_id,)
        ).fetchall()
        return tuple(bytes(r[0]) for r in rows)

    def status_entries(self, batch_id: int) -> tuple[tuple[int, int], ...]:
        """(list id, status index) of every credential of a batch, in leaf order."""
        rows = self._conn.execute(
            "SELECT list_id, status_idx FROM credentials WHERE batch_id = ? ORDER BY leaf_index",
            (batch_id,),
        ).fetchall()
        return tuple((int(r[0]), int(r[1])) for r in rows)

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
            held=c.get("held", 0),
            discarded=c.get("discarded", 0),
            batches_mined=b.get("mined", 0),
        )

    @staticmethod
    def _batch(db: sqlite3.Connection, batch_id: int) -> BatchRecord:
        row = db.execute(_BATCH_SQL + " WHERE id = ?", (batch_id,)).fetchone()
        if row is None:
            raise BatchNotFound(f"no batch {batch_id} in the outbox")
        return _batch_record(row)


def held_count_in(path: Path) -> int:
    """How many credentials the outbox file `path` holds for an operator's decision, read
    without upgrading or creating anything (0 for a missing file or an outbox written before
    held credentials existed). For `ledger status`, which looks at every local agency."""
    if not path.is_file():
        return 0
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0
    try:
        row = db.execute("SELECT COUNT(*) FROM credentials WHERE state = 'held'").fetchone()
    except sqlite3.Error:
        return 0
    finally:
        db.close()
    return int(row[0])


# --- internals -------------------------------------------------------------------------------

_BATCH_SQL = (
    "SELECT id, root, type_id, count, state, raw_tx, tx_hash, nonce, block_number,"
    " anchored_at, created_at, single, block_hash, rollbacks FROM batches"
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
        block_hash=r[12],
        rollbacks=int(r[13]),
    )


def _delivered(r: Sequence[Any]) -> DeliveredCredential:
    cid = str(r[0])
    if r[7] == "held":
        raise CredentialHeld(
            f"credential {cid!r} is held: it was signed or anchored while its agency was"
            " suspended, and waits for an operator to anchor or discard it"
        )
    if r[7] == "discarded":
        raise CredentialDiscarded(f"credential {cid!r} was discarded: it is never anchored")
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
