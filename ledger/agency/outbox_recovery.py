"""Recovery of the issuance outbox: reconcile its batches with the chain after a (re)start.

`recover` re-checks every anchor the outbox recorded, marks batches whose root turned up on chain,
and re-sends or re-seals the stored anchor transactions, all through the state transitions of
`ledger.agency.outbox.Outbox` (which calls it as `Outbox.recover`); the guarantees it keeps are
stated at the top of that module.
"""

from __future__ import annotations

from typing import Protocol

from ledger.agency.outbox_records import (
    AnchorChain,
    AnchorInclusion,
    BatchRecord,
    BroadcastOutcome,
    RecoveryReport,
)

__all__ = ["RecoverableOutbox", "recover"]


class RecoverableOutbox(Protocol):
    """The reads and state transitions of `ledger.agency.outbox.Outbox` that recovery uses
    (so this module does not import the outbox that calls it)."""

    def unanchored_batches(self) -> tuple[BatchRecord, ...]: ...

    def mined_batches(self) -> tuple[BatchRecord, ...]: ...

    def recorded_anchors(self) -> tuple[BatchRecord, ...]: ...

    def abandon_submission(self, batch_id: int) -> None: ...

    def mark_mined(
        self, batch_id: int, block_number: int, block_hash: str | None, anchored_at: int
    ) -> None: ...

    def mark_anchored(
        self,
        batch_id: int,
        block_number: int | None,
        anchored_at: int,
        *,
        block_hash: str | None = None,
    ) -> None: ...

    def mark_vanished(self, batch_id: int, *, resend: bool) -> None: ...

    def relocate(
        self, batch_id: int, block_number: int, block_hash: str | None, anchored_at: int
    ) -> None: ...


def recover(outbox: RecoverableOutbox, chain: AnchorChain) -> RecoveryReport:
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
    vanished = [b.id for b in _vanished_anchors(outbox, chain)]
    to_send: list[BatchRecord] = []
    for b in outbox.unanchored_batches():
        inclusion = chain.anchor_of(b.root, single=b.single)
        if inclusion is not None:
            _mark_found(outbox, b.id, inclusion)
            (anchored if inclusion.confirmed else mined).append(b.id)
        elif b.state == "submitted" and b.raw_tx is not None:
            to_send.append(b)
        else:
            sealed.append(b.id)
    expected = chain.next_nonce() if to_send else 0
    for b in sorted(to_send, key=lambda r: (r.nonce is None, r.nonce or 0, r.id)):
        if b.nonce is not None and b.nonce > expected:  # behind a gap: never mined as is
            outbox.abandon_submission(b.id)
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
            _mark_found(outbox, b.id, late)
            (anchored if late.confirmed else mined).append(b.id)
        else:
            outbox.abandon_submission(b.id)
            resealed.append(b.id)
    mined.extend(b.id for b in outbox.mined_batches() if b.id not in mined)
    return RecoveryReport(
        tuple(anchored),
        tuple(rebroadcast),
        tuple(resealed),
        tuple(sealed),
        tuple(vanished),
        tuple(sorted(mined)),
    )


def _mark_found(outbox: RecoverableOutbox, batch_id: int, inclusion: AnchorInclusion) -> None:
    if inclusion.confirmed or inclusion.block_number is None:
        outbox.mark_anchored(
            batch_id,
            inclusion.block_number,
            inclusion.anchored_at,
            block_hash=inclusion.block_hash,
        )
    else:
        outbox.mark_mined(
            batch_id, inclusion.block_number, inclusion.block_hash, inclusion.anchored_at
        )


def _vanished_anchors(outbox: RecoverableOutbox, chain: AnchorChain) -> list[BatchRecord]:
    """Step 1 of `recover`: re-check recorded anchors; those gone from the chain are moved
    back (to submitted, their stored transaction kept for step 3, else to sealed)."""
    recorded = outbox.recorded_anchors()
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
            outbox.mark_vanished(b.id, resend=b.raw_tx is not None)
            gone.append(b)
        elif b.block_hash is None and b.block_number is not None:
            # Recorded before schema 3: learn its block hash, so that the next recover
            # checks it with the batched call alone.
            found = hashes.get(b.block_number)
            if inclusion.block_number == b.block_number and found is not None:
                outbox.relocate(b.id, b.block_number, found, b.anchored_at or 0)
        elif inclusion.block_number is not None:
            # Re-mined in another block after a reorganisation: still there; record where.
            outbox.relocate(
                b.id, inclusion.block_number, inclusion.block_hash, inclusion.anchored_at
            )
    return gone
