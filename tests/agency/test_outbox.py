"""Issuance outbox behaviour: batching, write-ahead submission, delivery gating, recovery."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from outbox_fakes import FileChain, make_credential

import ledger.agency.outbox as outbox_module
import ledger.agency.outbox_schema as outbox_schema
from ledger.agency.outbox import Outbox, SealedBatch
from ledger.chain.merkle import MerkleTree, leaf_hash, verify
from ledger.errors import (
    BatchNotFound,
    BatchStateError,
    CredentialNotFound,
    CredentialNotYetAnchored,
    DuplicateCredential,
    OutboxError,
    OutboxSchemaMismatch,
)

NOW = 1_800_000_000
DATA = Path(__file__).parent / "data"


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.db").open()
    yield box
    box.close()


def _anchor(outbox: Outbox, chain: FileChain, batch_id: int) -> None:
    b = outbox.batch(batch_id)
    raw, tx_hash = chain.sign(b.root, b.type_id, chain.next_nonce())
    outbox.record_submission(batch_id, raw, tx_hash, chain.next_nonce())
    chain.broadcast_raw(raw)
    inc = chain.anchor_of(b.root)
    assert inc is not None
    outbox.mark_anchored(batch_id, inc.block_number, inc.anchored_at)


def _seal_c0(outbox: Outbox) -> SealedBatch:
    """Credential c0 (type 1), enqueued and sealed alone into a batch."""
    outbox.enqueue(make_credential(0))
    batch = outbox.seal_batch(1, max_size=10)
    assert batch is not None
    return batch


def _seal_three(outbox: Outbox) -> SealedBatch:
    """Credentials c0, c1, c2 (type 1), enqueued and sealed into one batch."""
    for i in range(3):
        outbox.enqueue(make_credential(i))
    batch = outbox.seal_batch(1, max_size=10)
    assert batch is not None
    return batch


def _submit(outbox: Outbox, chain: FileChain, batch: SealedBatch) -> tuple[bytes, str]:
    """Sign the batch's anchor at nonce 0 and record it as submitted (not broadcast)."""
    raw, tx_hash = chain.sign(batch.root, 1, 0)
    outbox.record_submission(batch.id, raw, tx_hash, 0)
    return raw, tx_hash


def test_constructor_does_no_io(tmp_path: Path) -> None:
    Outbox(tmp_path / "x" / "outbox.db")
    assert not (tmp_path / "x").exists()


def test_pending_credential_is_not_deliverable(outbox: Outbox) -> None:
    outbox.enqueue(make_credential(0), now=NOW)
    with pytest.raises(CredentialNotYetAnchored, match="pending"):
        outbox.deliverable("c0")


def test_unknown_credential_is_reported(outbox: Outbox) -> None:
    with pytest.raises(CredentialNotFound):
        outbox.deliverable("nope")
    with pytest.raises(BatchNotFound):
        outbox.batch(99)


def test_duplicate_id_or_digest_or_status_index_is_refused(outbox: Outbox) -> None:
    outbox.enqueue(make_credential(0))
    with pytest.raises(DuplicateCredential):
        outbox.enqueue(make_credential(0))
    other = make_credential(1)
    with pytest.raises(DuplicateCredential):
        outbox.enqueue(type(other)(**{**other.__dict__, "digest": make_credential(0).digest}))
    with pytest.raises(DuplicateCredential):
        outbox.enqueue(type(other)(**{**other.__dict__, "status_idx": 0}))
    assert outbox.pending_count() == 1


def test_sealed_root_matches_members_and_every_proof_verifies(outbox: Outbox) -> None:
    creds = [make_credential(i) for i in range(11)]
    for c in creds:
        outbox.enqueue(c, now=NOW)
    batch = outbox.seal_batch(1, max_size=100, now=NOW)
    assert batch is not None
    assert batch.count == 11 and batch.credential_ids == tuple(c.id for c in creds)
    assert batch.root == MerkleTree.from_digests([c.digest for c in creds]).root
    assert outbox.batch_members(batch.id) == tuple(c.digest for c in creds)


