"""Anchoring an issuer's sealed batches and handing out what is final.

`AnchorFlow` is the part of `Issuer.flush` after sealing: sign the anchors of sealed batches and
record them in the outbox before sending (write-ahead), wait for them to be mined, wait until
they are final (`LedgerAnchorChain.await_final`: confirmations, the devnet's state saved),
check each is still in the block it was mined in, mark it anchored and return the packages of
its credentials. The constructor does no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ledger.agency.anchoring import LedgerAnchorChain
from ledger.agency.outbox import BatchRecord, DeliveredCredential, Outbox
from ledger.agency.packages import AnchorEvidence, CredentialPackage
from ledger.chain.sender import Receipt
from ledger.errors import ContractRevert

__all__ = ["AnchorFlow"]


class AnchorFlow:
    """Anchors `outbox`'s batches through `anchors`; packages name chain `chain_id`."""

    def __init__(self, outbox: Outbox, anchors: LedgerAnchorChain, chain_id: int) -> None:
        self._outbox = outbox
        self._anchors = anchors
        self._chain_id = chain_id

    def submit(self, sealed: Sequence[BatchRecord], t: int) -> None:
        """Sign the anchors of `sealed` batches, record them (write-ahead) and broadcast them."""
        signed = self._anchors.sign_anchors(
            [(b.root, b.type_id, b.count, b.single) for b in sealed]
        )
        for batch, tx in zip(sealed, signed, strict=True):
            self._outbox.record_submission(batch.id, tx.raw_tx, tx.tx_hash, tx.nonce, now=t)
        self._anchors.broadcast_signed(signed)

    def anchor_submitted(
        self,
        batches: Sequence[BatchRecord],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[CredentialPackage]:
        """Wait for the anchors of submitted `batches` and mark them mined (batches not yet
        submitted are skipped; a reverted anchor is raised before anything is marked), then
        wait until every mined batch is final and return the packages of those that are."""
        hashes = [b.tx_hash for b in batches if b.tx_hash is not None and b.state == "submitted"]
        outcomes = dict(zip(hashes, self._anchors.wait_outcomes(hashes), strict=True))
        for outcome in outcomes.values():
            if isinstance(outcome, ContractRevert):
                raise outcome
        mined = []
        for b in batches:
            receipt = None if b.tx_hash is None else outcomes.get(b.tx_hash)
            if isinstance(receipt, Receipt):
                mined.append((b, self._anchors.confirm(b.root, receipt, single=b.single)))
        if self._anchors.confirmations > 1:
            for b, inclusion in mined:
                block = inclusion.block_number or 0
                self._outbox.mark_mined(b.id, block, inclusion.block_hash, inclusion.anchored_at)
            return self.finalise_mined(progress)
        # Final once mined (one confirmation): no `mined` record, as recover finds such an
        # anchor on chain anyway; only the state is saved (a devnet) before they are delivered.
        packages: list[CredentialPackage] = []
        if mined:
            self._anchors.await_final(max(i.block_number or 0 for _, i in mined))
        for done, (b, inclusion) in enumerate(mined, 1):
            self._outbox.mark_anchored(
                b.id, inclusion.block_number, inclusion.anchored_at, block_hash=inclusion.block_hash
            )
            packages.extend(self.package(d) for d in self._outbox.deliverables(b.id))
            if progress is not None:
                progress(done, len(mined))
        return packages + self.finalise_mined(progress)

    def finalise_mined(
        self, progress: Callable[[int, int], None] | None = None
    ) -> list[CredentialPackage]:
        """Wait until the mined batches are final (`LedgerAnchorChain.await_final`: their
        confirmations, and the devnet's state saved), check each is still in the block it was
        mined in, mark those anchored and return their packages. One whose block changed is
        left mined: `recover()` re-checks it."""
        mined = self._outbox.mined_batches()
        if not mined:
            return []
        numbers = [b.block_number for b in mined if b.block_number is not None]
        self._anchors.await_final(max(numbers))
        hashes = dict(zip(numbers, self._anchors.block_hashes(numbers), strict=True))
        packages: list[CredentialPackage] = []
        for done, b in enumerate(mined, 1):
            if b.block_number is None or hashes.get(b.block_number) is None:
                continue
            if b.block_hash is not None and hashes[b.block_number] != b.block_hash:
                continue
            assert b.anchored_at is not None
            self._outbox.mark_anchored(
                b.id, b.block_number, b.anchored_at, block_hash=hashes[b.block_number]
            )
            packages.extend(self.package(d) for d in self._outbox.deliverables(b.id))
            if progress is not None:
                progress(done, len(mined))
        return packages

    def package(self, d: DeliveredCredential) -> CredentialPackage:
        """The holder's package of a delivered credential (with its inclusion proof)."""
        a = d.anchor
        meta = {
            "credential_id": d.credential_id,
            "status": {"list_id": d.list_id, "idx": d.status_idx},
            "anchored_at": a.anchored_at,
            "block_number": a.block_number,
            "tx_hash": a.tx_hash,
        }
        evidence = (
            AnchorEvidence()
            if a.single
            else AnchorEvidence(root=a.root, proof=a.proof, leaf_index=a.leaf_index)
        )
        return CredentialPackage(d.compact, evidence, d.type_id, self._chain_id, meta)
