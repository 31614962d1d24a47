"""Anchoring a source's access receipts on chain, in batches: crash-safe and never twice.

A source's receipts wait in its store (`ExchangeStore.unbatched_receipts`). `anchor_receipts`
seals them into batches numbered 1, 2, 3 ... and anchors each batch's root and count in the
`ReceiptRegistry` (`LedgerChain.receipts`), one transaction per batch (~80k gas, whatever its
size; `scripts/bench_gas.py`).

Each receipt's slot in batch b is keyed by its subject's pseudonym for b, computed from the
receipt's stored ``subject_key`` (agreed with `ledger.exchange.source`, which fills it):

    subject_key = Z, the P-256 ECDH secret between the source's log key and the subject's holder
                  key, when the source knows her holder key (then she computes Z herself), else
                  K = HMAC-SHA256(the source's pseudonym secret, tag || subject_id)
                  (32 bytes either way; only the source can compute K: the documented limit);
    pseudonym_b = SHA-256("ledger.exchange.pseudonym.v1" || subject_key || b as 8 bytes)
                  (`ledger.exchange.pseudonym.pseudonym_from_shared_secret`).

So the sealed batch (`ledger.exchange.access_log.build_batch`) is a pure function of the
batch's receipts (their leaves, recomputed from their stored encodings, and subject keys) and
its number: `seal_batch` rebuilds it, byte
for byte, from the store at any time (for a citizen's proof, or to re-send it).

Guarantees (the outbox's, for batches):

1. **Recorded before sent.** A batch's number and its receipts' leaves are committed to the
   store (`assign_batch`, all or nothing) BEFORE its anchor transaction is sent. A crash leaves
   at worst a recorded batch that is not on chain yet.
2. **Caught up on the next run.** Every run first compares the store's last batch number with
   the chain's count for this source (`batchCount`) and re-sends the recorded batches the
   chain lacks, in order, rebuilt from the store, before sealing new ones.
3. **Never anchored twice.** The anchor transaction states the batch number the store
   recorded, and the contract accepts only the source's next number
   (`ReceiptRegistryUnexpectedBatchNo` otherwise). A batch whose first transaction was still
   pending when it was re-sent is anchored by whichever lands first; the other reverts, and the
   batch is then found on chain: its root and count must equal the rebuilt batch's.
4. **Divergence stops everything.** If the chain holds more batches than the store, or a batch
   with another root or count than the store's, or the store holds another source's receipts
   (or a receipt stored with another leaf than its own), nothing is sent:
   `ReceiptAnchorDiverged` (a store restored from an old backup, two stores anchoring as one
   agency, or one store anchored as another agency).

One process anchors for a source at a time (the CLI command, or a timer); two at once are safe
on chain (guarantee 3) but may both seal the same receipts: the store refuses the second
`assign_batch` (`ReceiptAlreadyBatched`), so run one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ledger.chain.records import ReceiptBatchInfo
from ledger.chain.sender import Receipt
from ledger.errors import (
    ReceiptAnchorDiverged,
    ReceiptBatchSizeInvalid,
    ReceiptRegistryUnexpectedBatchNo,
    ReceiptSubjectKeyInvalid,
)
from ledger.exchange.access_log import ReceiptBatch, build_batch
from ledger.exchange.pseudonym import pseudonym_from_shared_secret
from ledger.exchange.receipts import AccessReceipt
from ledger.exchange.store import ExchangeStore, ReceiptRow

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "MAX_BATCH_SIZE",
    "AnchorRun",
    "AnchoredBatch",
    "ReceiptAnchorChain",
    "anchor_receipts",
    "seal_batch",
]

#: Receipts per batch unless told otherwise (the gas target is set at this size).
DEFAULT_BATCH_SIZE = 10_000
#: The most receipts one batch may hold (the contract's count is a uint32).
MAX_BATCH_SIZE = 2**32 - 1


class _ReceiptRegistryClient(Protocol):
    def anchor(self, batch_no: int, root: bytes, count: int) -> Receipt: ...

    def batch_count(self, source: str) -> int: ...

    def batch_of(self, source: str, batch_no: int) -> ReceiptBatchInfo | None: ...


class ReceiptAnchorChain(Protocol):
    """What anchoring needs of a `LedgerChain`: the signing agency and its ReceiptRegistry."""

    @property
    def address(self) -> str: ...

    @property
    def receipts(self) -> _ReceiptRegistryClient: ...


@dataclass(frozen=True)
class AnchoredBatch:
    """A batch this run saw anchored: sent by it (`tx_hash` set) or found on chain after a
    retry (`tx_hash` None)."""

    batch_no: int
    root: bytes
    count: int
    resent: bool
    """A batch recorded by an earlier run (that crashed or failed before it was anchored)."""
    tx_hash: str | None
    block_number: int | None


@dataclass(frozen=True)
class AnchorRun:
    """What one `anchor_receipts` run did."""

    source: str
    batches: tuple[AnchoredBatch, ...]
    last_batch_no: int
    """The source's last anchored batch number after the run (= the store's)."""

    @property
    def receipts(self) -> int:
        """How many receipts this run anchored."""
        return sum(b.count for b in self.batches)


def _entries(rows: list[ReceiptRow], batch_no: int, source: str) -> list[tuple[bytes, bytes]]:
    """(pseudonym for `batch_no`, leaf) of each row, after checking that the row is a receipt
    of `source` whose stored leaf is its own."""
    entries = []
    for row in rows:
        key = row.subject_key
        if key is None or len(key) != 32:
            raise ReceiptSubjectKeyInvalid(
                f"receipt {row.receipt_id!r} has no 32-byte subject key: its pseudonym cannot "
                "be computed (see ledger.exchange.anchoring)"
            )
        receipt = AccessReceipt.decode(row.body)
        if receipt.source.lower() != source.lower():
            raise _diverged(batch_no, f"receipt {row.receipt_id!r} is another source's")
        if row.leaf is not None and row.leaf != receipt.leaf:
            raise _diverged(batch_no, f"receipt {row.receipt_id!r} is stored with another leaf")
        entries.append((pseudonym_from_shared_secret(key, batch_no), receipt.leaf))
    return entries


def seal_batch(store: ExchangeStore, batch_no: int, source: str) -> ReceiptBatch:
    """Rebuild recorded batch `batch_no` of `source` from the store: the same root and proofs
    as when it was sealed (the batch is a pure function of its receipts and number). Raises
    `ReceiptSubjectKeyInvalid` for a receipt without its subject key, `ReceiptAnchorDiverged`
    for another source's receipt."""
    rows = store.receipts_in_batch(batch_no)
    return build_batch(batch_no, _entries(rows, batch_no, source))


