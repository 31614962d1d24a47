"""Receipt batches and the citizen's check that her access log is complete and unaltered.

The source's side (`build_batch`): the receipts of one batch, each with the per-batch pseudonym
of its subject (`ledger.exchange.pseudonym`), are grouped per pseudonym into slots. A slot's
value commits to the leaf hashes of all its receipts:

    value = SHA-256(SLOT_TAG || the slot's receipt leaves, sorted, concatenated)

and a sparse Merkle tree (`ledger.exchange.smt`) maps each pseudonym to its slot's value. The
tree's root and the number of receipts are what goes on chain for the batch; nothing else.

The citizen's side (`verify_my_batch`): she computes her pseudonym for the batch herself, asks
the source for her receipts of that batch and a `SlotProof` (the SMT proof of her pseudonym,
and the leaves of her slot), and checks, against the root anchored on chain:

1. the SMT proof proves her slot's value, or its absence, under the root; the leaves hash to
   that value (else `AccessLogProofInvalid`);
2. every receipt she received has its leaf among the slot's leaves, and every leaf of the slot
   is a receipt she received. A leaf with no receipt and a receipt with no leaf mean a receipt
   was changed (`AccessLogAltered`); a leaf with no receipt alone means one was left out
   (`AccessLogIncomplete`); a receipt with no leaf alone means one was added that is not
   anchored for her (`AccessLogUnanchored`).

Why an omitted receipt is caught: the slot is keyed by a pseudonym only she and the source can
compute, so the source cannot show her an empty slot elsewhere; the proof pins the slot's value
under the anchored root, and the value pins the exact set of leaves; so the set she is given is
the set that was anchored for her. The order in which the receipts arrive carries no meaning.

`check_batch_sequence` checks that the batches the chain lists are numbered 1..N with no gap,
and `check_log_covers` that the source answered for every one of them.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger import untrusted_json
from ledger.errors import (
    AccessLogAltered,
    AccessLogGap,
    AccessLogIncomplete,
    AccessLogProofInvalid,
    AccessLogUnanchored,
    JsonRejected,
    ReceiptBatchInvalid,
    SmtProofHashInvalid,
    SmtProofInvalid,
    SmtProofMalformed,
)
from ledger.exchange.pseudonym import check_batch_no
from ledger.exchange.receipts import AccessReceipt
from ledger.exchange.smt import (
    MAX_PROOF_BYTES,
    SmtProof,
    SparseMerkleTree,
    proof_from_json,
    verify_proof,
)

__all__ = [
    "MAX_SLOT_RECEIPTS",
    "SLOT_TAG",
    "AnchoredBatch",
    "ReceiptBatch",
    "SlotProof",
    "VerifiedBatchLog",
    "build_batch",
    "check_batch_sequence",
    "check_log_covers",
    "parse_slot_proof",
    "slot_value",
    "verify_my_batch",
    "verify_receipt_anchored",
]

SLOT_TAG = b"ledger.exchange.access-log.slot.v1\x00"
#: Most receipts one subject can have in one batch that a citizen's wallet accepts a proof of.
MAX_SLOT_RECEIPTS = 65_536
_MAX_SLOT_PROOF_BYTES = MAX_PROOF_BYTES + MAX_SLOT_RECEIPTS * 67 + 1024


def slot_value(leaves: Iterable[bytes]) -> bytes:
    """SHA-256(SLOT_TAG || the 32-byte leaves sorted and concatenated). Leaves have a fixed size,
    so the concatenation is unambiguous."""
    return hashlib.sha256(SLOT_TAG + b"".join(sorted(leaves))).digest()


@dataclass(frozen=True)
class SlotProof:
    """What the source gives a citizen for her slot in one batch, beside her receipts: the SMT
    proof of her pseudonym and the leaves of her slot, sorted (empty when she has no slot)."""

    smt: SmtProof
    leaves: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON form `parse_slot_proof` reads."""
        return {"smt": self.smt.to_json(), "leaves": [leaf.hex() for leaf in self.leaves]}


