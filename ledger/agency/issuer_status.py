"""An issuing agency's status lists: drawing random entries for new credentials, creating the
lists on chain as they fill, re-creating lists lost with their blocks, and setting entries
(revoke, suspend, reinstate).

Entries are drawn at random (`StatusIndexAllocator`, durable) from the agency's current list,
created on chain on first use and replaced by a new one when full. A list this state never drew
from belongs to another state directory of the agency and is skipped, so two issuers of one
agency never share an entry. Revocation is final here, though the StatusRegistry would accept
it back. The constructor does no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger._rand import RandomSource
from ledger.agency.packages import parse_status_uri
from ledger.agency.status_alloc import StatusIndexAllocator
from ledger.chain.client import LedgerChain
from ledger.chain.records import CredentialStatus
from ledger.chain.sender import Receipt
from ledger.errors import InputError, IssuanceError, StatusListFull, StatusRegistryListExists
from ledger.sdjwt.holder import unverified_header_and_payload

__all__ = ["IssuerStatusLists", "StatusRef"]

_ALLOC_CHUNK = 4096


@dataclass(frozen=True)
class StatusRef:
    """A credential's entry in one of this agency's status lists."""

    list_id: int
    index: int


class IssuerStatusLists:
    """The status lists of the agency `chain` signs for (see the module docstring)."""

    def __init__(
        self,
        chain: LedgerChain,
        allocator: StatusIndexAllocator,
        *,
        capacity: int,
        rng: RandomSource,
        now: Callable[[], int],
        persist_state: Callable[[], Any] | None = None,
    ) -> None:
        self._chain = chain
        self._allocator = allocator
        self._capacity = capacity
        self._rng = rng
        self._now = now
        self._persist = persist_state
        self._list_id: int | None = None
        self._list_capacity: dict[int, int] = {}

    @property
    def _agency(self) -> str:
        return self._chain.address

    # -- drawing entries ----------------------------------------------------------------------

    def allocate(self, count: int) -> list[StatusRef]:
        """`count` random unused entries, opening (and creating on chain) new lists as needed."""
        refs: list[StatusRef] = []
        chunk = min(_ALLOC_CHUNK, max(1, self._capacity // 4))
        while len(refs) < count:
            list_id = self._current_list()
            capacity = self._list_capacity[list_id]
            n = min(chunk, count - len(refs))
            try:
                got = self._allocator.allocate_many(
                    list_id, capacity, n, rng=self._rng.randbelow, now=self._now()
                )
            except StatusListFull:
                if self._allocator.allocated(list_id) == 0:
                    if n == 1:
                        raise
                    chunk = max(1, n // 2)
                    continue
                self._list_id = list_id + 1
                continue
            refs.extend(StatusRef(list_id, i) for i in got)
        return refs

    def _current_list(self) -> int:
        """The list to draw from. A list this state has drawn from is used until full; a list
        that exists on chain but that this state never drew from belongs to another state
        directory of the agency (or to a crash right after creating it) and is skipped, so two
        issuers of one agency never share a status entry."""
        if self._list_id is None:
            list_id = 1
            while self._allocator.allocated(list_id + 1) > 0:
                list_id += 1
            self._list_id = list_id
        while self._list_id not in self._list_capacity:
            list_id = self._list_id
            info = self._chain.status.status_list(self._agency, list_id)
            if info is not None and self._allocator.allocated(list_id) > 0:
                self._list_capacity[list_id] = info.capacity
            elif info is not None:
                self._list_id = list_id + 1
            else:
                try:
                    self._chain.status.create_status_list(list_id, self._capacity)
                except StatusRegistryListExists:  # another issuer of the agency was faster
                    self._list_id = list_id + 1
                    continue
                self._list_capacity[list_id] = self._capacity
        return self._list_id

    def restore(self, entries: Iterable[tuple[int, int]]) -> None:
        """Create again the lists of `(list_id, index)` entries that are gone from the chain."""
        reach: dict[int, int] = {}
        for list_id, index in entries:
            reach[list_id] = max(reach.get(list_id, 0), index + 1)
        for list_id, needed in sorted(reach.items()):
            if self._chain.status.status_list(self._agency, list_id) is None:
                capacity = max(self._capacity, -(-needed // 128) * 128)
                self._chain.status.create_status_list(list_id, capacity)
                self._list_capacity[list_id] = capacity

    # -- setting entries ----------------------------------------------------------------------

    def ref_of(self, compact: str) -> StatusRef:
        """The status entry of one of this agency's credentials (compact SD-JWT)."""
        _, payload = unverified_header_and_payload(compact)
        try:
            entry = payload["status"]["status_list"]
            ref = parse_status_uri(entry["uri"])
            index = entry["idx"]
        except (KeyError, TypeError) as exc:
            raise InputError("credential has no status_list entry") from exc
        if ref.agency.lower() != self._agency.lower() or not isinstance(index, int):
            raise InputError("credential's status list is not this agency's")
        return StatusRef(ref.list_id, index)

    def set_statuses(self, refs: Sequence[StatusRef], status: CredentialStatus) -> list[Receipt]:
        """Set many entries (see `Issuer.set_statuses`)."""
        if status is not CredentialStatus.REVOKED:
            now = self._chain.status.statuses_of(self._agency, [(r.list_id, r.index) for r in refs])
            for ref, current in zip(refs, now, strict=True):
                if current is CredentialStatus.REVOKED:
                    raise IssuanceError(f"credential {ref} is revoked; revocation is final")
        by_list: dict[int, set[int]] = {}
        for ref in refs:
            by_list.setdefault(ref.list_id, set()).add(ref.index)
        txs = [
            self._chain.status.set_statuses_tx(list_id, sorted(indexes), int(status))
            for list_id, indexes in sorted(by_list.items())
        ]
        receipts = [self._chain.transact(txs[0])] if len(txs) == 1 else self._chain.send_many(txs)
        if self._persist is not None:  # a revocation must not vanish with a killed devnet
            self._persist()
        return receipts

    def status(self, ref: StatusRef) -> CredentialStatus:
        """The current on-chain status of an entry."""
        return self._chain.status.status_of(self._agency, ref.list_id, ref.index)
