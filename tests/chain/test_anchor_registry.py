"""AnchorRegistry: single and batch anchors, gating, bad input, inclusion proofs."""

from __future__ import annotations

import pytest
from chain_helpers import World, assert_role_gated, random32

from ledger.chain.merkle import MerkleTree
from ledger.errors import (
    AnchorRegistryAlreadyAnchored,
    AnchorRegistryBatchTooLarge,
    AnchorRegistryEmptyBatch,
    AnchorRegistryNotAccredited,
    AnchorRegistryZeroDigest,
    AnchorRegistryZeroRoot,
)


def test_accredited_issuer_anchors_a_digest_with_issuer_type_and_time(world: World) -> None:
    digest = random32()
    receipt = world.issuer.anchor(digest, world.type_id)
    record = world.reader.anchor_of(world.issuer.address, digest)
    assert record is not None
    assert (record.issuer, record.type_id, record.count) == (
        world.issuer.address,
        world.type_id,
        1,
    )
    assert record.anchored_at == world.now()
    assert receipt.gas_used <= 55_000


def test_unanchored_digest_has_no_record(world: World) -> None:
    assert world.reader.anchor_of(world.issuer.address, random32()) is None


def test_duplicate_anchor_is_rejected_with_the_first_record(world: World) -> None:
    digest = random32()
    world.issuer.anchor(digest, world.type_id)
    with pytest.raises(AnchorRegistryAlreadyAnchored) as err:
        world.issuer.anchor(digest, world.type_id)
    assert err.value.digest == digest
    assert err.value.issuer == world.issuer.address


def test_zero_digest_is_rejected(world: World) -> None:
    with pytest.raises(AnchorRegistryZeroDigest):
        world.issuer.anchor(bytes(32), world.type_id)


def test_zero_root_is_rejected(world: World) -> None:
    with pytest.raises(AnchorRegistryZeroRoot):
        world.issuer.anchor_batch(bytes(32), world.type_id, 4)


def test_empty_batch_is_rejected(world: World) -> None:
    root = random32()
    with pytest.raises(AnchorRegistryEmptyBatch) as err:
        world.issuer.anchor_batch(root, world.type_id, 0)
    assert err.value.root == root


def test_oversized_batch_is_rejected(world: World) -> None:
    with pytest.raises(AnchorRegistryBatchTooLarge) as err:
        world.issuer.anchor_batch(random32(), world.type_id, 2**24)
    assert (err.value.count, err.value.max) == (2**24, 2**24 - 1)


@pytest.mark.parametrize("who", ["second", "verifier", "outsider"])
def test_unaccredited_caller_cannot_anchor(world: World, who: str) -> None:
    caller = getattr(world, who)
    assert_role_gated(
        caller,
        "AnchorRegistry",
        "anchor",
        [random32(), world.type_id],
        AnchorRegistryNotAccredited,
        agency=caller.address,
        typeId=world.type_id,
    )


def test_issuer_cannot_anchor_a_type_it_is_not_accredited_for(world: World) -> None:
    world.execute(world.actions.register_type("https://example.dk/other", ["a"]))
    other = world.reader.type_id_of("https://example.dk/other")
    with pytest.raises(AnchorRegistryNotAccredited):
        world.issuer.anchor(random32(), other)
    with pytest.raises(AnchorRegistryNotAccredited):
        world.issuer.anchor_batch(random32(), other, 3)


def test_suspended_agency_cannot_anchor(world: World) -> None:
    world.execute(world.actions.suspend_agency(world.issuer.address))
    with pytest.raises(AnchorRegistryNotAccredited):
        world.issuer.anchor(random32(), world.type_id)


def test_batch_root_proves_each_member_and_nothing_else(world: World) -> None:
    digests = [random32() for _ in range(5)]
    tree = MerkleTree.from_digests(digests)
    world.issuer.anchor_batch(tree.root, world.type_id, len(digests))
    issuer = world.issuer.address
    batch = world.reader.batch_of(issuer, tree.root)
    assert batch is not None and batch.count == 5 and batch.is_batch
    for i, digest in enumerate(digests):
        assert world.reader.verify_inclusion(issuer, tree.root, tree.proof(i), digest)
        found = world.reader.inclusion_of(issuer, tree.root, tree.proof(i), digest)
        assert found is not None and found.issuer == world.issuer.address
    # a tampered leaf, a proof for another member, a proof against another root
    assert not world.reader.verify_inclusion(issuer, tree.root, tree.proof(0), random32())
    assert not world.reader.verify_inclusion(issuer, tree.root, tree.proof(1), digests[0])
    other = MerkleTree.from_digests([random32(), random32()])
    assert not world.reader.verify_inclusion(issuer, other.root, tree.proof(0), digests[0])
    assert world.reader.inclusion_of(issuer, tree.root, tree.proof(0), random32()) is None
    # and nothing under another issuer
    second = world.second.address
    assert not world.reader.verify_inclusion(second, tree.root, tree.proof(0), digests[0])
    assert world.reader.inclusion_of(second, tree.root, tree.proof(0), digests[0]) is None


def test_unanchored_root_proves_nothing(world: World) -> None:
    digests = [random32() for _ in range(4)]
    tree = MerkleTree.from_digests(digests)
    assert not world.reader.verify_inclusion(
        world.issuer.address, tree.root, tree.proof(0), digests[0]
    )


def test_duplicate_batch_root_is_rejected(world: World) -> None:
    root = random32()
    world.issuer.anchor_batch(root, world.type_id, 2)
    with pytest.raises(AnchorRegistryAlreadyAnchored):
        world.issuer.anchor_batch(root, world.type_id, 2)


def test_batch_anchor_costs_at_most_ten_gas_per_credential_at_ten_thousand(world: World) -> None:
    receipt = world.issuer.anchor_batch(random32(), world.type_id, 10_000)
    assert receipt.gas_used / 10_000 <= 10
    assert receipt.gas_used / 1_024 <= 100


def test_another_agency_anchoring_the_same_digest_first_takes_nothing(world: World) -> None:
    world.execute(world.actions.accredit(world.second.address, world.type_id))
    digest = random32()
    world.second.anchor(digest, world.type_id)  # copied from the mempool, say
    assert world.reader.anchor_of(world.issuer.address, digest) is None
    world.issuer.anchor(digest, world.type_id)
    ours, theirs = (world.reader.anchor_of(a.address, digest) for a in (world.issuer, world.second))
    assert ours is not None and ours.issuer == world.issuer.address
    assert theirs is not None and theirs.issuer == world.second.address


def test_another_agency_anchoring_the_same_root_first_takes_nothing(world: World) -> None:
    world.execute(world.actions.accredit(world.second.address, world.type_id))
    digests = [random32() for _ in range(3)]
    tree = MerkleTree.from_digests(digests)
    world.second.anchor_batch(tree.root, world.type_id, 3)
    assert world.reader.batch_of(world.issuer.address, tree.root) is None
    world.issuer.anchor_batch(tree.root, world.type_id, 3)
    found = world.reader.inclusion_of(world.issuer.address, tree.root, tree.proof(0), digests[0])
    assert found is not None and found.issuer == world.issuer.address