def parse_slot_proof(data: bytes | str) -> SlotProof:
    """Read a `SlotProof` received from outside through the bounded parser. Raises
    `SmtProofMalformed` (or a subclass) for anything but a slot proof."""
    try:
        obj = untrusted_json.loads(data, max_bytes=_MAX_SLOT_PROOF_BYTES)
    except JsonRejected as exc:
        raise SmtProofMalformed(f"not a slot proof: {exc}") from exc
    if not isinstance(obj, dict) or set(obj) != {"smt", "leaves"}:
        raise SmtProofMalformed("a slot proof is an object with the members smt and leaves")
    leaves = obj["leaves"]
    if not isinstance(leaves, list) or len(leaves) > MAX_SLOT_RECEIPTS:
        raise SmtProofMalformed(f"leaves is an array of at most {MAX_SLOT_RECEIPTS:,} hashes")
    out = []
    for leaf in leaves:
        if not isinstance(leaf, str) or len(leaf) != 64 or leaf != leaf.lower():
            raise SmtProofHashInvalid("a leaf must be 64 lowercase hex digits")
        try:
            out.append(bytes.fromhex(leaf))
        except ValueError:
            raise SmtProofHashInvalid("a leaf must be 64 lowercase hex digits") from None
    return SlotProof(smt=proof_from_json(obj["smt"]), leaves=tuple(out))


class ReceiptBatch:
    """One sealed batch of receipts: the root and count to anchor, and each slot's proof."""

    __slots__ = ("_slots", "_tree", "batch_no", "count", "root")

    def __init__(
        self, batch_no: int, tree: SparseMerkleTree, slots: Mapping[bytes, tuple[bytes, ...]]
    ) -> None:
        self.batch_no = batch_no
        self._tree = tree
        self._slots = slots
        self.root: bytes = tree.root
        self.count: int = sum(len(leaves) for leaves in slots.values())

    @property
    def slot_count(self) -> int:
        """How many subjects have receipts in the batch (kept by the source; not anchored)."""
        return len(self._slots)

    def proof_for(self, pseudonym: bytes) -> SlotProof:
        """The proof of this pseudonym's slot: of its leaves if it has receipts in the batch,
        of its absence otherwise."""
        return SlotProof(smt=self._tree.proof(pseudonym), leaves=self._slots.get(pseudonym, ()))

    def __repr__(self) -> str:
        return f"ReceiptBatch(batch_no={self.batch_no}, count={self.count}, root={self.root.hex()})"


def build_batch(
    batch_no: int, entries: Iterable[tuple[bytes, AccessReceipt | bytes]]
) -> ReceiptBatch:
    """Seal batch `batch_no` from (pseudonym of the subject, receipt or its leaf) pairs.

    A receipt may be given as its 32-byte leaf (what a store keeps beside the encoding). Raises
    `ReceiptBatchInvalid` for a pseudonym that is not 32 bytes or the same receipt twice.
    """
    check_batch_no(batch_no)
    grouped: defaultdict[bytes, list[bytes]] = defaultdict(list)
    seen: set[bytes] = set()
    for pseudonym, receipt in entries:
        leaf = receipt if isinstance(receipt, bytes) else receipt.leaf
        if not isinstance(pseudonym, bytes) or len(pseudonym) != 32 or len(leaf) != 32:
            raise ReceiptBatchInvalid("pseudonyms and receipt leaves are 32 bytes")
        if leaf in seen:
            raise ReceiptBatchInvalid("the same receipt is in the batch twice")
        seen.add(leaf)
        grouped[pseudonym].append(leaf)
    slots = {p: tuple(sorted(leaves)) for p, leaves in grouped.items()}
    tree = SparseMerkleTree({p: slot_value(leaves) for p, leaves in slots.items()})
    return ReceiptBatch(batch_no, tree, slots)


@dataclass(frozen=True)
class VerifiedBatchLog:
    """One batch of the citizen's log, verified complete and unaltered against its root."""

    batch_no: int
    root: bytes
    pseudonym: bytes
    receipts: tuple[AccessReceipt, ...]
    """Her receipts of the batch, by time then id (empty: she has no slot in the batch)."""


