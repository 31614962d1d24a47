"""Issuer keys from the chain: the P-256 key registered as a JWT's `kid`, owned by the agency its
`iss` names.

Key material and its owner never change once registered, so known keys are cached for the
process's life, per (chain id, KeyRegistry address, kid); whether a key was *valid* when a
credential was anchored is a question about anchor time, answered by the lens
(`ledger.agency.chain_checks`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ledger._b64 import b64d
from ledger.agency.packages import parse_issuer_did
from ledger.chain.client import LedgerChain
from ledger.chain.records import KeyInfo
from ledger.errors import InputError, IssuerKeyOwnerMismatch, UnknownIssuerKey
from ledger.sdjwt import PublicKey, public_key_from_xy

__all__ = [
    "clear_key_cache",
    "issuer_address",
    "issuer_key_resolver",
    "kid_bytes",
    "resolve_issuer_key",
]

# (chain id, KeyRegistry address, kid) -> registered key. Only registered keys are cached: an
# unknown kid may be registered later. A registered key's coordinates and owner never change.
_KEYS: dict[tuple[int, str, str], tuple[PublicKey, str]] = {}
_KEYS_LOCK = threading.Lock()


def clear_key_cache() -> None:
    """Forget every cached issuer key (tests; a process never needs to)."""
    with _KEYS_LOCK:
        _KEYS.clear()


def kid_bytes(kid: str) -> bytes:
    """The on-chain `bytes32 kid` of a JWT header `kid` (canonical unpadded base64url of 32
    bytes); `UnknownIssuerKey` for anything else."""
    if len(kid) != 43:
        raise UnknownIssuerKey(f"kid {kid!r} is not a base64url SHA-256 thumbprint")
    try:
        return b64d(kid, UnknownIssuerKey)
    except UnknownIssuerKey as exc:
        raise UnknownIssuerKey(f"kid {kid!r} is not canonical base64url") from exc


def issuer_address(issuer: str, chain_id: int) -> str:
    """The agency address of an issuer given as its `did:pkh` `iss` (whose chain id must be
    `chain_id`) or as a plain address; `UnknownIssuerKey` otherwise."""
    if not issuer.startswith("did:"):
        if len(issuer) == 42 and issuer.startswith("0x"):
            return issuer
        raise UnknownIssuerKey(f"issuer {issuer!r} is neither a did:pkh nor an address")
    try:
        did_chain, address = parse_issuer_did(issuer)
    except InputError as exc:
        raise UnknownIssuerKey(str(exc)) from exc
    if did_chain != chain_id:
        raise UnknownIssuerKey(f"issuer {issuer!r} is on chain {did_chain}, not {chain_id}")
    return address


def _registered_key(chain: LedgerChain, kid: str) -> tuple[PublicKey, str]:
    slot = (chain.deployment.chain_id, chain.deployment.address("KeyRegistry"), kid)
    cached = _KEYS.get(slot)
    if cached is not None:
        return cached
    raw = kid_bytes(kid)
    info: KeyInfo = chain.keys.key(raw)
    if info.agency is None:
        raise UnknownIssuerKey(f"kid {kid} is not registered in the KeyRegistry")
    key = public_key_from_xy(info.x, info.y)
    if key.thumbprint != raw:
        # The registry stores what the agency sent; a kid must be its key's RFC 7638 thumbprint.
        raise UnknownIssuerKey(f"the key registered as {kid} does not have that thumbprint")
    entry = (key, info.agency)
    with _KEYS_LOCK:
        _KEYS[slot] = entry
    return entry


def resolve_issuer_key(chain: LedgerChain, kid: str, iss: str) -> PublicKey:
    """The P-256 key registered on chain as `kid`, which must be owned by the agency of `iss`.

    Raises `UnknownIssuerKey` (malformed or unregistered kid, `iss` not a did:pkh of this chain)
    or `IssuerKeyOwnerMismatch` (the kid belongs to another agency). Whether the key was valid
    when the credential was anchored is checked by `check_on_chain`, not here.
    """
    key, owner = _registered_key(chain, kid)
    agency = issuer_address(iss, chain.deployment.chain_id)
    if owner.lower() != agency.lower():
        raise IssuerKeyOwnerMismatch(f"kid {kid} belongs to {owner}, not to issuer {agency}")
    return key


def issuer_key_resolver(chain: LedgerChain) -> Callable[[str, str], PublicKey]:
    """`resolve_issuer_key` bound to `chain`, in the shape `ledger.sdjwt` verifiers take."""

    def resolve(kid: str, iss: str) -> PublicKey:
        return resolve_issuer_key(chain, kid, iss)

    return resolve
