"""A sparse Merkle tree over 256-bit keys, with compact proofs of a key's value or its absence.

Hashing (SHA-256, leaf and node domain-separated):

- a subtree with no entry, at height h (h levels above the leaves), hashes to ``EMPTY[h]``:
  ``EMPTY[0]`` is 32 zero bytes, ``EMPTY[h] = node(EMPTY[h-1], EMPTY[h-1])``, precomputed;
- a subtree with exactly one entry (k, v), at any height, hashes to
  ``leaf(k, v) = SHA-256(0x00 || k || v)``;
- any other subtree hashes to ``node(l, r) = SHA-256(0x01 || l || r)``.

The key's bits, most significant first, choose the path (0 left, 1 right). The one-entry rule is
the shortcut of Diem's Jellyfish tree and of Dahlberg, Pulls and Peeters' "Efficient Sparse
Merkle Trees" (2016): a lone entry does not hash its way down 256 levels. That is what makes a
bulk build of 10,000 entries take tens of milliseconds instead of seconds (~2.4 million hashes
for the plain 256-level tree, ~4 s measured here). The root is still a function of the set of
entries alone, and a proof can only prove the truth: a leaf hash cannot stand for a node (the
prefixes differ), an empty subtree's hash is a node over empties that no subtree holding an
entry hashes to, and the leaf hash commits to the whole key, not only to the path.

A proof of key k is the path from the root down to the first subtree on k's path that holds at
most one entry, at `depth` D:

- inclusion: that subtree is leaf(k, v);
- absence: it is empty (``EMPTY[256 - D]``), or it holds one other key whose first D bits are
  k's (the proof carries that key and its value: `other`);

and the siblings along the path, compact: a 256-bit `bitmap` with bit d set when the sibling at
depth d is not an empty subtree, and the hashes of those siblings only, from the top down.

`parse_proof` reads a proof from outside through the bounded parser, with specific errors.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger import untrusted_json
from ledger.errors import (
    JsonRejected,
    SmtProofBitmapMismatch,
    SmtProofHashInvalid,
    SmtProofInvalid,
    SmtProofMalformed,
)

__all__ = [
    "DEPTH",
    "EMPTY",
    "MAX_PROOF_BYTES",
    "SmtProof",
    "SparseMerkleTree",
    "leaf_hash",
    "node_hash",
    "parse_proof",
    "proof_from_json",
    "verify_proof",
]

DEPTH = 256
_LEAF = b"\x00"
_NODE = b"\x01"
_sha256 = hashlib.sha256
#: 256 siblings of 64 hex digits plus the rest: a proof is at most ~17 KB.
MAX_PROOF_BYTES = 32 * 1024


def leaf_hash(key: bytes, value: bytes) -> bytes:
    """SHA-256(0x00 || key || value): the hash of a subtree holding only (key, value)."""
    return _sha256(_LEAF + key + value).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(_NODE + left + right).digest()


def _empties() -> tuple[bytes, ...]:
    out = [bytes(32)]
    for _ in range(DEPTH):
        out.append(node_hash(out[-1], out[-1]))
    return tuple(out)


#: EMPTY[h]: the hash of an empty subtree of height h (EMPTY[256] is the empty tree's root).
EMPTY = _empties()


def _check32(name: str, value: object) -> bytes:
    if not isinstance(value, bytes) or len(value) != 32:
        raise SmtProofHashInvalid(f"{name} must be 32 bytes")
    return value


def _bit(key_int: int, depth: int) -> int:
    return (key_int >> (DEPTH - 1 - depth)) & 1


@dataclass(frozen=True)
class SmtProof:
    """The compact proof of one key's value, or of its absence, in a `SparseMerkleTree`.

    `bitmap` bit d (of a 256-bit big-endian integer, most significant bit = depth 0) is set when
    the sibling at depth d is not empty; `siblings` are those non-empty sibling hashes, top
    down. `other` is, in an absence proof that ends at another entry, that entry's key and value.
    """

    depth: int
    bitmap: int
    siblings: tuple[bytes, ...]
    other: tuple[bytes, bytes] | None = None

    def __post_init__(self) -> None:
        if type(self.depth) is not int or not 0 <= self.depth <= DEPTH:
            raise SmtProofMalformed(f"a proof's depth is an integer in 0..{DEPTH}")
        if type(self.bitmap) is not int or not 0 <= self.bitmap < 1 << DEPTH:
            raise SmtProofBitmapMismatch("a proof's bitmap is a 256-bit number")
        if self.bitmap & ((1 << (DEPTH - self.depth)) - 1):
            raise SmtProofBitmapMismatch("the bitmap has a bit set at or past the proof's depth")
        if self.bitmap.bit_count() != len(self.siblings):
            raise SmtProofBitmapMismatch(
                f"the bitmap marks {self.bitmap.bit_count()} siblings, the proof has "
                f"{len(self.siblings)}"
            )
        for sibling in self.siblings:
            _check32("a sibling hash", sibling)
        if self.other is not None:
            _check32("the other entry's key", self.other[0])
            _check32("the other entry's value", self.other[1])

    def to_json(self) -> dict[str, Any]:
        """The JSON form `parse_proof` reads: hex (lowercase, 64 digits) for every hash."""
        out: dict[str, Any] = {
            "depth": self.depth,
            "bitmap": self.bitmap.to_bytes(32, "big").hex(),
            "siblings": [s.hex() for s in self.siblings],
        }
        if self.other is not None:
            out["other"] = {"key": self.other[0].hex(), "value": self.other[1].hex()}
        return out


def _hex32(name: str, value: object) -> bytes:
    if not isinstance(value, str) or len(value) != 64 or value != value.lower():
        raise SmtProofHashInvalid(f"{name} must be 64 lowercase hex digits")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise SmtProofHashInvalid(f"{name} must be 64 lowercase hex digits") from None


def proof_from_json(obj: object) -> SmtProof:
    """An `SmtProof` from a parsed JSON object; `SmtProofMalformed` (or a subclass) if not."""
    if not isinstance(obj, dict):
        raise SmtProofMalformed("a proof is a JSON object")
    names = set(obj)
    if not {"depth", "bitmap", "siblings"} <= names <= {"depth", "bitmap", "siblings", "other"}:
        raise SmtProofMalformed("a proof has the members depth, bitmap, siblings and other")
    siblings = obj["siblings"]
    if not isinstance(siblings, list) or len(siblings) > DEPTH:
        raise SmtProofMalformed(f"siblings is an array of at most {DEPTH} hashes")
    other: tuple[bytes, bytes] | None = None
    if "other" in obj:
        raw = obj["other"]
        if not isinstance(raw, dict) or set(raw) != {"key", "value"}:
            raise SmtProofMalformed("other is an object with the members key and value")
        other = (_hex32("other.key", raw["key"]), _hex32("other.value", raw["value"]))
    if type(obj["depth"]) is not int:
        raise SmtProofMalformed(f"a proof's depth is an integer in 0..{DEPTH}")
    return SmtProof(
        depth=obj["depth"],
        bitmap=int.from_bytes(_hex32("bitmap", obj["bitmap"]), "big"),
        siblings=tuple(_hex32("a sibling", s) for s in siblings),
        other=other,
    )


def parse_proof(data: bytes | str) -> SmtProof:
    """Read a proof received from outside (JSON, see `SmtProof.to_json`) through the bounded
    parser. Raises `SmtProofMalformed`, `SmtProofHashInvalid` or `SmtProofBitmapMismatch`."""
    try:
        obj = untrusted_json.loads(data, max_bytes=MAX_PROOF_BYTES)
    except JsonRejected as exc:
        raise SmtProofMalformed(f"not a proof: {exc}") from exc
    return proof_from_json(obj)


def _fold(key_int: int, node: bytes, proof: SmtProof) -> bytes:
    """Hash `node`, the subtree at `proof.depth` on the key's path, up to the root."""
    siblings = proof.siblings
    used = len(siblings)
    bitmap = proof.bitmap
    sha = _sha256
    for d in range(proof.depth - 1, -1, -1):
        if (bitmap >> (DEPTH - 1 - d)) & 1:
            used -= 1
            sibling = siblings[used]
            if sibling == EMPTY[DEPTH - 1 - d]:  # one proof per key: empties stay implicit
                raise SmtProofInvalid("the proof lists an empty subtree as a sibling")
        else:
            sibling = EMPTY[DEPTH - 1 - d]
        if (key_int >> (DEPTH - 1 - d)) & 1:
            node = sha(_NODE + sibling + node).digest()
        else:
            node = sha(_NODE + node + sibling).digest()
    return node