def verify_my_batch(
    root: bytes,
    batch_no: int,
    my_pseudonym: bytes,
    receipts_received: Sequence[AccessReceipt],
    proof: SlotProof,
) -> VerifiedBatchLog:
    """Check the receipts a source gave the citizen for batch `batch_no` against the batch's
    anchored `root` and the source's `proof`, for the pseudonym she computed herself.

    Raises `AccessLogProofInvalid`, `AccessLogAltered`, `AccessLogIncomplete` or
    `AccessLogUnanchored` (see the module docstring); returns the verified batch.
    """
    check_batch_no(batch_no)
    # 1. The slot's value (or its absence) under the anchored root.
    leaves = proof.leaves
    if len(leaves) > MAX_SLOT_RECEIPTS or any(len(leaf) != 32 for leaf in leaves):
        raise AccessLogProofInvalid("the slot's leaves are not 32-byte hashes")
    if len(set(leaves)) != len(leaves):
        raise AccessLogProofInvalid("the slot lists a leaf twice")
    value = slot_value(leaves) if leaves else None
    try:
        verify_proof(root, my_pseudonym, value, proof.smt)
    except (SmtProofInvalid, SmtProofHashInvalid) as exc:
        raise AccessLogProofInvalid(
            f"batch {batch_no}: the proof of your slot does not verify against the anchored "
            f"root ({exc})"
        ) from exc
    # 2. The receipts received are exactly the slot's leaves.
    received = Counter(r.leaf for r in receipts_received)
    anchored = Counter(leaves)
    unmatched_received = received - anchored
    unmatched_anchored = anchored - received
    if unmatched_received and unmatched_anchored:
        raise AccessLogAltered(
            f"batch {batch_no}: {unmatched_received.total()} receipt(s) you were given differ "
            "from the ones anchored for you"
        )
    if unmatched_anchored:
        raise AccessLogIncomplete(
            f"batch {batch_no}: {unmatched_anchored.total()} receipt(s) anchored for you were "
            "not given to you"
        )
    if unmatched_received:
        raise AccessLogUnanchored(
            f"batch {batch_no}: {unmatched_received.total()} receipt(s) you were given are not "
            "anchored for you in this batch"
        )
    ordered = tuple(sorted(receipts_received, key=lambda r: (r.time, r.receipt_id)))
    return VerifiedBatchLog(batch_no=batch_no, root=root, pseudonym=my_pseudonym, receipts=ordered)


def verify_receipt_anchored(
    root: bytes, batch_no: int, pseudonym: bytes, receipt: AccessReceipt, proof: SlotProof
) -> None:
    """The requester's audit: check that a receipt it was given (by id, with the answer) is
    anchored in batch `batch_no` under `root`, in the slot `pseudonym` the source names. The
    proof shows the requester how many receipts that slot holds (salted leaves, nothing else).

    Raises `AccessLogProofInvalid` (the slot proof does not verify) or `AccessLogUnanchored`
    (the receipt is not in the slot): either way, the source dropped the receipt from its log.
    """
    check_batch_no(batch_no)
    if not proof.leaves:
        raise AccessLogUnanchored(f"batch {batch_no}: the source shows no receipts in the slot")
    try:
        verify_proof(root, pseudonym, slot_value(proof.leaves), proof.smt)
    except (SmtProofInvalid, SmtProofHashInvalid) as exc:
        raise AccessLogProofInvalid(
            f"batch {batch_no}: the slot proof does not verify against the anchored root ({exc})"
        ) from exc
    if receipt.leaf not in proof.leaves:
        raise AccessLogUnanchored(f"batch {batch_no}: the receipt is not anchored in the slot")


@dataclass(frozen=True)
class AnchoredBatch:
    """A batch as the chain lists it for one source: number, root, receipt count, block."""

    batch_no: int
    root: bytes
    count: int
    block: int | None = None


def check_batch_sequence(anchored: Sequence[AnchoredBatch]) -> int:
    """Check that the batches the chain lists for a source, in the chain's order, are numbered
    exactly 1, 2, ..., N. Returns N; raises `AccessLogGap` naming the first break (a missing
    number, a repeat, or a change of order)."""
    for expected, batch in enumerate(anchored, start=1):
        if batch.batch_no != expected:
            if batch.batch_no < expected:
                raise AccessLogGap(
                    f"batch {batch.batch_no} is listed again (or out of order) after batch "
                    f"{expected - 1}"
                )
            raise AccessLogGap(
                f"batch {expected} is missing: batch {batch.batch_no} follows batch {expected - 1}"
            )
    return len(anchored)


def check_log_covers(
    anchored: Sequence[AnchoredBatch], verified: Iterable[VerifiedBatchLog]
) -> tuple[VerifiedBatchLog, ...]:
    """Check that the source's log answers every anchored batch 1..N, each against the root the
    chain holds. Returns the verified batches in order; raises `AccessLogGap` (see
    `check_batch_sequence`), `AccessLogIncomplete` for a batch the log does not cover, or
    `AccessLogProofInvalid` for a batch verified against another root."""
    check_batch_sequence(anchored)
    by_no = {v.batch_no: v for v in verified}
    out = []
    for batch in anchored:
        got = by_no.get(batch.batch_no)
        if got is None:
            raise AccessLogIncomplete(f"the log does not cover anchored batch {batch.batch_no}")
        if got.root != batch.root:
            raise AccessLogProofInvalid(
                f"batch {batch.batch_no} was verified against a root the chain does not hold"
            )
        out.append(got)
    extra = sorted(set(by_no) - {b.batch_no for b in anchored})
    if extra:
        raise AccessLogUnanchored(f"the log has batch {extra[0]}, which is not anchored")
    return tuple(out)
