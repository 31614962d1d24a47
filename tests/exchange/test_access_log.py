"""The citizen's access log: an honest source passes; a source that drops, alters, adds or hides
a receipt, or skips a batch, is caught with the specific error."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

import pytest

from ledger._rand import UnsafeDeterministicRandom
from ledger.errors import (
    AccessLogAltered,
    AccessLogGap,
    AccessLogIncomplete,
    AccessLogProofInvalid,
    AccessLogUnanchored,
    BatchNumberInvalid,
    ReceiptBatchInvalid,
    SmtProofHashInvalid,
    SmtProofMalformed,
)
from ledger.exchange.access_log import (
    AnchoredBatch,
    ReceiptBatch,
    SlotProof,
    VerifiedBatchLog,
    build_batch,
    check_batch_sequence,
    check_log_covers,
    parse_slot_proof,
    slot_value,
    verify_my_batch,
    verify_receipt_anchored,
)
from ledger.exchange.pseudonym import SourceLogKey, citizen_pseudonym
from ledger.exchange.receipts import AccessReceipt, LegalBasis, Outcome
from ledger.exchange.smt import SparseMerkleTree
from ledger.sdjwt.jwk import SigningKey

SOURCE = "0x" + "11" * 20
KOMMUNE = "0x" + "22" * 20
BANK = "0x" + "33" * 20
RNG = UnsafeDeterministicRandom(17)


def receipt(requester: str = KOMMUNE, t: int = 1_780_000_000, **kw: object) -> AccessReceipt:
    outcome = kw.pop("outcome", Outcome.ANSWERED)
    return AccessReceipt.new(
        source=SOURCE,
        requester=requester,
        vct="https://cpr.example/person",
        claims=["age_over_18", "address.municipality"],
        purpose=str(kw.pop("purpose", "Boligstøtte")),
        legal_basis=LegalBasis.PUBLIC_TASK,
        case_ref="KK-1",
        outcome=outcome,  # type: ignore[arg-type]
        answer=None if outcome != Outcome.ANSWERED else "a.b.c~",
        now=t,
        rng=RNG,
    )


class World:
    """A source with a log key, Karen (a holder key), and other subjects, over two batches."""

    def __init__(self) -> None:
        self.log_key = SourceLogKey.generate(rng=UnsafeDeterministicRandom(1))
        self.karen = SigningKey.generate(rng=UnsafeDeterministicRandom(2))
        self.others = [SigningKey.generate(rng=UnsafeDeterministicRandom(10 + i)) for i in range(5)]
        self.karens: dict[int, list[AccessReceipt]] = {
            1: [receipt(t=1), receipt(BANK, t=2, outcome=Outcome.NO_CONSENT), receipt(t=3)],
            2: [],
        }
        self.theirs: dict[int, list[tuple[bytes, AccessReceipt]]] = {}
        self.batches: dict[int, ReceiptBatch] = {}
        for batch_no in (1, 2):
            pairs = [
                (self.log_key.pseudonym(self.karen.public_jwk, batch_no), r)
                for r in self.karens[batch_no]
            ]
            theirs = [
                (self.log_key.pseudonym(o.public_jwk, batch_no), receipt(t=10 + i))
                for i, o in enumerate(self.others)
            ]
            self.theirs[batch_no] = theirs
            self.batches[batch_no] = build_batch(batch_no, pairs + theirs)

    def pseudonym(self, batch_no: int) -> bytes:
        """Karen computes it herself."""
        return citizen_pseudonym(self.karen, self.log_key.public_jwk, batch_no)

    def verify(
        self, batch_no: int, received: Sequence[AccessReceipt], proof: SlotProof | None = None
    ) -> VerifiedBatchLog:
        batch = self.batches[batch_no]
        if proof is None:
            proof = batch.proof_for(self.log_key.pseudonym(self.karen.public_jwk, batch_no))
        return verify_my_batch(batch.root, batch_no, self.pseudonym(batch_no), received, proof)


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def test_an_honest_source_passes(world: World) -> None:
    result = world.verify(1, world.karens[1])
    assert result.receipts == tuple(world.karens[1])
    assert (result.batch_no, result.root) == (1, world.batches[1].root)
    assert world.batches[1].count == 8 and world.batches[1].slot_count == 6


def test_the_order_receipts_arrive_in_does_not_matter(world: World) -> None:
    result = world.verify(1, list(reversed(world.karens[1])))
    assert result.receipts == tuple(world.karens[1])  # by time


def test_a_subject_without_receipts_gets_a_valid_absence_proof(world: World) -> None:
    proof = world.batches[2].proof_for(world.pseudonym(2))
    assert proof.leaves == ()
    result = world.verify(2, [], proof)
    assert result.receipts == ()


def test_a_dropped_receipt_is_caught(world: World) -> None:
    with pytest.raises(AccessLogIncomplete, match="1 receipt"):
        world.verify(1, world.karens[1][:2])


def test_an_empty_answer_for_a_subject_with_receipts_is_caught(world: World) -> None:
    with pytest.raises(AccessLogIncomplete, match="3 receipt"):
        world.verify(1, [])


def test_an_absence_proof_for_a_subject_with_receipts_is_caught(world: World) -> None:
    # The source shows her the proof of another slot, or an absence proof it made up.
    other = world.batches[1].proof_for(world.theirs[1][0][0])
    with pytest.raises(AccessLogProofInvalid):
        world.verify(1, [], SlotProof(smt=other.smt, leaves=()))
    with pytest.raises(AccessLogProofInvalid):
        world.verify(1, [world.theirs[1][0][1]], other)
    # A tree without her slot, anchored nowhere.
    without_her = SparseMerkleTree({p: slot_value([r.leaf]) for p, r in world.theirs[1]})
    with pytest.raises(AccessLogProofInvalid):
        world.verify(1, [], SlotProof(smt=without_her.proof(world.pseudonym(1)), leaves=()))


def test_an_altered_receipt_is_caught(world: World) -> None:
    original = world.karens[1][1]
    altered = dataclasses.replace(original, requester=KOMMUNE)  # hide who asked
    with pytest.raises(AccessLogAltered, match="1 receipt"):
        world.verify(1, [world.karens[1][0], altered, world.karens[1][2]])


def test_altered_slot_leaves_are_caught(world: World) -> None:
    honest = world.batches[1].proof_for(world.pseudonym(1))
    altered = dataclasses.replace(world.karens[1][1], purpose="Andet")
    forged = SlotProof(
        smt=honest.smt,
        leaves=tuple(sorted([world.karens[1][0].leaf, altered.leaf, world.karens[1][2].leaf])),
    )
    with pytest.raises(AccessLogProofInvalid):
        world.verify(1, [world.karens[1][0], altered, world.karens[1][2]], forged)
    with pytest.raises(AccessLogProofInvalid, match="twice"):
        world.verify(1, world.karens[1], SlotProof(honest.smt, (*honest.leaves, honest.leaves[0])))


def test_another_subjects_receipt_added_is_caught(world: World) -> None:
    theirs = world.theirs[1][0][1]
    with pytest.raises(AccessLogUnanchored, match="1 receipt"):
        world.verify(1, [*world.karens[1], theirs])
    with pytest.raises(AccessLogUnanchored):
        world.verify(2, [theirs])  # a batch where she has no slot


def test_a_receipt_given_twice_is_caught(world: World) -> None:
    with pytest.raises(AccessLogUnanchored):
        world.verify(1, [*world.karens[1], world.karens[1][0]])


def test_a_receipt_moved_to_another_batch_is_caught(world: World) -> None:
    with pytest.raises(AccessLogUnanchored):
        world.verify(2, [world.karens[1][0]])
    with pytest.raises(AccessLogIncomplete):
        world.verify(1, world.karens[1][1:])


def test_a_proof_for_another_batch_is_caught(world: World) -> None:
    proof = world.batches[1].proof_for(world.pseudonym(1))
    with pytest.raises(AccessLogProofInvalid):
        verify_my_batch(world.batches[2].root, 2, world.pseudonym(2), world.karens[1], proof)


def test_a_slot_proof_round_trips_through_json_and_refuses_bad_leaves(world: World) -> None:
    proof = world.batches[1].proof_for(world.pseudonym(1))
    text = json.dumps(proof.to_json())
    assert parse_slot_proof(text) == proof
    obj = proof.to_json()
    with pytest.raises(SmtProofHashInvalid):
        parse_slot_proof(json.dumps({**obj, "leaves": ["AB" * 32]}))
    with pytest.raises(SmtProofMalformed, match="members"):
        parse_slot_proof(json.dumps({"smt": obj["smt"]}))
    with pytest.raises(SmtProofMalformed, match="not a slot proof"):
        parse_slot_proof(b"{")
    with pytest.raises(SmtProofMalformed, match="JSON object"):
        parse_slot_proof(json.dumps({**obj, "smt": []}))


def test_building_a_batch_refuses_a_receipt_twice_and_bad_pseudonyms(world: World) -> None:
    r = world.karens[1][0]
    with pytest.raises(ReceiptBatchInvalid, match="twice"):
        build_batch(1, [(b"\x01" * 32, r), (b"\x02" * 32, r)])
    with pytest.raises(ReceiptBatchInvalid, match="32 bytes"):
        build_batch(1, [(b"\x01" * 31, r)])
    with pytest.raises(BatchNumberInvalid):
        build_batch(0, [(b"\x01" * 32, r)])
    # Leaves stand for receipts (what a store keeps).
    assert build_batch(1, [(b"\x01" * 32, r.leaf)]).root == build_batch(1, [(b"\x01" * 32, r)]).root


def test_ten_thousand_receipts_batch_and_every_subject_checks(world: World) -> None:
    rng = UnsafeDeterministicRandom(5)
    pairs = [(rng.token_bytes(32), receipt(t=i)) for i in range(2_000)]
    batch = build_batch(7, pairs)
    assert batch.count == 2_000
    for pseudonym, r in pairs[:100]:
        verify_my_batch(batch.root, 7, pseudonym, [r], batch.proof_for(pseudonym))


# -- the sequence of batches ---------------------------------------------------------------


def anchored(*numbers: int) -> list[AnchoredBatch]:
    return [AnchoredBatch(batch_no=n, root=bytes([n]) * 32, count=1) for n in numbers]


def test_a_contiguous_sequence_passes() -> None:
    assert check_batch_sequence(anchored(1, 2, 3)) == 3
    assert check_batch_sequence([]) == 0


@pytest.mark.parametrize(
    ("numbers", "match"),
    [
        ((2, 3), "batch 1 is missing"),
        ((1, 2, 4), "batch 3 is missing"),
        ((1, 2, 2, 3), "batch 2 is listed again"),
        ((1, 3, 2), "batch 2 is missing"),
    ],
)
def test_a_gap_repeat_or_reorder_in_the_sequence_is_caught(
    numbers: tuple[int, ...], match: str
) -> None:
    with pytest.raises(AccessLogGap, match=match):
        check_batch_sequence(anchored(*numbers))


def test_the_log_must_cover_every_anchored_batch(world: World) -> None:
    chain = [AnchoredBatch(n, world.batches[n].root, world.batches[n].count) for n in (1, 2)]
    one = world.verify(1, world.karens[1])
    two = world.verify(2, [])
    assert check_log_covers(chain, [two, one]) == (one, two)
    with pytest.raises(AccessLogIncomplete, match="batch 2"):
        check_log_covers(chain, [one])
    with pytest.raises(AccessLogProofInvalid, match="batch 1"):
        check_log_covers(chain, [dataclasses.replace(one, root=bytes(32)), two])
    with pytest.raises(AccessLogUnanchored, match="batch 3"):
        check_log_covers(chain, [one, two, dataclasses.replace(two, batch_no=3)])
    with pytest.raises(AccessLogGap):
        check_log_covers(chain[1:], [two])


def test_a_requester_can_audit_that_its_receipt_is_anchored(world: World) -> None:
    batch = world.batches[1]
    slot = world.log_key.pseudonym(world.karen.public_jwk, 1)
    mine = world.karens[1][1]
    verify_receipt_anchored(batch.root, 1, slot, mine, batch.proof_for(slot))
    # A source that dropped it: the slot without it, or another slot, or no slot at all.
    dropped = build_batch(1, [(slot, r) for r in world.karens[1] if r is not mine])
    with pytest.raises(AccessLogUnanchored, match="not anchored"):
        verify_receipt_anchored(dropped.root, 1, slot, mine, dropped.proof_for(slot))
    with pytest.raises(AccessLogProofInvalid):
        verify_receipt_anchored(batch.root, 1, slot, mine, dropped.proof_for(slot))
    other = world.theirs[1][0][0]
    with pytest.raises(AccessLogProofInvalid):
        verify_receipt_anchored(batch.root, 1, slot, mine, batch.proof_for(other))
    with pytest.raises(AccessLogUnanchored, match="no receipts"):
        verify_receipt_anchored(batch.root, 1, slot, mine, world.batches[2].proof_for(slot))
