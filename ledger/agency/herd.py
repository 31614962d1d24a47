"""Herd privacy toward the node operator: `Verifier(status_privacy="herd")`.

In the default ("direct") mode each verification sends the RPC node, in one `eth_call`, the
credential's digest (or, for a batch, its digest and inclusion proof), its signing key id and
its status-list index, so whoever runs the node can log who checked which credential when.
Herd mode sends less:

- **Status** — the lens is asked about entry 0 of the credential's list (an answer it ignores);
  the verifier reads the WHOLE list as raw words (`StatusRegistry.statusWords`, pages of
  `PAGE_WORDS` words in one JSON-RPC batch) at the block of the lens answer and takes the entry
  itself. Words are cached per (agency, list) for that block: on an unchanged chain a list costs
  one read per new block, and the node learns which list was read, not which entry (the herd is
  the list: 131,072 entries by default).
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
from typing import Any

from ledger.chain.client import ZERO32, AgencyStatus, CheckRequest, CredentialCheck, LedgerChain
from ledger.chain.merkle import leaf_hash
from ledger.chain.merkle import verify as verify_inclusion
from ledger.errors import ChainError

__all__ = ["PAGE_WORDS", "HerdStatusReader", "complete_answer", "herd_request"]

#: Words per `statusWords` call (each a cold storage read on the node, ~2.1k gas: ~9M gas a
#: page, inside any node's eth_call gas cap); a list's pages go in one JSON-RPC batch.
PAGE_WORDS = 4096
_ENTRIES_PER_WORD = 128


def herd_request(request: CheckRequest) -> CheckRequest:
    """The lens request as sent in herd mode: status entry 0 of the list, and for a batch the
    root alone (digest 0, no proof). A single anchor keeps its digest: it is the anchor's key."""
    if request.root != ZERO32:
        return replace(request, digest=ZERO32, proof=(), status_index=0)
    return replace(request, status_index=0)


class HerdStatusReader:
    """Status entries read from whole status lists, cached per block. The constructor does no
    I/O; one reader per verifier (not thread-safe)."""

    def __init__(self, chain: LedgerChain) -> None:
        from ledger.chain.deploy import contract_abi

        self._chain = chain
        self._abi = contract_abi("StatusRegistry")
        self._registry = chain.deployment.address("StatusRegistry")
        self._capacities: dict[tuple[str, int], int] = {}
        self._words: dict[tuple[str, int], tuple[int, tuple[int, ...]]] = {}

    def _calldata(self, fn: str, args: list[Any]) -> str:
        return "0x" + self._abi.encode_call(fn, args).hex()

    def _capacity(self, agency: str, list_id: int, block: int) -> int:
        key = (agency.lower(), list_id)
        capacity = self._capacities.get(key)
        if capacity is None:
            data = self._abi.encode_call("statusListOf", [agency, list_id])
            raw = self._chain.rpc.eth_call(self._registry, data, block=block)
            capacity = int(self._abi.decode_result("statusListOf", raw)[0])
            if capacity == 0:
                return 0  # the list may be created later: not cached
            self._capacities[key] = capacity  # a list's capacity never changes once created
        return capacity

    def words(self, agency: str, list_id: int, block: int) -> tuple[int, ...]:
        """Every word of the list at `block` (empty for an unknown list)."""
        key = (agency.lower(), list_id)
        cached = self._words.get(key)
        if cached is not None and cached[0] == block:
            return cached[1]
        total = self._capacity(agency, list_id, block) // _ENTRIES_PER_WORD
        if total == 0:
            return ()
        calls: list[tuple[str, list[Any]]] = [
            (
                "eth_call",
                [
                    {
                        "to": self._registry,
                        "data": self._calldata(
                            "statusWords",
                            [agency, list_id, start, min(PAGE_WORDS, total - start)],
                        ),
                    },
                    hex(block),
                ],
            )
            for start in range(0, total, PAGE_WORDS)
        ]
        words: list[int] = []
        for result in self._chain.rpc.batch(calls):
            # uint256[] by hand (offset, length, words): ABI decoding 4,096 words costs ms.
            raw = bytes.fromhex(str(result)[2:])
            count = int.from_bytes(raw[32:64], "big")
            if len(raw) != 64 + 32 * count:
                raise ChainError(f"statusWords answered {len(raw)} bytes for {count} words")
            words.extend(
                int.from_bytes(raw[i : i + 32], "big") for i in range(64, 64 + 32 * count, 32)
            )
        if len(words) != total:
            raise ChainError(f"status list {list_id} of {agency}: {len(words)} of {total} words")
        result = tuple(words)
        if cached is None or cached[0] <= block:
            self._words[key] = (block, result)
        return result

    def status(self, agency: str, list_id: int, index: int, block: int) -> tuple[bool, int]:
        """(known, value) of one entry at `block`, as `StatusRegistry.tryStatusOf` answers."""
        words = self.words(agency, list_id, block)
        if not 0 <= index < len(words) * _ENTRIES_PER_WORD:
            return (False, 0)
        word = words[index // _ENTRIES_PER_WORD]
        return (True, (word >> (2 * (index % _ENTRIES_PER_WORD))) & 3)


def complete_answer(
    check: CredentialCheck, request: CheckRequest, reader: HerdStatusReader
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
