"""The outbox's records, and what it needs from the chain (`AnchorChain`).

Frozen dataclasses: what goes in (`PendingCredential`), what a batch is (`SealedBatch`,
`BatchRecord`), what comes out (`DeliveredCredential` with its `AnchorProof`, `HeldCredential`),
and what `Outbox.recover` and `Outbox.stats` report. No I/O here.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "AnchorChain",
    "AnchorInclusion",
    "AnchorProof",
    "BatchRecord",
    "BroadcastOutcome",
    "DeliveredCredential",
    "HeldCredential",
    "OutboxStats",
    "PendingCredential",
    "RecoveryReport",
    "SealedBatch",
]


# --- what the outbox needs from the chain ----------------------------------------------------


@dataclass(frozen=True)
class AnchorInclusion:
    """When an anchor was mined: ``block.timestamp`` (the AnchorRegistry's ``anchoredAt``) and,
    when known (from the receipt or the ``BatchAnchored`` log), the block number and hash.

    ``confirmed`` says the chain vouches that this inclusion is final (enough confirmations, state
    durable); when False, `Outbox.recover` records the batch as `mined` and the caller confirms
    it (`Issuer` waits for the confirmations, then `mark_anchored`)."""

    anchored_at: int
    block_number: int | None = None
    block_hash: str | None = None
    confirmed: bool = True


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

    def next_nonce(self) -> int:
        """The nonce the issuing account's next transaction must use (mined and pooled ones
        counted): a stored transaction with a higher nonce would wait behind a gap."""
        ...

    def block_hashes(self, numbers: Sequence[int]) -> list[str | None]:
        """The hash of the canonical block at each of `numbers` (None above the head)."""
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
    block_hash: str | None = None  # of the block it was mined in (None before schema 3)
    rollbacks: int = 0  # times its anchor vanished from the chain and was sent again


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

    anchored: tuple[int, ...]  # found anchored on chain, now marked anchored (or mined)
    rebroadcast: tuple[int, ...]  # stored signed tx re-sent; still waiting to be mined
    resealed: tuple[int, ...]  # stored tx can never be mined; back to sealed, sign anew
    sealed: tuple[int, ...]  # never submitted; left for the normal path
    vanished: tuple[int, ...] = ()  # recorded mined or anchored, gone from the chain: re-sent
    # (also in `rebroadcast`) or back to sealed (also in `resealed`)
    mined: tuple[int, ...] = ()  # mined, waiting for confirmations (the caller confirms)


@dataclass(frozen=True)
class HeldCredential:
    """A credential held because its agency was suspended when it was signed or anchored."""

    id: str
    type_id: int
    list_id: int
    status_idx: int
    holder_ref: str
    created_at: int
    held_at: int


@dataclass(frozen=True)
class OutboxStats:
    """Counts by state."""

    pending: int
    batched: int
    anchored: int
    batches_sealed: int
    batches_submitted: int
    batches_anchored: int
    held: int = 0
    discarded: int = 0
    batches_mined: int = 0
