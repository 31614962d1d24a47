"""Outbox states added by schema 3: mined-but-unconfirmed anchors, anchors that vanish from the
chain (a reorganisation, a devnet restarted from older state) and credentials held while their
agency was suspended. Against the file-persisted fake chain; the real-chain counterparts are in
`test_issuer_confirmations.py`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from outbox_fakes import FileChain, make_credential

import ledger.agency.outbox as outbox_module
import ledger.agency.outbox_schema as outbox_schema
from ledger.agency.outbox import Outbox
from ledger.errors import (
    BatchStateError,
    CredentialDiscarded,
    CredentialHeld,
    CredentialNotYetAnchored,
    OutboxError,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.db").open()
    yield box
    box.close()


def _anchor_batch(box: Outbox, chain: FileChain, ids: range) -> int:
    """Queue credentials `ids`, seal them into one batch and anchor it (confirmed)."""
    for n in ids:
        box.enqueue(make_credential(n))
    batch = box.seal_batch(1, 100)
    assert batch is not None
    nonce = chain.next_nonce()
    raw, tx_hash = chain.sign(batch.root, 1, nonce)
    box.record_submission(batch.id, raw, tx_hash, nonce)
    chain.broadcast_raw(raw)
    inclusion = chain.anchor_of(batch.root)
    assert inclusion is not None and inclusion.block_number is not None
    box.mark_anchored(
        batch.id, inclusion.block_number, inclusion.anchored_at, block_hash=inclusion.block_hash
    )
    return batch.id


def test_mined_anchor_is_not_delivered_before_it_is_confirmed(
    outbox: Outbox, file_chain: FileChain
) -> None:
    outbox.enqueue(make_credential(0))
    batch = outbox.seal_batch(1, 10)
    assert batch is not None
    raw, tx_hash = file_chain.sign(batch.root, 1, 0)
    outbox.record_submission(batch.id, raw, tx_hash, 0)
    file_chain.broadcast_raw(raw)
    outbox.mark_mined(batch.id, 1, "0xaa", 1_800_000_012)
    assert outbox.batch(batch.id).state == "mined"
    with pytest.raises(CredentialNotYetAnchored, match="mined"):
        outbox.deliverable("c0")
    outbox.mark_anchored(batch.id, None, 1_800_000_012)  # block and hash kept from mined
    delivered = outbox.deliverable("c0")
    assert (delivered.anchor.block_number, outbox.batch(batch.id).block_hash) == (1, "0xaa")


def test_a_mined_batch_needs_its_block_number(outbox: Outbox) -> None:
    outbox.enqueue(make_credential(0))
    batch = outbox.seal_batch(1, 10)
    assert batch is not None
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        outbox._conn.execute(  # the table constraint itself
            "UPDATE batches SET state = 'mined', anchored_at = 1 WHERE id = ?", (batch.id,)
        )


def test_recover_resends_an_anchor_that_vanished_with_its_block(
    outbox: Outbox, file_chain: FileChain
) -> None:
    first = _anchor_batch(outbox, file_chain, range(0, 3))
    second = _anchor_batch(outbox, file_chain, range(3, 5))
    stored = outbox.batch(second)
    file_chain.rollback(1)  # the devnet comes back without block 2
    report = outbox.recover(file_chain)
    assert (report.vanished, report.rebroadcast, report.anchored) == ((second,), (second,), ())
    # The very transaction signed before was mined again: same hash, no second anchor.
    assert file_chain.state()["mined"][-1] == stored.tx_hash
    assert file_chain.state()["reverted"] == []
    with pytest.raises(CredentialNotYetAnchored):  # back to submitted until recover sees it
        outbox.deliverable("c3")
    again = outbox.recover(file_chain)
    assert again.anchored == (second,) and again.vanished == ()
    assert outbox.deliverable("c3").anchor.root == stored.root  # same root and proof as before
    assert outbox.batch(second).rollbacks == 1 and outbox.batch(first).rollbacks == 0


def test_recover_reseals_a_vanished_anchor_whose_nonce_was_taken(
    outbox: Outbox, file_chain: FileChain
) -> None:
    batch_id = _anchor_batch(outbox, file_chain, range(0, 2))
    file_chain.rollback(0)
    file_chain.burn_nonce()  # the agency sent something else with that nonce meanwhile
    report = outbox.recover(file_chain)
    assert (report.vanished, report.resealed) == ((batch_id,), (batch_id,))
    b = outbox.batch(batch_id)
    assert (b.state, b.raw_tx, b.rollbacks) == ("sealed", None, 1)


def test_recover_reseals_a_stored_transaction_behind_a_nonce_gap(
    outbox: Outbox, file_chain: FileChain
) -> None:
    outbox.enqueue(make_credential(0))
    batch = outbox.seal_batch(1, 10)
    assert batch is not None
    raw, tx_hash = file_chain.sign(batch.root, 1, 5)  # nonces 0-4 were lost with their blocks
    outbox.record_submission(batch.id, raw, tx_hash, 5)
    report = outbox.recover(file_chain)  # the fake would refuse the gap: it is never sent
    assert report.resealed == (batch.id,) and file_chain.state()["received"] == []


def test_anchor_still_in_its_block_is_left_alone(outbox: Outbox, file_chain: FileChain) -> None:
    batch_id = _anchor_batch(outbox, file_chain, range(0, 2))
    report = outbox.recover(file_chain)
    assert report.vanished == report.rebroadcast == report.anchored == ()
    assert outbox.batch(batch_id).state == "anchored"
    assert file_chain.state()["received"] == [outbox.batch(batch_id).tx_hash]


# -- held credentials -------------------------------------------------------------------------


def test_credentials_signed_while_suspended_are_held_not_sealed(outbox: Outbox) -> None:
    outbox.enqueue(make_credential(0), held=True)
    assert outbox.seal_batch(1, 10) is None
    with pytest.raises(CredentialHeld):
        outbox.deliverable("c0")
    assert [h.id for h in outbox.held()] == ["c0"] and outbox.held_count() == 1


def test_hold_takes_pending_credentials_and_dissolves_sealed_batches(outbox: Outbox) -> None:
    for n in range(3):
        outbox.enqueue(make_credential(n))
    sealed = outbox.seal_batch(1, 2)
    assert sealed is not None and outbox.pending_count() == 1
    assert outbox.hold_unsubmitted() == 3
    assert outbox.unanchored_batches() == () and outbox.stats().held == 3
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):  # a held credential has no batch
        outbox._conn.execute("UPDATE credentials SET batch_id = 1 WHERE id = 'c0'")


def test_held_credentials_wait_for_an_explicit_decision(outbox: Outbox) -> None:
    for n in range(3):
        outbox.enqueue(make_credential(n), held=True)
    assert outbox.release_held(["c0"]) == 1
    assert outbox.discard_held(["c1"]) == 1
    batch = outbox.seal_batch(1, 10)
    assert batch is not None and batch.credential_ids == ("c0",)
    with pytest.raises(CredentialDiscarded):
        outbox.deliverable("c1")
    with pytest.raises(OutboxError, match="not held"):
        outbox.release_held(["c1", "c2"])  # c1 is discarded: nothing is released
    assert [h.id for h in outbox.held()] == ["c2"]
    assert outbox.discard_held() == 1 and outbox.stats().discarded == 2


def test_mark_vanished_needs_a_recorded_anchor(outbox: Outbox) -> None:
    outbox.enqueue(make_credential(0))
    batch = outbox.seal_batch(1, 10)
    assert batch is not None
    with pytest.raises(BatchStateError):
        outbox.mark_vanished(batch.id, resend=False)


# -- schema 2 -> 3 ----------------------------------------------------------------------------


def _load_v2_outbox(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript((DATA / "outbox_schema_v2.sql").read_text(encoding="utf-8"))


def _sql(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        query = "SELECT name, sql FROM sqlite_master WHERE name != 'sqlite_sequence' ORDER BY name"
        return db.execute(query).fetchall()


def test_outbox_of_schema_version_2_is_upgraded_in_place(
    tmp_path: Path, file_chain: FileChain
) -> None:
    path, fresh = tmp_path / "o.db", tmp_path / "fresh.db"
    _load_v2_outbox(path)
    with Outbox(path) as box:
        assert box.deliverable("c0").anchor.block_number == 1  # delivered before: still is
        assert box.batch(2).state == "submitted" and box.batch(2).single
        assert box.pending_count() == 1 and box.held_count() == 0
        box.enqueue(make_credential(4), held=True)
    Outbox(fresh).open().close()
    assert _sql(path) == _sql(fresh)
    with sqlite3.connect(path) as db:
        version = db.execute("SELECT value FROM outbox_meta WHERE key = 'schema_version'")
        assert version.fetchone() == (str(outbox_module.SCHEMA_VERSION),)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_interrupted_upgrade_leaves_the_version_2_outbox_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "o.db"
    _load_v2_outbox(path)
    before = _sql(path)
    monkeypatch.setattr(outbox_schema, "_BATCHES_INDEX", "CREATE INDEX broken ON nowhere(x)")
    with pytest.raises(OutboxError, match="cannot open outbox"):
        Outbox(path).open()
    assert _sql(path) == before
