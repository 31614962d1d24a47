"""The sparse Merkle tree: every key's proof verifies, nothing else does, malformed proofs are
refused with their specific error."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import (
    SmtProofBitmapMismatch,
    SmtProofHashInvalid,
    SmtProofInvalid,
    SmtProofMalformed,
)
from ledger.exchange.smt import (
    EMPTY,
    SmtProof,
    SparseMerkleTree,
    leaf_hash,
    node_hash,
    parse_proof,
    verify_proof,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
hashes = st.binary(min_size=32, max_size=32)
entries = st.dictionaries(hashes, hashes, max_size=40)


def flip(data: bytes, bit: int = 0) -> bytes:
    return bytes([data[0] ^ (1 << bit)]) + data[1:]


@SETTINGS
@given(entries)
def test_every_keys_proof_verifies(tree_entries: dict[bytes, bytes]) -> None:
    tree = SparseMerkleTree(tree_entries)
    for key, value in tree_entries.items():
        proof = tree.proof(key)
        verify_proof(tree.root, key, value, proof)
        assert parse_proof(json.dumps(proof.to_json())) == proof
        assert tree.get(key) == value


@SETTINGS
@given(entries, hashes)
def test_an_absent_keys_proof_verifies_its_absence(
    tree_entries: dict[bytes, bytes], key: bytes
) -> None:
    tree_entries.pop(key, None)
    tree = SparseMerkleTree(tree_entries)
    proof = tree.proof(key)
    verify_proof(tree.root, key, None, proof)
    assert tree.get(key) is None
    for value in (bytes(32), *tree_entries.values()):
        with pytest.raises(SmtProofInvalid):
            verify_proof(tree.root, key, value, proof)


@SETTINGS
@given(entries.filter(bool), st.data())
def test_a_changed_value_or_key_fails(
    tree_entries: dict[bytes, bytes], data: st.DataObject
) -> None:
    tree = SparseMerkleTree(tree_entries)
    key = data.draw(st.sampled_from(sorted(tree_entries)))
    value = tree_entries[key]
    proof = tree.proof(key)
    bit = data.draw(st.integers(0, 7))
    with pytest.raises(SmtProofInvalid):
        verify_proof(tree.root, key, flip(value, bit), proof)
    with pytest.raises(SmtProofInvalid):
        verify_proof(tree.root, key, None, proof)  # claiming it absent
    other = data.draw(hashes.filter(lambda k: k != key))
    with pytest.raises(SmtProofInvalid):
        verify_proof(tree.root, other, value, proof)


@SETTINGS
@given(entries.filter(bool), entries, st.data())
def test_a_proof_for_another_root_fails(
    tree_entries: dict[bytes, bytes], more: dict[bytes, bytes], data: st.DataObject
) -> None:
    tree = SparseMerkleTree(tree_entries)
    key = data.draw(st.sampled_from(sorted(tree_entries)))
    others = {**more, **tree_entries, os.urandom(32): os.urandom(32)}
    other_tree = SparseMerkleTree(others)
    assert other_tree.root != tree.root
    with pytest.raises(SmtProofInvalid):
        verify_proof(other_tree.root, key, tree_entries[key], tree.proof(key))


def test_the_empty_tree_root_is_the_empty_subtree_of_full_height() -> None:
    tree = SparseMerkleTree({})
    assert tree.root == EMPTY[256] == node_hash(EMPTY[255], EMPTY[255])
    assert EMPTY[0] == bytes(32)
    key = os.urandom(32)
    verify_proof(tree.root, key, None, tree.proof(key))
    assert tree.proof(key) == SmtProof(depth=0, bitmap=0, siblings=())


def test_a_lone_entry_is_its_leaf_hash_and_the_hashes_are_domain_separated() -> None:
    key, value = os.urandom(32), os.urandom(32)
    tree = SparseMerkleTree({key: value})
    assert tree.root == leaf_hash(key, value) == hashlib.sha256(b"\x00" + key + value).digest()
    assert node_hash(key, value) == hashlib.sha256(b"\x01" + key + value).digest()
    other = flip(key, 7)
    proof = tree.proof(other)
    assert proof.other == (key, value)
    verify_proof(tree.root, other, None, proof)


def test_keys_sharing_255_bits_split_at_the_bottom() -> None:
    a = bytes(31) + b"\x00"
    b = bytes(31) + b"\x01"
    tree = SparseMerkleTree({a: b"\x0a" * 32, b: b"\x0b" * 32})
    proof = tree.proof(a)
    assert proof.depth == 256 and len(proof.siblings) == 1
    verify_proof(tree.root, a, b"\x0a" * 32, proof)
    verify_proof(tree.root, b, b"\x0b" * 32, tree.proof(b))
    c = bytes(31) + b"\x02"  # shares 254 bits, absent
    verify_proof(tree.root, c, None, tree.proof(c))


def test_an_absence_proof_cannot_name_an_entry_off_the_keys_path() -> None:
    entries_ = {os.urandom(32): os.urandom(32) for _ in range(50)}
    tree = SparseMerkleTree(entries_)
    key = next(k for k in (os.urandom(32) for _ in range(1000)) if tree.proof(k).other)
    proof = tree.proof(key)
    for other_key, other_value in entries_.items():
        if proof.other and other_key != proof.other[0]:
            forged = SmtProof(proof.depth, proof.bitmap, proof.siblings, (other_key, other_value))
            with pytest.raises(SmtProofInvalid):
                verify_proof(tree.root, key, None, forged)
    with pytest.raises(SmtProofInvalid, match="not on the key's path"):
        assert proof.other is not None
        verify_proof(tree.root, proof.other[0], None, proof)  # "absent" entry is itself


def test_ten_thousand_entries_build_and_prove() -> None:
    tree_entries = {os.urandom(32): os.urandom(32) for _ in range(10_000)}
    tree = SparseMerkleTree(tree_entries)
    assert len(tree) == 10_000
    for key in list(tree_entries)[:50]:
        verify_proof(tree.root, key, tree_entries[key], tree.proof(key))


# -- proofs from outside --------------------------------------------------------------------


def _proof_json() -> dict[str, object]:
    tree = SparseMerkleTree({os.urandom(32): os.urandom(32) for _ in range(20)})
    return tree.proof(os.urandom(32)).to_json()


H = "ab" * 32


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (b"", SmtProofMalformed, "not a proof"),
        (b"[" * 200 + b"]" * 200, SmtProofMalformed, "not a proof"),
        (b" " * (33 * 1024), SmtProofMalformed, "not a proof"),
        (b"[]", SmtProofMalformed, "JSON object"),
        (b'{"depth":0,"bitmap":"' + b"0" * 64 + b'"}', SmtProofMalformed, "members"),
        (
            json.dumps({"depth": 0, "bitmap": "0" * 64, "siblings": [], "x": 1}),
            SmtProofMalformed,
            "members",
        ),
        (
            json.dumps({"depth": 257, "bitmap": "0" * 64, "siblings": []}),
            SmtProofMalformed,
            "depth",
        ),
        (
            json.dumps({"depth": 1.0, "bitmap": "0" * 64, "siblings": []}),
            SmtProofMalformed,
            "depth",
        ),
        (
            json.dumps({"depth": 0, "bitmap": "0" * 64, "siblings": {}}),
            SmtProofMalformed,
            "siblings",
        ),
        (
            json.dumps({"depth": 0, "bitmap": "0" * 64, "siblings": [H] * 257}),
            SmtProofMalformed,
            "siblings",
        ),
        (
            json.dumps({"depth": 0, "bitmap": "0" * 63, "siblings": []}),
            SmtProofHashInvalid,
            "bitmap",
        ),
        (
            json.dumps({"depth": 1, "bitmap": "8" + "0" * 63, "siblings": [H.upper()]}),
            SmtProofHashInvalid,
            "sibling",
        ),
        (
            json.dumps({"depth": 1, "bitmap": "8" + "0" * 63, "siblings": ["zz" * 32]}),
            SmtProofHashInvalid,
            "sibling",
        ),
        (
            json.dumps({"depth": 1, "bitmap": "8" + "0" * 63, "siblings": [7]}),
            SmtProofHashInvalid,
            "sibling",
        ),
        (
            json.dumps({"depth": 1, "bitmap": "8" + "0" * 63, "siblings": []}),
            SmtProofBitmapMismatch,
            "marks 1 siblings, the proof has 0",
        ),
        (
            json.dumps({"depth": 1, "bitmap": "0" * 64, "siblings": [H]}),
            SmtProofBitmapMismatch,
            "marks 0 siblings, the proof has 1",
        ),
        (
            json.dumps({"depth": 1, "bitmap": "4" + "0" * 63, "siblings": [H]}),
            SmtProofBitmapMismatch,
            "past the proof's depth",
        ),
        (
            json.dumps({"depth": 0, "bitmap": "0" * 64, "siblings": [], "other": {"key": H}}),
            SmtProofMalformed,
            "other",
        ),
        (
            json.dumps(
                {"depth": 0, "bitmap": "0" * 64, "siblings": [], "other": {"key": H, "value": "00"}}
            ),
            SmtProofHashInvalid,
            "other.value",
        ),
    ],
)
def test_a_malformed_proof_is_refused(
    data: bytes | str, error: type[SmtProofMalformed], match: str
) -> None:
    with pytest.raises(error, match=match) as info:
        parse_proof(data)
    assert type(info.value) is error


def test_a_well_formed_proof_parses() -> None:
    obj = _proof_json()
    assert parse_proof(json.dumps(obj)).to_json() == obj


def test_verify_refuses_a_root_or_key_of_the_wrong_size() -> None:
    proof = SmtProof(depth=0, bitmap=0, siblings=())
    with pytest.raises(SmtProofHashInvalid):
        verify_proof(b"\x00" * 31, bytes(32), None, proof)
    with pytest.raises(SmtProofHashInvalid):
        verify_proof(EMPTY[256], b"k", None, proof)


def test_an_empty_sibling_listed_explicitly_is_refused() -> None:
    key = bytes(32)
    tree = SparseMerkleTree({key: b"\x01" * 32, b"\x01" + bytes(31): b"\x02" * 32})
    proof = tree.proof(key)  # depth 8: seven empty siblings above the one with the other key
    assert proof.depth == 8 and len(proof.siblings) == 1
    padded = SmtProof(
        depth=proof.depth,
        bitmap=proof.bitmap | (1 << 255),
        siblings=(EMPTY[255], *proof.siblings),
    )
    with pytest.raises(SmtProofInvalid, match="empty subtree"):
        verify_proof(tree.root, key, b"\x01" * 32, padded)
