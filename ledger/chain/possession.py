"""Proof of possession for `KeyRegistry`: what an agency's P-256 key signs to register it.

The registry accepts a key only with the key's ES256 signature over
`possession_message(chain_id, registry, agency, kid)`, checked on chain by the P256VERIFY
precompile (EIP-7951), and only if `kid` is the key's RFC 7638 thumbprint. So no agency can
register another agency's key, or a key of its own under another key's kid.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, NamedTuple

from eth_abi.abi import encode as _abi_encode

from ledger._keccak import keccak256
from ledger.errors import P256VerifyUnavailable

if TYPE_CHECKING:
    from ledger.chain.rpc import Rpc
    from ledger.sdjwt.jwk import SigningKey

__all__ = [
    "P256_VERIFY",
    "POSSESSION_TAG",
    "PossessionProof",
    "p256_verify_available",
    "possession_message",
    "prove_possession",
    "require_p256_verify",
]

POSSESSION_TAG = keccak256(b"ledger.KeyRegistry.possession.v1")
P256_VERIFY = "0x0000000000000000000000000000000000000100"
_TRUE = (1).to_bytes(32, "big")


class PossessionProof(NamedTuple):
    """A key and its proof, as `registerKey` and `rotateKey` take them."""

    kid: bytes
    x: bytes
    y: bytes
    r: bytes
    s: bytes


def possession_message(chain_id: int, registry: str, agency: str, kid: bytes) -> bytes:
    """`KeyRegistry.possessionMessage(agency, kid)` on chain `chain_id`, computed locally."""
    return _abi_encode(
        ["bytes32", "uint256", "address", "address", "bytes32"],
        [POSSESSION_TAG, chain_id, registry, agency, kid],
    )


def prove_possession(key: SigningKey, chain_id: int, registry: str, agency: str) -> PossessionProof:
    """Sign the possession message for registering `key` by `agency` at `registry`."""
    kid = key.thumbprint
    x, y = key.public_xy
    signature = key.sign(possession_message(chain_id, registry, agency, kid))
    return PossessionProof(kid, x, y, signature[:32], signature[32:])


def p256_verify_available(rpc: Rpc) -> bool:
    """Whether the chain behind `rpc` has the P256VERIFY precompile (EIP-7951, from Osaka): it
    answers 1 for a valid signature, where a chain without it answers nothing."""
    from ledger.sdjwt.jwk import SigningKey

    key = SigningKey.generate()
    message = b"ledger: is P256VERIFY here?"
    x, y = key.public_xy
    data = hashlib.sha256(message).digest() + key.sign(message) + x + y
    return rpc.eth_call(P256_VERIFY, data) == _TRUE


def require_p256_verify(rpc: Rpc) -> None:
    """Raise `P256VerifyUnavailable` unless the chain behind `rpc` has P256VERIFY."""
    if not p256_verify_available(rpc):
        raise P256VerifyUnavailable(
            f"chain {rpc.chain_id} has no P256VERIFY precompile (EIP-7951, Osaka hardfork): "
            "its KeyRegistry can register no signing key"
        )