def verify_proof(root: bytes, key: bytes, value: bytes | None, proof: SmtProof) -> None:
    """Check that `proof` proves `key` → `value` under `root` (`value` None: that `key` is
    absent). Raises `SmtProofInvalid` if it does not; returns None if it does."""
    _check32("the root", root)
    _check32("the key", key)
    key_int = int.from_bytes(key, "big")
    if value is not None:
        _check32("the value", value)
        if proof.other is not None:
            raise SmtProofInvalid("an absence proof cannot prove a value")
        node = leaf_hash(key, value)
    elif proof.other is not None:
        other_key, other_value = proof.other
        shift = DEPTH - proof.depth
        if other_key == key or int.from_bytes(other_key, "big") >> shift != key_int >> shift:
            raise SmtProofInvalid("the proof's other entry is not on the key's path")
        node = leaf_hash(other_key, other_value)
    else:
        node = EMPTY[DEPTH - proof.depth]
    if _fold(key_int, node, proof) != root:
        what = "absence" if value is None else "value"
        raise SmtProofInvalid(f"the proof does not prove the key's {what} under this root")


class SparseMerkleTree:
    """A sparse Merkle tree built in bulk from {32-byte key: 32-byte value}; immutable."""

    __slots__ = ("_hashes", "_keys", "_leaves", "_values", "root")

    def __init__(self, entries: Mapping[bytes, bytes]) -> None:
        items = sorted((int.from_bytes(_check32("a key", k), "big"), k) for k in entries)
        self._keys = [i for i, _ in items]
        self._values = [_check32("a value", entries[k]) for _, k in items]
        self._leaves = [leaf_hash(k, v) for (_, k), v in zip(items, self._values, strict=True)]
        # (depth, first index) -> hash of every subtree with two or more entries.
        self._hashes: dict[tuple[int, int], bytes] = {}
        self.root: bytes = self._build(0, len(self._keys), 0, 0)

    def __len__(self) -> int:
        return len(self._keys)

    def _split(self, lo: int, hi: int, depth: int, prefix: int) -> int:
        """The first index in [lo, hi) whose key has bit `depth` set (keys share `prefix`)."""
        return bisect_left(self._keys, prefix | (1 << (DEPTH - 1 - depth)), lo, hi)

    def _build(self, lo: int, hi: int, depth: int, prefix: int) -> bytes:
        """Hash of the subtree at `depth` holding the keys [lo, hi), which share `prefix`."""
        if hi - lo == 0:
            return EMPTY[DEPTH - depth]
        if hi - lo == 1:
            return self._leaves[lo]
        mid = self._split(lo, hi, depth, prefix)
        left = self._build(lo, mid, depth + 1, prefix)
        right = self._build(mid, hi, depth + 1, prefix | (1 << (DEPTH - 1 - depth)))
        h = _sha256(_NODE + left + right).digest()
        self._hashes[(depth, lo)] = h
        return h

    def _hash_of(self, lo: int, hi: int, depth: int) -> bytes:
        if hi - lo == 0:
            return EMPTY[DEPTH - depth]
        if hi - lo == 1:
            return self._leaves[lo]
        return self._hashes[(depth, lo)]

    def get(self, key: bytes) -> bytes | None:
        """The value of `key`, or None."""
        key_int = int.from_bytes(_check32("the key", key), "big")
        i = bisect_left(self._keys, key_int)
        return self._values[i] if i < len(self._keys) and self._keys[i] == key_int else None

    def proof(self, key: bytes) -> SmtProof:
        """The proof of `key`'s value if present, of its absence otherwise."""
        key_int = int.from_bytes(_check32("the key", key), "big")
        lo, hi, depth, prefix = 0, len(self._keys), 0, 0
        bitmap = 0
        siblings: list[bytes] = []
        while hi - lo >= 2:
            mid = self._split(lo, hi, depth, prefix)
            bit = 1 << (DEPTH - 1 - depth)
            if key_int & bit:
                sibling = self._hash_of(lo, mid, depth + 1)
                lo, prefix = mid, prefix | bit
            else:
                sibling = self._hash_of(mid, hi, depth + 1)
                hi = mid
            if sibling != EMPTY[DEPTH - 1 - depth]:
                bitmap |= bit
                siblings.append(sibling)
            depth += 1
        other = None
        if hi - lo == 1 and self._keys[lo] != key_int:
            other = (self._keys[lo].to_bytes(32, "big"), self._values[lo])
        return SmtProof(depth=depth, bitmap=bitmap, siblings=tuple(siblings), other=other)
