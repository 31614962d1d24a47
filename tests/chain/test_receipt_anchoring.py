"""Anchoring a source's receipts (`ledger.exchange.anchoring`) against anvil: batches 1, 2 on
chain, a citizen's slot verified against the anchored root, and the crash paths: recorded but
not sent, sent but not seen, a store that diverged from the chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_helpers import World, random32

from ledger._rand import UnsafeDeterministicRandom
from ledger.errors import (
    ReceiptAnchorDiverged,
    ReceiptBatchSizeInvalid,
    ReceiptRegistryAgencyNotActive,
    ReceiptSubjectKeyInvalid,
)
from ledger.exchange.access_log import ReceiptBatch, verify_my_batch
from ledger.exchange.anchoring import anchor_receipts, seal_batch
from ledger.exchange.pseudonym import SourceLogKey, citizen_pseudonym
from ledger.exchange.receipts import AccessReceipt, LegalBasis, Outcome
from ledger.exchange.store import SqliteExchangeStore
from ledger.sdjwt.jwk import SigningKey

RNG = UnsafeDeterministicRandom(1717)
LOG_KEY = SourceLogKey.generate(rng=UnsafeDeterministicRandom(1))
KAREN = SigningKey.generate(rng=UnsafeDeterministicRandom(2))
OTHERS = [SigningKey.generate(rng=UnsafeDeterministicRandom(10 + i)) for i in range(3)]


class Crash(Exception):
    """Stands for the process dying at the hook."""


def crash(batch: ReceiptBatch) -> None:
    """A `before_send` hook: the process dies after recording the batch, before sending it."""
    raise Crash


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteExchangeStore]:
    with SqliteExchangeStore(tmp_path / "exchange.db") as s:
        yield s


def add(store: SqliteExchangeStore, source: str, holder: SigningKey, n: int = 1) -> list[bytes]:
    """`n` receipts of queries about `holder`'s subject, stored as the data service stores
    them (subject_key = the ECDH secret with her holder key); their leaves."""
    leaves = []
    for _ in range(n):
        receipt = AccessReceipt.new(
            source=source,
            requester="0x" + "22" * 20,
            vct="https://cpr.example/person",
            claims=["age_over_18"],
            purpose="Boligstøtte",
            legal_basis=LegalBasis.PUBLIC_TASK,
            case_ref="KK-1",
            outcome=Outcome.ANSWERED,
            answer="a.b.c~",
            now=1_780_000_000,
            rng=RNG,
        )
        store.add_receipt(
            receipt.receipt_id.hex(),
            created_at=receipt.time,
            body=receipt.encode(),
            leaf=receipt.leaf,
            subject_key=LOG_KEY.shared_secret(holder.public_jwk),
        )
        leaves.append(receipt.leaf)
    return leaves


def karens_receipts(store: SqliteExchangeStore, batch_no: int) -> list[AccessReceipt]:
    key = LOG_KEY.shared_secret(KAREN.public_jwk)
    return [
        AccessReceipt.decode(row.body)
        for row in store.receipts_for_subject_key(key)
        if row.batch_no == batch_no
    ]


def test_two_batches_are_anchored_and_a_citizen_verifies_her_slot(
    world: World, store: SqliteExchangeStore
) -> None:
    source = world.issuer
    add(store, source.address, KAREN, 2)
    for other in OTHERS:
        add(store, source.address, other, 2)
    first = anchor_receipts(store, source, batch_size=5)
    assert [(b.batch_no, b.count, b.resent) for b in first.batches] == [
        (1, 5, False),
        (2, 3, False),
    ]
    assert first.last_batch_no == 2 and first.receipts == 8
    assert world.reader.receipts.batch_count(source.address) == 2
    for batch_no in (1, 2):
        on_chain = world.reader.receipts.batch_of(source.address, batch_no)
        assert on_chain is not None
        sealed = seal_batch(store, batch_no, source.address)
        assert (on_chain.root, on_chain.count) == (sealed.root, sealed.count)
        # Karen computes her pseudonym herself and checks the source's answer for the batch.
        mine = citizen_pseudonym(KAREN, LOG_KEY.public_jwk, batch_no)
        verified = verify_my_batch(
            on_chain.root, batch_no, mine, karens_receipts(store, batch_no),
            sealed.proof_for(mine),
        )
        assert len(verified.receipts) == len(karens_receipts(store, batch_no))
    assert sum(len(karens_receipts(store, b)) for b in (1, 2)) == 2
    # Nothing new: nothing sent.
    again = anchor_receipts(store, source)
    assert again.batches == () and again.last_batch_no == 2


def test_a_crash_between_record_and_send_is_anchored_once_on_the_next_run(
    world: World, store: SqliteExchangeStore
) -> None:
    source = world.issuer
    add(store, source.address, KAREN, 3)
    with pytest.raises(Crash):
        anchor_receipts(store, source, before_send=crash)
    assert store.last_batch_no() == 1 and not store.unbatched_receipts()
    assert world.reader.receipts.batch_count(source.address) == 0
    add(store, source.address, OTHERS[0])
    restarted = world.base.issuer_chain()  # a new process: fresh client, nonce from the chain
    rerun = anchor_receipts(store, restarted)
    assert [(b.batch_no, b.count, b.resent) for b in rerun.batches] == [
        (1, 3, True),
        (2, 1, False),
    ]
    assert world.reader.receipts.batch_count(source.address) == 2
    on_chain = world.reader.receipts.batch_of(source.address, 1)
    assert on_chain is not None and on_chain.root == seal_batch(store, 1, source.address).root


def test_a_batch_sent_but_not_seen_is_found_on_chain_not_sent_again(
    world: World, store: SqliteExchangeStore
) -> None:
    source = world.issuer
    add(store, source.address, KAREN, 2)

    def sent_then_crash(batch: ReceiptBatch) -> None:
        # The transaction went out (and lands) but the process dies before it learns so.
        source.receipts.anchor(batch.batch_no, batch.root, batch.count)
        raise Crash

    with pytest.raises(Crash):
        anchor_receipts(store, source, before_send=sent_then_crash)
    rerun = anchor_receipts(store, source)
    assert rerun.batches == () and rerun.last_batch_no == 1
    assert world.reader.receipts.batch_count(source.address) == 1


def test_a_retry_racing_its_pending_first_send_finds_the_batch_on_chain(
    world: World, store: SqliteExchangeStore
) -> None:
    source = world.issuer
    add(store, source.address, KAREN, 2)

    def lands_first(batch: ReceiptBatch) -> None:
        # The first run's transaction lands between this run's count and its send.
        if world.reader.receipts.batch_count(source.address) == 0:
            source.receipts.anchor(batch.batch_no, batch.root, batch.count)

    with pytest.raises(Crash):
        anchor_receipts(store, source, before_send=crash)
    rerun = anchor_receipts(store, source, before_send=lands_first)
    assert [(b.batch_no, b.resent, b.tx_hash) for b in rerun.batches] == [(1, True, None)]
    assert world.reader.receipts.batch_count(source.address) == 1


def test_a_store_behind_the_chain_or_with_another_root_stops_anchoring(
    world: World, store: SqliteExchangeStore
) -> None:
    source = world.issuer
    source.receipts.anchor(1, random32(), 1)  # anchored from some other store
    add(store, source.address, KAREN)
    with pytest.raises(ReceiptAnchorDiverged):
        anchor_receipts(store, source)
    assert store.last_batch_no() == 0  # nothing recorded either


def test_a_recorded_batch_that_differs_from_the_chains_is_caught(
    world: World, store: SqliteExchangeStore
) -> None:
    source = world.issuer
    add(store, source.address, KAREN)

    def other_lands_first(batch: ReceiptBatch) -> None:
        source.receipts.anchor(batch.batch_no, random32(), batch.count)

    with pytest.raises(ReceiptAnchorDiverged):
        anchor_receipts(store, source, before_send=other_lands_first)


def test_another_sources_store_is_refused_before_anything_is_sent(
    world: World, store: SqliteExchangeStore
) -> None:
    add(store, world.issuer.address, KAREN)
    with pytest.raises(ReceiptAnchorDiverged, match="another source's"):
        anchor_receipts(store, world.verifier)
    assert store.last_batch_no() == 0
    assert world.reader.receipts.batch_count(world.verifier.address) == 0


def test_a_receipt_without_its_subject_key_is_refused_before_anything_is_recorded(
    world: World, store: SqliteExchangeStore
) -> None:
    store.add_receipt("r1", created_at=1, body=b"{}", leaf=bytes(32), subject_key=None)
    with pytest.raises(ReceiptSubjectKeyInvalid, match="'r1'"):
        anchor_receipts(store, world.issuer)
    assert store.last_batch_no() == 0


@pytest.mark.parametrize("size", [0, 2**32])
def test_batch_sizes_outside_the_contracts_count_are_refused(
    world: World, store: SqliteExchangeStore, size: int
) -> None:
    with pytest.raises(ReceiptBatchSizeInvalid):
        anchor_receipts(store, world.issuer, batch_size=size)


def test_a_suspended_source_cannot_anchor_and_catches_up_once_reinstated(
    world: World, store: SqliteExchangeStore
) -> None:
    source = world.issuer
    add(store, source.address, KAREN)
    world.execute(world.actions.suspend_agency(source.address))
    with pytest.raises(ReceiptRegistryAgencyNotActive):
        anchor_receipts(store, source)
    source.sender.resync_nonce()
    world.execute(world.actions.reinstate_agency(source.address))
    run = anchor_receipts(store, source)
    assert [(b.batch_no, b.resent) for b in run.batches] == [(1, True)]