def test_seal_takes_only_the_type_oldest_first_up_to_max_size(outbox: Outbox) -> None:
    for i in range(5):
        outbox.enqueue(make_credential(i, type_id=1), now=NOW + i)
    outbox.enqueue(make_credential(5, type_id=2), now=NOW - 10)
    first = outbox.seal_batch(1, max_size=3)
    second = outbox.seal_batch(1, max_size=3)
    assert first is not None and second is not None
    assert first.credential_ids == ("c0", "c1", "c2")
    assert second.credential_ids == ("c3", "c4")
    assert outbox.seal_batch(1, max_size=3) is None
    assert outbox.pending_count() == 1 and outbox.pending_count(2) == 1
    assert outbox.pending_types() == (2,)


def test_credential_is_deliverable_only_once_its_anchor_is_mined(
    outbox: Outbox, file_chain: FileChain
) -> None:
    batch = _seal_three(outbox)
    with pytest.raises(CredentialNotYetAnchored, match="sealed"):
        outbox.deliverable("c1")
    raw, tx_hash = _submit(outbox, file_chain, batch)
    with pytest.raises(CredentialNotYetAnchored, match="submitted"):
        outbox.deliverable("c1")
    with pytest.raises(CredentialNotYetAnchored):
        outbox.deliverables(batch.id)
    file_chain.broadcast_raw(raw)
    outbox.mark_anchored(batch.id, 1, NOW + 12)
    d = outbox.deliverable("c1")
    assert d.compact == make_credential(1).compact
    assert d.anchor.root == batch.root
    assert (d.anchor.block_number, d.anchor.anchored_at) == (1, NOW + 12)
    assert d.anchor.tx_hash == tx_hash
    assert d.anchor.leaf_index == 1
    assert verify(d.anchor.root, d.anchor.proof, leaf_hash(d.digest))
    assert [x.credential_id for x in outbox.deliverables(batch.id)] == ["c0", "c1", "c2"]


def test_single_credential_batch_has_an_empty_proof(outbox: Outbox, file_chain: FileChain) -> None:
    batch = _seal_c0(outbox)
    _anchor(outbox, file_chain, batch.id)
    d = outbox.deliverable("c0")
    assert d.anchor.proof == () and d.anchor.root == leaf_hash(d.digest)


def test_record_submission_is_idempotent_but_refuses_another_tx(
    outbox: Outbox, file_chain: FileChain
) -> None:
    batch = _seal_c0(outbox)
    raw, tx_hash = _submit(outbox, file_chain, batch)
    outbox.record_submission(batch.id, raw, tx_hash, 0)
    other_raw, other_hash = file_chain.sign(batch.root, 1, 1)
    with pytest.raises(BatchStateError):
        outbox.record_submission(batch.id, other_raw, other_hash, 1)
    assert outbox.batch(batch.id).raw_tx == raw


def test_mark_anchored_is_idempotent_and_refuses_a_different_block(outbox: Outbox) -> None:
    batch = _seal_c0(outbox)
    outbox.mark_anchored(batch.id, 5, NOW)
    outbox.mark_anchored(batch.id, 5, NOW)
    with pytest.raises(BatchStateError):
        outbox.mark_anchored(batch.id, 6, NOW + 12)
    with pytest.raises(BatchStateError):
        outbox.record_submission(batch.id, b"x", "0x01", 0)


def test_recover_marks_batches_whose_root_is_already_on_chain(
    outbox: Outbox, file_chain: FileChain
) -> None:
    batch = _seal_c0(outbox)
    raw, tx_hash = _submit(outbox, file_chain, batch)
    file_chain.broadcast_raw(raw)  # mined, then the process died before mark_anchored
    report = outbox.recover(file_chain)
    assert report.anchored == (batch.id,) and report.rebroadcast == ()
    assert outbox.deliverable("c0").anchor.block_number == 1
    assert file_chain.state()["received"] == [tx_hash]  # nothing re-sent


def test_recover_rebroadcasts_the_exact_stored_transaction(
    outbox: Outbox, file_chain: FileChain
) -> None:
    batch = _seal_c0(outbox)
    _, tx_hash = _submit(outbox, file_chain, batch)  # died before broadcasting
    report = outbox.recover(file_chain)
    assert report.rebroadcast == (batch.id,)
    assert file_chain.state()["received"] == [tx_hash]
    again = outbox.recover(file_chain)  # picks up the mined anchor
    assert again.anchored == (batch.id,)
    assert outbox.deliverable("c0").anchor.tx_hash == tx_hash
    assert file_chain.state()["reverted"] == []


