"""The AnchorRegistry: credential digests and batch Merkle roots, keyed by (issuer, digest/root).

Attached as `LedgerChain.anchors`. Methods ending in `_tx` return a prepared `TxRequest` for
pipelined sending (`LedgerChain.send_many`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ledger.chain.core import ContractClient
from ledger.chain.named import record
from ledger.chain.records import AnchorInfo
from ledger.chain.sender import Receipt, TxRequest

__all__ = ["AnchorRegistry"]


class AnchorRegistry(ContractClient):
    """Typed client of the AnchorRegistry contract."""

    CONTRACT = "AnchorRegistry"

    def anchor_tx(self, digest: bytes, type_id: int, gas: int | None = None) -> TxRequest:
        """Prepared single anchor."""
        return self._tx("anchor", [digest, type_id], gas)

    def anchor(self, digest: bytes, type_id: int) -> Receipt:
        """Anchor one credential digest."""
        return self._core.transact(self.anchor_tx(digest, type_id))

    def anchor_batch_tx(
        self, root: bytes, type_id: int, count: int, gas: int | None = None
    ) -> TxRequest:
        """Prepared batch-root anchor."""
        return self._tx("anchorBatch", [root, type_id, count], gas)

    def anchor_batch(self, root: bytes, type_id: int, count: int) -> Receipt:
        """Anchor a Merkle root over `count` credential digests."""
        return self._core.transact(self.anchor_batch_tx(root, type_id, count))

    @staticmethod
    def _anchor(key: bytes, a: Mapping[str, Any], is_batch: bool) -> AnchorInfo | None:
        if int(a["issuer"], 16) == 0:
            return None
        return record(AnchorInfo, a, key=key, is_batch=is_batch)

    def anchor_of(self, issuer: str, digest: bytes) -> AnchorInfo | None:
        """`issuer`'s single-anchor record of `digest`, None if it did not anchor it."""
        return self._anchor(digest, self._struct("anchorOf", [issuer, digest]), False)

    def batch_of(self, issuer: str, root: bytes) -> AnchorInfo | None:
        """`issuer`'s batch record of `root`, None if it did not anchor it."""
        return self._anchor(root, self._struct("batchOf", [issuer, root]), True)

    def inclusion_of(
        self, issuer: str, root: bytes, proof: Sequence[bytes], digest: bytes
    ) -> AnchorInfo | None:
        """The batch record if `proof` proves `digest` under `issuer`'s anchored `root`, else
        None."""
        a = self._struct("inclusionOf", [issuer, root, list(proof), digest])
        return self._anchor(root, a, True)

    def verify_inclusion(
        self, issuer: str, root: bytes, proof: Sequence[bytes], digest: bytes
    ) -> bool:
        """Whether `issuer` anchored `root` and `proof` proves `digest` in it."""
        return bool(self._view("verifyInclusion", [issuer, root, list(proof), digest]))
