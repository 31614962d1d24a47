"""The KeyRegistry: agencies' P-256 signing keys by RFC 7638 thumbprint (`kid`).

Attached as `LedgerChain.keys`. Registering or rotating to a key proves possession of it
(`ledger.chain.possession`); the council may revoke any key (`CouncilActions.revoke_key`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ledger.chain.core import ContractClient
from ledger.chain.named import record
from ledger.chain.possession import PossessionProof, prove_possession, require_p256_verify
from ledger.chain.records import KeyInfo, address_or_none
from ledger.chain.sender import Receipt, TxRequest
from ledger.errors import KeyRegistryBadPossessionProof

if TYPE_CHECKING:
    from ledger.sdjwt.jwk import SigningKey

__all__ = ["KeyRegistry"]


class KeyRegistry(ContractClient):
    """Typed client of the KeyRegistry contract."""

    CONTRACT = "KeyRegistry"

    def prove_possession(self, key: SigningKey) -> PossessionProof:
        """`key`'s proof of possession for this agency at this deployment's KeyRegistry."""
        agency = self._core.sender.address
        return prove_possession(key, self._core.rpc.chain_id, self.address, agency)

    def register_key_tx(
        self, proof: PossessionProof, *, valid_from: int = 0, valid_until: int = 0
    ) -> TxRequest:
        """Prepared `registerKey` for this agency (`proof` from `prove_possession`)."""
        kid, x, y, r, s = proof
        return self._tx("registerKey", [kid, x, y, valid_from, valid_until, r, s])

    def register_key(
        self, key: SigningKey, *, valid_from: int = 0, valid_until: int = 0
    ) -> Receipt:
        """Register P-256 `key` for this agency under its RFC 7638 thumbprint, proving
        possession with a signature (0 = from now / open-ended)."""
        proof = self.prove_possession(key)
        with self._own_proof_checked():
            return self._core.transact(
                self.register_key_tx(proof, valid_from=valid_from, valid_until=valid_until)
            )

    def rotate_key(self, old_kid: bytes, key: SigningKey, *, valid_until: int = 0) -> Receipt:
        """Register `key` from now and end `old_kid` now, in one transaction."""
        kid, x, y, r, s = self.prove_possession(key)
        with self._own_proof_checked():
            return self._send("rotateKey", [old_kid, kid, x, y, valid_until, r, s])

    @contextmanager
    def _own_proof_checked(self) -> Iterator[None]:
        """A proof this client made is refused only where the chain cannot check it: say so."""
        try:
            yield
        except KeyRegistryBadPossessionProof:
            require_p256_verify(self._core.rpc)
            raise

    def revoke_key(self, kid: bytes) -> Receipt:
        """Emergency revocation of one of this agency's keys."""
        return self._send("revokeKey", [kid])

    def key(self, kid: bytes) -> KeyInfo:
        """A key record (agency None if unknown)."""
        k = self._struct("keyOf", [kid])
        return record(KeyInfo, k, kid=kid, agency=address_or_none(k["agency"]))

    def is_key_valid_at(self, kid: bytes, agency: str, t: int) -> bool:
        """Whether `kid` belongs to `agency` and was valid at `t`."""
        return bool(self._view("isKeyValidAt", [kid, agency, t]))