def test_recover_reseals_a_batch_whose_transaction_can_never_be_mined(
    outbox: Outbox, file_chain: FileChain
) -> None:
    batch = _seal_c0(outbox)
    _submit(outbox, file_chain, batch)
    file_chain.burn_nonce()  # nonce 0 used by another transaction of the agency
    report = outbox.recover(file_chain)
    assert report.resealed == (batch.id,)
    b = outbox.batch(batch.id)
    assert b.state == "sealed" and b.raw_tx is None
    _anchor(outbox, file_chain, batch.id)
    assert outbox.deliverable("c0").anchor.root == batch.root


def test_recover_leaves_never_submitted_batches_sealed(
    outbox: Outbox, file_chain: FileChain
) -> None:
    batch = _seal_c0(outbox)
    report = outbox.recover(file_chain)
    assert report.sealed == (batch.id,)
    assert file_chain.state()["received"] == []


def test_state_survives_reopen(tmp_path: Path, file_chain: FileChain) -> None:
    path = tmp_path / "o.db"
    with Outbox(path) as box:
        for i in range(4):
            box.enqueue(make_credential(i))
        batch = box.seal_batch(1, max_size=2)
        assert batch is not None
        raw, tx_hash = file_chain.sign(batch.root, 1, 0)
        box.record_submission(batch.id, raw, tx_hash, 0)
    with Outbox(path) as box:
        s = box.stats()
        assert (s.pending, s.batched, s.batches_submitted) == (2, 2, 1)
        assert box.unanchored_batches()[0].raw_tx == raw


def test_stats_count_by_state(outbox: Outbox, file_chain: FileChain) -> None:
    for i in range(5):
        outbox.enqueue(make_credential(i))
    b1 = outbox.seal_batch(1, max_size=2)
    outbox.seal_batch(1, max_size=2)
    assert b1 is not None
    _anchor(outbox, file_chain, b1.id)
    s = outbox.stats()
    assert (s.pending, s.batched, s.anchored) == (1, 2, 2)
    assert (s.batches_sealed, s.batches_submitted, s.batches_anchored) == (1, 0, 1)


def test_outbox_with_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    Outbox(path).open().close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE outbox_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(OutboxSchemaMismatch):
        Outbox(path).open()


def test_outbox_and_status_allocator_share_one_file(tmp_path: Path) -> None:
    from ledger.agency.status_alloc import StatusIndexAllocator

    path = tmp_path / "agency.db"
    with Outbox(path) as box, StatusIndexAllocator(path) as alloc:
        idx = alloc.allocate(1, 1 << 16)
        box.enqueue(make_credential(idx))
        assert box.pending_count() == 1 and alloc.allocated(1) == 1


def test_enqueue_many_is_all_or_nothing(outbox: Outbox) -> None:
    outbox.enqueue(make_credential(3))
    with pytest.raises(DuplicateCredential):
        outbox.enqueue_many([make_credential(i) for i in range(5)])
    assert outbox.pending_count() == 1
    outbox.enqueue_many([make_credential(i) for i in (0, 1, 2, 4)])
    assert outbox.pending_count() == 5


def test_anchor_without_known_block_number_is_still_deliverable(outbox: Outbox) -> None:
    batch = _seal_c0(outbox)
    outbox.record_submission(batch.id, b"raw", "0xabc", 0)
    outbox.mark_anchored(batch.id, None, NOW + 12)
    d = outbox.deliverable("c0")
    assert (d.anchor.block_number, d.anchor.anchored_at) == (None, NOW + 12)


def test_block_number_learnt_later_is_filled_in(outbox: Outbox) -> None:
    batch = _seal_c0(outbox)
    outbox.mark_anchored(batch.id, None, NOW)
    outbox.mark_anchored(batch.id, 7, NOW)
    outbox.mark_anchored(batch.id, None, NOW)
    assert outbox.batch(batch.id).block_number == 7
    with pytest.raises(BatchStateError):
        outbox.mark_anchored(batch.id, 7, NOW + 1)


def _enqueue_single_c0(outbox: Outbox, chain: FileChain) -> tuple[int, bytes, str]:
    """Credential c0 stored with its signed single anchor at nonce 0 (not broadcast)."""
    credential = make_credential(0)
    raw, tx_hash = chain.sign(credential.digest, 1, 0)
    return outbox.enqueue_single(credential, raw, tx_hash, 0, now=NOW), raw, tx_hash