def _diverged(batch_no: int, what: str) -> ReceiptAnchorDiverged:
    return ReceiptAnchorDiverged(
        f"batch {batch_no}: {what}; nothing was sent (restore the store that anchored these "
        "batches; never anchor from a copy of it)"
    )


def _send(chain: ReceiptAnchorChain, batch: ReceiptBatch, *, resent: bool) -> AnchoredBatch:
    """Anchor `batch` under its recorded number, or find it on chain if it already landed."""
    try:
        receipt = chain.receipts.anchor(batch.batch_no, batch.root, batch.count)
    except ReceiptRegistryUnexpectedBatchNo:
        receipt = None  # refused: another send of this batch may have landed first
    if receipt is not None:
        return AnchoredBatch(
            batch.batch_no, batch.root, batch.count, resent, receipt.tx_hash, receipt.block_number
        )
    found = chain.receipts.batch_of(chain.address, batch.batch_no)
    if found is None:
        raise _diverged(batch.batch_no, "the chain refused its number but does not hold it")
    if (found.root, found.count) != (batch.root, batch.count):
        raise _diverged(batch.batch_no, "the chain holds it with another root or count")
    return AnchoredBatch(batch.batch_no, batch.root, batch.count, True, None, None)


def anchor_receipts(
    store: ExchangeStore,
    chain: ReceiptAnchorChain,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
    before_send: Callable[[ReceiptBatch], None] | None = None,
) -> AnchorRun:
    """Anchor the store's receipts as the source `chain` signs for (see the module docstring).

    First re-sends the batches recorded but not on chain; then seals the unbatched receipts
    into batches of at most `batch_size` (oldest first) and anchors each, at most `max_batches`
    new batches per run (None: until none is left). `before_send` is called with each batch
    after it is recorded and before it is sent (a progress hook; tests crash there).

    Raises `ReceiptAnchorDiverged` (store and chain disagree; nothing sent),
    `ReceiptSubjectKeyInvalid`, or the chain's errors (`ReceiptRegistryAgencyNotActive`, an
    unreachable node: rerun; what was recorded is sent then).
    """
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ReceiptBatchSizeInvalid(f"a batch holds 1 to {MAX_BATCH_SIZE} receipts")
    source = chain.address
    recorded = store.last_batch_no()
    on_chain = chain.receipts.batch_count(source)
    if on_chain > recorded:
        raise _diverged(
            on_chain, f"the chain holds {on_chain} batches of this source, the store {recorded}"
        )
    done: list[AnchoredBatch] = []
    # 1. The recorded batches the chain lacks (an earlier run crashed or failed), in order.
    for batch_no in range(on_chain + 1, recorded + 1):
        batch = seal_batch(store, batch_no, source)
        if before_send is not None:
            before_send(batch)
        done.append(_send(chain, batch, resent=True))
    # 2. New batches: recorded (committed) first, then sent.
    sealed = 0
    while max_batches is None or sealed < max_batches:
        rows = store.unbatched_receipts(limit=batch_size)
        if not rows:
            break
        batch_no = recorded + 1
        entries = _entries(rows, batch_no, source)
        leaves = {row.receipt_id: leaf for row, (_, leaf) in zip(rows, entries, strict=True)}
        batch = build_batch(batch_no, entries)
        store.assign_batch(batch_no, [row.receipt_id for row in rows], leaves=leaves)
        recorded = batch_no
        sealed += 1
        if before_send is not None:
            before_send(batch)
        done.append(_send(chain, batch, resent=False))
    return AnchorRun(source=source, batches=tuple(done), last_batch_no=recorded)
