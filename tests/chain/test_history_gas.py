"""History lookups cost the same after 1,000 history entries (binary-searched checkpoints).

"Was the agency Active at t" and "was it accredited at t" search OpenZeppelin checkpoints, so
their gas grows with log2 of an agency's history, where a backwards scan grew by a storage read
per entry. Each test measures one lookup about an old time on a short history, grows the history
to 1,000+ entries, and measures the same lookup again. (Keys have no history to search: a kid is
one record, so "was the key valid at t" reads one record whatever the agency's key count.)

Entries are keyed by block time, so 1,000 real changes would take 1,000 blocks (seconds of anvil
mining). The tests make the first and the last changes for real, through the council, and write
the ~1,000 in between straight into the checkpoint array (`anvil_setStorageAt`): the array is
found in storage by the real entries it holds (OpenZeppelin `Checkpoint208`: key in the low 48
bits, value above), and answers at the written times are checked, so a mislocated array fails.
"""

from __future__ import annotations

import math

from chain_helpers import World
from eth_hash.auto import keccak

from ledger.chain.deploy import contract_abi

#: History entries written between the real ones.
ENTRIES = 1_000
#: Gas of one binary-search step: a cold storage read (2,100) plus the step's arithmetic.
STEP_GAS = 2_600


def _word(value: int | str) -> bytes:
    number = int(value, 16) if isinstance(value, str) else value
    return number.to_bytes(32, "big")


def _hash(*parts: int | str) -> int:
    return int.from_bytes(keccak(b"".join(_word(p) for p in parts)), "big")


class _Trace:
    """A `Checkpoints.Trace208` in the TrustRegistry's storage, located by its entries."""

    def __init__(self, world: World, candidates: list[int], entries: list[tuple[int, int]]) -> None:
        self._world = world
        self._address = world.deployment.address("TrustRegistry")
        wanted = [(value << 48) | key for key, value in entries]
        found = [slot for slot in candidates if self._read(slot, len(wanted)) == wanted]
        assert len(found) == 1, f"checkpoint array holding {entries} not found (found {found})"
        self.slot = found[0]

    def _get(self, slot: int) -> int:
        raw = self._world.rpc.call("eth_getStorageAt", [self._address, hex(slot), "latest"])
        return int(raw, 16)

    def _read(self, slot: int, count: int) -> list[int] | None:
        if self._get(slot) != count:
            return None
        return [self._get(_hash(slot) + i) for i in range(count)]

    def length(self) -> int:
        return self._get(self.slot)

    def append(self, entries: list[tuple[int, int]]) -> None:
        """Write `entries` (key, value) after the last one, in one JSON-RPC batch."""
        start = self.length()
        writes = [
            (_hash(self.slot) + start + i, (value << 48) | key)
            for i, (key, value) in enumerate(entries)
        ]
        writes.append((self.slot, start + len(entries)))
        self._world.rpc.batch(
            [
                ("anvil_setStorageAt", [self._address, hex(slot), "0x" + _word(word).hex()])
                for slot, word in writes
            ]
        )


def _gas(world: World, fn: str, args: list[object]) -> int:
    call = {
        "to": world.deployment.address("TrustRegistry"),
        "data": "0x" + contract_abi("TrustRegistry").encode_call(fn, args).hex(),
    }
    return int(world.rpc.call("eth_estimateGas", [call]), 16)


def _assert_flat(short: int, long: int, entries: int) -> None:
    # upperLookupRecent: one probe at len - sqrt(len), then a binary search of one part.
    allowed = STEP_GAS * (math.ceil(math.log2(entries)) + 2)
    assert long - short <= allowed, (
        f"lookup gas {short:,} -> {long:,} after {entries:,} entries: more than log2 growth "
        f"({allowed:,}); a scan costs >= {entries * 2_100:,}"
    )


def test_was_active_at_costs_the_same_after_1000_status_changes(world: World) -> None:
    agency = world.new_agency("Archive").address
    world.advance(10)
    world.execute(world.actions.suspend_agency(agency))
    suspended = world.now()
    world.advance(10)
    world.execute(world.actions.reinstate_agency(agency))
    reinstated = world.now()
    asked = suspended + 5  # during the first suspension
    assert not world.reader.is_agency_active_at(agency, asked)
    short = _gas(world, "isAgencyActiveAt", [agency, asked])

    candidates = [_hash(agency, p) for p in range(32)]
    trace = _Trace(world, candidates, [(suspended, 1), (reinstated, 0)])
    # 500 more suspensions (1) and reinstatements (0), one a second after the reinstatement.
    written = [(reinstated + 1 + i, 1 - i % 2) for i in range(ENTRIES)]
    trace.append(written)
    world.advance(ENTRIES + 10)
    world.execute(world.actions.suspend_agency(agency))
    world.advance(10)
    world.execute(world.actions.reinstate_agency(agency))
    assert trace.length() == ENTRIES + 4  # the real changes landed after the written ones

    assert not world.reader.is_agency_active_at(agency, asked)
    long = _gas(world, "isAgencyActiveAt", [agency, asked])
    for i in (0, 1, ENTRIES // 2, ENTRIES // 2 + 1, ENTRIES - 2, ENTRIES - 1):
        key, value = written[i]
        assert world.reader.is_agency_active_at(agency, key) is (value == 0), i
    _assert_flat(short, long, trace.length())


def test_was_accredited_at_costs_the_same_after_1000_grants(world: World) -> None:
    agency = world.new_agency("Archive").address
    type_id = world.type_id
    ends = world.now() + 20
    world.execute(world.actions.accredit(agency, type_id, valid_until=ends))
    granted = world.reader.accreditation(agency, type_id).granted_at
    asked = granted + 5  # during the first grant
    world.advance(ENTRIES + 100)  # the first grant expires; room for the written grant times
    world.execute(world.actions.accredit(agency, type_id))  # archives the first grant
    second = world.reader.accreditation(agency, type_id).granted_at
    assert world.reader.is_accredited_at(agency, type_id, asked)
    short = _gas(world, "isAccreditedAt", [agency, type_id, asked])

    candidates = [_hash(type_id, _hash(agency, p)) for p in range(32)]
    trace = _Trace(world, candidates, [(granted, 1)])
    # Grant times after the first grant ended, each naming grant 1 (which covers none of them).
    written = [(ends + 1 + i, 1) for i in range(ENTRIES)]
    trace.append(written)
    world.advance(10)
    world.execute(world.actions.withdraw_accreditation(agency, type_id))
    world.execute(world.actions.accredit(agency, type_id))  # archives the second grant
    assert trace.length() == ENTRIES + 2  # the real grant landed after the written ones

    assert world.reader.is_accredited_at(agency, type_id, asked)
    long = _gas(world, "isAccreditedAt", [agency, type_id, asked])
    assert world.reader.is_accredited_at(agency, type_id, second)
    for i in (0, ENTRIES // 2, ENTRIES - 1):
        assert not world.reader.is_accredited_at(agency, type_id, written[i][0]), i
    _assert_flat(short, long, trace.length())
