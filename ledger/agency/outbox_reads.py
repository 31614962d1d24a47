"""The read side of the issuance outbox: deliverables, batches, counts, held credentials.

`OutboxReader` holds the queries (and the decoding of rows into the records of
`ledger.agency.outbox_records`); `ledger.agency.outbox.Outbox` extends it with the state
transitions, so every read here sees the states those transitions enforce. `held_count_in` reads
an outbox file without opening it as a store (for `ledger status`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ledger.agency._sqlite import SQLiteStore
from ledger.agency.outbox_records import (
    AnchorProof,
    BatchRecord,
    DeliveredCredential,
    HeldCredential,
    OutboxStats,
)
from ledger.errors import (
    BatchNotFound,
    CredentialDiscarded,
    CredentialHeld,
    CredentialNotFound,
    CredentialNotYetAnchored,
)

__all__ = ["OutboxReader", "held_count_in"]


class OutboxReader(SQLiteStore):
    """The queries of the issuance outbox over its open connection (see `Outbox`)."""

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
