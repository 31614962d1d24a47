"""The ReceiptRegistry: the roots of each data source's access-receipt batches.

Attached as `LedgerChain.receipts`. A source (an Active agency) anchors batch `batch_no` of its
receipts (the root of the batch's sparse Merkle tree, `ledger.exchange.access_log`, and the
number of receipts); batches are numbered per source 1, 2, 3 ... and the contract refuses any
number but the next (`ReceiptRegistryUnexpectedBatchNo`), so a batch sent twice is anchored
once. Nothing personal goes on chain.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils.address import to_checksum_address

from ledger.chain.core import ContractClient
from ledger.chain.named import record
from ledger.chain.records import ReceiptBatchInfo
from ledger.chain.sender import Receipt, TxRequest

__all__ = ["ReceiptRegistry"]


class ReceiptRegistry(ContractClient):
    """Typed client of the ReceiptRegistry contract."""

    CONTRACT = "ReceiptRegistry"

    def anchor_tx(
        self, batch_no: int, root: bytes, count: int, gas: int | None = None
    ) -> TxRequest:
        """Prepared anchor of the signer's batch `batch_no`."""
        return self._tx("anchorReceipts", [batch_no, root, count], gas)

    def anchor(self, batch_no: int, root: bytes, count: int) -> Receipt:
        """Anchor the signer's batch `batch_no` (its next) of `count` receipts under `root`.
        Raises `ReceiptRegistryUnexpectedBatchNo` if `batch_no` is not the next,
        `ReceiptRegistryAgencyNotActive` if the signer is not an Active agency."""
        return self._core.transact(self.anchor_tx(batch_no, root, count))

    def batch_count(self, source: str) -> int:
        """How many batches `source` has anchored (its last batch number; 0: none)."""
        return int(self._view("batchCount", [source]))

    def batch_of(self, source: str, batch_no: int) -> ReceiptBatchInfo | None:
        """`source`'s batch `batch_no`, None if not anchored."""
        tree = self._struct("batchOf", [source, batch_no])
        if tree["anchoredAt"] == 0:
            return None
        return record(
            ReceiptBatchInfo, tree, source=to_checksum_address(source), batch_no=batch_no
        )

    def batches(self, source: str, batch_nos: Sequence[int]) -> list[ReceiptBatchInfo | None]:
        """`batch_of` for each of `batch_nos`, in one JSON-RPC batch."""
        raws = self._core.views(self.CONTRACT, "batchOf", [[source, n] for n in batch_nos])
        checksummed = to_checksum_address(source)
        out: list[ReceiptBatchInfo | None] = []
        for n, (raw,) in zip(batch_nos, raws, strict=True):
            root, count, anchored_at = raw
            out.append(
                None
                if anchored_at == 0
                else ReceiptBatchInfo(checksummed, n, bytes(root), int(count), int(anchored_at))
            )
        return out
