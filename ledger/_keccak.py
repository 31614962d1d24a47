"""Ethereum keccak-256: the one hash function the package uses for it (Merkle leaves, contract
addresses, transaction hashes, ABI selectors and topics, request digests).

safe-pysha3 (a pinned dependency) is ~5x faster than eth-hash's default pycryptodome backend.
`keccak_256` is the hasher object itself, for loops that hash millions of times.
"""

from __future__ import annotations

from sha3 import keccak_256  # type: ignore[import-untyped]

__all__ = ["keccak256", "keccak_256"]


def keccak256(data: bytes) -> bytes:
    """Ethereum keccak-256 of `data`."""
    digest: bytes = keccak_256(data).digest()
    return digest