def test_single_anchor_is_stored_with_its_transaction_in_one_step(
    outbox: Outbox, file_chain: FileChain
) -> None:
    batch_id, raw, tx_hash = _enqueue_single_c0(outbox, file_chain)
    b = outbox.batch(batch_id)
    assert b.single and b.state == "submitted" and (b.raw_tx, b.tx_hash) == (raw, tx_hash)
    assert b.root == make_credential(0).digest and b.count == 1
    assert outbox.pending_count() == 0  # never swept into a Merkle batch
    assert outbox.seal_batch(1, max_size=10) is None
    with pytest.raises(CredentialNotYetAnchored):
        outbox.deliverable("c0")


def test_single_anchor_is_delivered_without_a_merkle_proof(
    outbox: Outbox, file_chain: FileChain
) -> None:
    batch_id, raw, tx_hash = _enqueue_single_c0(outbox, file_chain)
    file_chain.broadcast_raw(raw)
    inc = file_chain.anchor_of(make_credential(0).digest, single=True)
    assert inc is not None
    outbox.mark_anchored(batch_id, inc.block_number, inc.anchored_at)
    anchor = outbox.deliverable("c0").anchor
    assert anchor.single and anchor.proof == () and anchor.tx_hash == tx_hash
    assert anchor.root == make_credential(0).digest


def test_recover_rebroadcasts_a_single_anchor_lost_in_a_crash(
    outbox: Outbox, file_chain: FileChain
) -> None:
    batch_id, _, tx_hash = _enqueue_single_c0(outbox, file_chain)  # died before broadcasting
    assert outbox.recover(file_chain).rebroadcast == (batch_id,)
    assert outbox.recover(file_chain).anchored == (batch_id,)
    assert outbox.deliverable("c0").anchor.tx_hash == tx_hash
    assert file_chain.state()["received"] == [tx_hash]


def test_single_anchor_of_a_queued_credential_is_refused(
    outbox: Outbox, file_chain: FileChain
) -> None:
    outbox.enqueue(make_credential(0))
    with pytest.raises(DuplicateCredential):
        _enqueue_single_c0(outbox, file_chain)
    assert outbox.stats().batches_submitted == 0  # all or nothing


def _batches_sql(path: Path, table: str = "batches") -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        query = "SELECT name, sql FROM sqlite_master WHERE tbl_name = ? ORDER BY name"
        return db.execute(query, (table,)).fetchall()


def _load_v1_outbox(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript((DATA / "outbox_schema_v1.sql").read_text(encoding="utf-8"))


def test_outbox_of_schema_version_1_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    _load_v1_outbox(path)
    with Outbox(path) as box:
        assert not box.batch(1).single
        assert box.deliverable("c0").anchor.anchored_at == 1_800_000_012
        assert box.pending_count() == 2
        batch = box.seal_batch(1, max_size=10)
        assert batch is not None and batch.count == 2
    with sqlite3.connect(path) as db:
        version = db.execute("SELECT value FROM outbox_meta WHERE key = 'schema_version'")
        assert version.fetchone() == (str(outbox_module.SCHEMA_VERSION),)
        assert batch.id == 2  # ids go on from the old table's AUTOINCREMENT mark
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_upgraded_outbox_has_the_schema_of_a_new_one(tmp_path: Path) -> None:
    fresh, old = tmp_path / "fresh.db", tmp_path / "old.db"
    Outbox(fresh).open().close()
    _load_v1_outbox(old)
    Outbox(old).open().close()
    assert _batches_sql(old) == _batches_sql(fresh)
    assert _batches_sql(old, "credentials") == _batches_sql(fresh, "credentials")
    with sqlite3.connect(old) as db, pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute(  # a single anchor holds exactly one credential
            "INSERT INTO batches (root, type_id, count, state, created_at, single)"
            " VALUES (?, 1, 2, 'sealed', 0, 1)",
            (b"\x01" * 32,),
        )


def test_interrupted_upgrade_leaves_the_version_1_outbox_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "o.db"
    _load_v1_outbox(path)
    before = _batches_sql(path)
    monkeypatch.setattr(outbox_schema, "_BATCHES_INDEX", "CREATE INDEX broken ON nowhere(x)")
    with pytest.raises(OutboxError, match="cannot open outbox"):
        Outbox(path).open()
    assert _batches_sql(path) == before
    with sqlite3.connect(path) as db:
        version = db.execute("SELECT value FROM outbox_meta WHERE key = 'schema_version'")
        assert version.fetchone() == ("1",)
        assert db.execute("SELECT count(*) FROM batches").fetchone() == (1,)
