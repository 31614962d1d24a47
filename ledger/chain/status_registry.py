"""The StatusRegistry: per-agency status lists, 2 bits an entry (0 valid, 1 revoked,
2 suspended), 128 entries a storage word.

Attached as `LedgerChain.status`. `StatusListReader` reads whole lists as raw words, cached per
(agency, list) for one block: what the verifier's herd-privacy mode needs
(`ledger.agency.herd`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils.address import to_checksum_address

from ledger.chain.core import ContractClient
from ledger.chain.records import CredentialStatus, StatusListInfo
from ledger.chain.sender import Receipt, TxRequest
from ledger.errors import ChainError

__all__ = ["ENTRIES_PER_WORD", "PAGE_WORDS", "StatusListReader", "StatusRegistry"]

#: Entries per 256-bit storage word.
ENTRIES_PER_WORD = 128
#: Words per `statusWords` call (each a cold storage read on the node, ~2.1k gas: ~9M gas a
#: page, inside any node's eth_call gas cap); a list's pages go in one JSON-RPC batch.
PAGE_WORDS = 4096


class StatusRegistry(ContractClient):
    """Typed client of the StatusRegistry contract."""

    CONTRACT = "StatusRegistry"

    def create_status_list(self, list_id: int, capacity: int) -> Receipt:
        """Create a status list of `capacity` entries (multiple of 128) for this agency."""
        return self._send("createStatusList", [list_id, capacity])

    def set_status_tx(
        self, list_id: int, index: int, status: int, gas: int | None = None
    ) -> TxRequest:
        """Prepared single status update."""
        return self._tx("setStatus", [list_id, index, int(status)], gas)

    def set_status(self, list_id: int, index: int, status: int) -> Receipt:
        """Set one entry of this agency's list (0 valid, 1 revoked, 2 suspended)."""
        return self._core.transact(self.set_status_tx(list_id, index, status))

    def set_statuses_tx(
        self, list_id: int, indexes: Sequence[int], status: int, gas: int | None = None
    ) -> TxRequest:
        """Prepared batch status update (one event)."""
        return self._tx("setStatuses", [list_id, list(indexes), int(status)], gas)

    def set_statuses(self, list_id: int, indexes: Sequence[int], status: int) -> Receipt:
        """Set many entries of this agency's list to one status."""
        return self._core.transact(self.set_statuses_tx(list_id, indexes, status))

    def status_of(self, agency: str, list_id: int, index: int) -> CredentialStatus:
        """One entry's status (reverts for unknown list / out of range)."""
        return CredentialStatus(self._view("statusOf", [agency, list_id, index]))

    def statuses_of(
        self, agency: str, entries: Sequence[tuple[int, int]]
    ) -> list[CredentialStatus]:
        """`status_of` for many `(list_id, index)` entries, in one JSON-RPC batch."""
        args = [[agency, lst, i] for lst, i in entries]
        results = self._core.views(self.CONTRACT, "statusOf", args)
        return [CredentialStatus(result[0]) for result in results]

    def status_words(self, agency: str, list_id: int, from_word: int, count: int) -> list[int]:
        """A page of raw words (128 two-bit entries each, LSB first)."""
        return list(self._view("statusWords", [agency, list_id, from_word, count]))

    def status_list(self, agency: str, list_id: int) -> StatusListInfo | None:
        """A list's metadata, None if it does not exist."""
        info = self._core.named(self.CONTRACT, "statusListOf", [agency, list_id])
        if info["capacity"] == 0:
            return None
        return StatusListInfo(
            to_checksum_address(agency), list_id, info["capacity"], info["createdAt"]
        )

    def list_reader(self) -> StatusListReader:
        """A reader of whole lists, cached per block (one per verifier; not thread-safe)."""
        return StatusListReader(self)


class StatusListReader:
    """Status entries read from whole status lists, cached per (agency, list) for one block.
    The constructor does no I/O; not thread-safe."""

    def __init__(self, registry: StatusRegistry) -> None:
        self._registry = registry
        self._rpc = registry._core.rpc
        self._to = registry.address
        self._abi = registry.abi
        self._capacities: dict[tuple[str, int], int] = {}
        self._words: dict[tuple[str, int], tuple[int, tuple[int, ...]]] = {}

    def _capacity(self, agency: str, list_id: int, block: int) -> int:
        key = (agency.lower(), list_id)
        capacity = self._capacities.get(key)
        if capacity is None:
            data = self._abi.encode_call("statusListOf", [agency, list_id])
            raw = self._rpc.eth_call(self._to, data, block=block)
            capacity = int(self._abi.decode_result("statusListOf", raw)[0])
            if capacity == 0:
                return 0  # the list may be created later: not cached
            self._capacities[key] = capacity  # a list's capacity never changes once created
        return capacity

    def words(self, agency: str, list_id: int, block: int) -> tuple[int, ...]:
        """Every word of the list at `block` (empty for an unknown list), its pages of
        `PAGE_WORDS` in one JSON-RPC batch."""
        key = (agency.lower(), list_id)
        cached = self._words.get(key)
        if cached is not None and cached[0] == block:
            return cached[1]
        total = self._capacity(agency, list_id, block) // ENTRIES_PER_WORD
        if total == 0:
            return ()
        calls: list[tuple[str, list[Any]]] = [
            (
                "eth_call",
                [
                    {
                        "to": self._to,
                        "data": "0x"
                        + self._abi.encode_call(
                            "statusWords",
                            [agency, list_id, start, min(PAGE_WORDS, total - start)],
                        ).hex(),
                    },
                    hex(block),
                ],
            )
            for start in range(0, total, PAGE_WORDS)
        ]
        words: list[int] = []
        for result in self._rpc.batch(calls):
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
        if not 0 <= index < len(words) * ENTRIES_PER_WORD:
            return (False, 0)
        word = words[index // ENTRIES_PER_WORD]
        return (True, (word >> (2 * (index % ENTRIES_PER_WORD))) & 3)
