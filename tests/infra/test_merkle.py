from __future__ import annotations

import pytest
from eth_hash.auto import keccak  # pycryptodome backend: independent of merkle.py's pysha3
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.chain.merkle import MerkleTree, hash_pair, leaf_hash, verify
from ledger.errors import InputError

ZERO_KECCAK = bytes.fromhex("290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563")


def _naive_root(leaves: list[bytes]) -> bytes:
    """Textbook construction, written independently: pair neighbours, promote the odd one."""
    level = list(leaves)
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), 2):
            if i + 1 == len(level):
                nxt.append(level[i])
            else:
                left, right = sorted((level[i], level[i + 1]))
                nxt.append(keccak(left + right))
        level = nxt
    return level[0]


def _digests(n: int) -> list[bytes]:
    return [keccak(i.to_bytes(4, "big")) for i in range(n)]


def test_leaf_is_keccak_of_keccak_of_the_digest() -> None:
    assert keccak(bytes(32)) == ZERO_KECCAK
    assert leaf_hash(bytes(32)) == keccak(ZERO_KECCAK)


def test_leaf_digest_must_be_32_bytes() -> None:
    with pytest.raises(InputError):
        leaf_hash(b"short")


def test_pairs_hash_in_sorted_order() -> None:
    a, b = b"\x01" * 32, b"\x02" * 32
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(a + b)


def test_single_leaf_tree_is_its_own_root_with_empty_proof() -> None:
    leaf = leaf_hash(b"\x07" * 32)
    tree = MerkleTree.from_leaves([leaf])
    assert tree.root == leaf
    assert tree.proof(0) == []
    assert verify(tree.root, [], leaf)


def test_empty_tree_is_rejected() -> None:
    with pytest.raises(InputError):
        MerkleTree.from_leaves([])


@pytest.mark.parametrize("count", [2, 3, 4, 5, 7, 8, 9, 33, 100])
def test_root_matches_naive_construction_and_every_proof_verifies(count: int) -> None:
    leaves = [leaf_hash(d) for d in _digests(count)]
    tree = MerkleTree.from_digests(_digests(count))
    assert tree.leaves == tuple(leaves)
    assert tree.root == _naive_root(leaves)
    for i, leaf in enumerate(leaves):
        assert MerkleTree.verify(tree.root, tree.proof(i), leaf)


def test_proof_does_not_verify_another_leaf_or_root() -> None:
    tree = MerkleTree.from_digests(_digests(10))
    proof = tree.proof(3)
    assert not verify(tree.root, proof, tree.leaves[4])
    assert not verify(b"\x00" * 32, proof, tree.leaves[3])
    assert not verify(tree.root, proof[:-1], tree.leaves[3])


def test_proof_index_out_of_range_is_rejected() -> None:
    tree = MerkleTree.from_digests(_digests(3))
    with pytest.raises(InputError):
        tree.proof(3)


def test_proof_length_is_logarithmic() -> None:
    tree = MerkleTree.from_digests(_digests(1024))
    assert {len(tree.proof(i)) for i in (0, 511, 1023)} == {10}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40))
def test_any_tree_proves_all_its_leaves(digests: list[bytes]) -> None:
    tree = MerkleTree.from_digests(digests)
    assert tree.root == _naive_root([leaf_hash(d) for d in digests])
    for i in range(len(digests)):
        assert verify(tree.root, tree.proof(i), leaf_hash(digests[i]))


def test_tree_rejects_digests_and_leaves_of_the_wrong_size() -> None:
    with pytest.raises(InputError):
        MerkleTree.from_digests([bytes(32), bytes(31)])
    with pytest.raises(InputError):
        MerkleTree.from_leaves([bytes(33)])
