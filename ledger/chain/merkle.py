"""Merkle trees compatible with OpenZeppelin's `MerkleProof.verify`.

Leaves are double-hashed, `keccak256(bytes.concat(keccak256(abi.encode(digest))))` — for a
`bytes32` digest, `abi.encode` is the digest itself, so a leaf is keccak(keccak(digest)).
The double hash keeps a 64-byte internal node from being passed off as a leaf. Pairs are
hashed sorted (`Hashes.commutativeKeccak256`), so a proof is just the list of siblings.

Layout: each level pairs neighbours left to right; an odd node out is promoted unchanged to the
next level. Any layout verifies with OZ as long as proofs are built from the same tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger._keccak import keccak256, keccak_256
from ledger.errors import InputError

__all__ = ["MerkleTree", "hash_pair", "keccak256", "leaf_hash", "verify"]


def leaf_hash(digest: bytes) -> bytes:
    """The tree leaf for a 32-byte credential digest: keccak256(keccak256(digest))."""
    if len(digest) != 32:
        raise InputError(f"a leaf digest must be 32 bytes, got {len(digest)}")
    return keccak256(keccak256(digest))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """keccak256 of the two nodes in ascending byte order (OZ `commutativeKeccak256`)."""
    return keccak256(a + b if a < b else b + a)


def verify(root: bytes, proof: Sequence[bytes], leaf: bytes) -> bool:
    """Whether `proof` proves `leaf` (an already hashed leaf) under `root`, like OZ."""
    node = leaf
    for sibling in proof:
        node = keccak256(node + sibling if node < sibling else sibling + node)
    return node == root


@dataclass(frozen=True)
class MerkleTree:
    """A built tree: `levels[0]` are the leaves, `levels[-1] == [root]`."""

    levels: tuple[tuple[bytes, ...], ...]

    @classmethod
    def from_leaves(cls, leaves: Sequence[bytes]) -> MerkleTree:
        """Build the tree over already hashed 32-byte leaves (see `leaf_hash`), in order."""
        if not leaves:
            raise InputError("a Merkle tree needs at least one leaf")
        level = tuple(bytes(leaf) for leaf in leaves)
        if any(len(leaf) != 32 for leaf in level):
            raise InputError("Merkle leaves must be 32 bytes")
        levels = [level]
        h = keccak_256
        while len(level) > 1:
            # Inlined hash_pair: this loop is the whole cost of building a tree.
            nxt = [
                h(a + b if a < b else b + a).digest()
                for a, b in zip(level[0::2], level[1::2], strict=False)
            ]
            if len(level) % 2:
                nxt.append(level[-1])
            level = tuple(nxt)
            levels.append(level)
        return cls(levels=tuple(levels))

    @classmethod
    def from_digests(cls, digests: Sequence[bytes]) -> MerkleTree:
        """Build the tree over 32-byte credential digests (each hashed with `leaf_hash`)."""
        if any(len(d) != 32 for d in digests):
            raise InputError("credential digests must be 32 bytes")
        h = keccak_256
        return cls.from_leaves([h(h(d).digest()).digest() for d in digests])

    @property
    def root(self) -> bytes:
        """The Merkle root (the single leaf itself for a one-leaf tree)."""
        return self.levels[-1][0]

    @property
    def leaves(self) -> tuple[bytes, ...]:
        """The hashed leaves, in insertion order."""
        return self.levels[0]

    def __len__(self) -> int:
        return len(self.levels[0])

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from leaf `index` up to the root (empty for a one-leaf tree)."""
        if not 0 <= index < len(self.levels[0]):
            raise InputError(f"leaf index {index} out of range 0..{len(self.levels[0]) - 1}")
        path: list[bytes] = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index //= 2
        return path

    @staticmethod
    def verify(root: bytes, proof: Sequence[bytes], leaf: bytes) -> bool:
        """Whether `proof` proves the hashed `leaf` under `root` (same as OZ `verify`)."""
        return verify(root, proof, leaf)
