"""Herd privacy toward the node operator: `Verifier(status_privacy="herd")`.

In the default ("direct") mode each verification sends the RPC node, in one `eth_call`, the
credential's digest (or, for a batch, its digest and inclusion proof), its signing key id and
its status-list index, so whoever runs the node can log who checked which credential when.
Herd mode sends less:

- **Status** — the lens is asked about entry 0 of the credential's list (an answer it ignores);
  the verifier reads the WHOLE list as raw words at the block of the lens answer and takes the
  entry itself (`ledger.chain.status_registry.StatusListReader`: `statusWords` pages in one
  JSON-RPC batch). Words are cached per (agency, list) for that block: on an unchanged chain a
  list costs one read per new block, and the node learns which list was read, not which entry
  (the herd is the list: 131,072 entries by default).
- **Batch anchors** — the lens gets the batch ROOT only (digest 0, no proof: LedgerLens >= 1.1
  answers for the batch record itself) and the verifier checks the leaf's inclusion proof
  locally (`ledger.chain.merkle`), so nothing sent identifies the credential among the batch.

What still reaches the node (see docs/security.md, "Privacy toward the node operator"): the
digest of a credential anchored on its own (its anchor is keyed by it); the signing key id, which
names the issuer; the batch root and list id, which name the batch and list; the verifier's own
address, purpose and claim mask; and the time and source address of every request.

The verdicts are the same as in direct mode (the lens answer is completed locally into exactly
what the direct question would have returned), at the cost of the list reads (see
`scripts/bench_verify`).
"""

from __future__ import annotations

from dataclasses import replace

from ledger.chain.lens import CheckRequest, CredentialCheck
from ledger.chain.merkle import leaf_hash
from ledger.chain.merkle import verify as verify_inclusion
from ledger.chain.records import ZERO32, AgencyStatus
from ledger.chain.status_registry import StatusListReader

__all__ = ["complete_answer", "herd_request"]


def herd_request(request: CheckRequest) -> CheckRequest:
    """The lens request as sent in herd mode: status entry 0 of the list, and for a batch the
    root alone (digest 0, no proof). A single anchor keeps its digest: it is the anchor's key."""
    if request.root != ZERO32:
        return replace(request, digest=ZERO32, proof=(), status_index=0)
    return replace(request, status_index=0)


def complete_answer(
    check: CredentialCheck, request: CheckRequest, reader: StatusListReader
) -> CredentialCheck:
    """The lens answer to the herd question (`herd_request(request)`) turned into the answer to
    `request` itself: the batch leaf's inclusion proven here, the status entry read from the
    list. What the lens returns for an unproven leaf is what it returns for any unanchored
    credential (only the key facts and the block)."""
    if request.root != ZERO32 and not verify_inclusion(
        request.root, request.proof, leaf_hash(request.digest)
    ):
        return CredentialCheck(
            anchored=False,
            issuer=None,
            type_id=0,
            anchored_at=0,
            batch_count=0,
            issuer_accredited_at_anchor=False,
            key_valid_at_anchor=False,
            key_agency=check.key_agency,
            key_revoked_at=check.key_revoked_at,
            status_known=False,
            status=0,
            issuer_agency_status=AgencyStatus.NONE,
            verifier_authorized=False,
            block_number=check.block_number,
            block_timestamp=check.block_timestamp,
        )
    if not check.anchored or check.issuer is None:
        return check
    known, status = reader.status(
        check.issuer, request.list_id, request.status_index, check.block_number
    )
    return replace(check, status_known=known, status=status)
