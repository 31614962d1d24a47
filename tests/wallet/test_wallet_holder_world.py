"""Shared chain world and helpers for the wallet holder, presentation and CLI tests (no tests).

`wallet_world` (session) deploys its own suite with `scenario.build_world` (tests/agency) and adds
what the wallet tests need on top: a status list for the issuer, the verifier registered under
the keccak256 purpose digest that presentation requests carry, and an admitted agency that is
registered for nothing. Tests pair it with `chain_snapshot`.

Credentials are issued here directly with `ledger.sdjwt.issue_sd_jwt_vc` and anchored with
`LedgerChain.anchor` / `anchor_batch`, so tests control every field (forged, unanchored, someone
else's, revoked).

Import into a test module: ``from test_wallet_holder_world import wallet_world  # noqa: F401``.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agency"))

from scenario import PERSON, PURPOSE, VERIFIER_CLAIMS, AgencyWorld, build_world

from ledger.agency.packages import (
    AnchorEvidence,
    CredentialPackage,
    issuer_did,
    status_uri,
)
from ledger.agency.request import PresentationRequest, create_request, purpose_digest
from ledger.chain.client import LedgerChain
from ledger.chain.merkle import MerkleTree
from ledger.chain.rpc import Rpc
from ledger.sdjwt import SigningKey, issue_sd_jwt_vc
from ledger.wallet import KdfParams
from ledger.wallet.wallet import Wallet

CHEAP_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)
PASSPHRASE = "correct horse battery staple"
LIST_ID = 41
CAPACITY = 1024
OUTSIDER_NAME = "Tax Office"

__all__ = [
    "CHEAP_KDF",
    "PASSPHRASE",
    "PERSON",
    "PURPOSE",
    "VERIFIER_CLAIMS",
    "WalletWorld",
    "make_wallet",
    "wallet_world",
]


@dataclass(frozen=True)
class WalletWorld:
    """The agency world plus an issuer status list and an unregistered agency."""

    base: AgencyWorld
    unregistered: LocalAccount

    @property
    def deployment(self) -> Any:
        """The deployment record."""
        return self.base.deployment

    @property
    def chain_id(self) -> int:
        """The devnet chain id."""
        return self.base.deployment.chain_id

    @property
    def rpc(self) -> Rpc:
        """The session JSON-RPC client."""
        return self.base.rpc

    def reader(self) -> LedgerChain:
        """A read-only chain client."""
        return self.base.reader()

    def issue(
        self,
        holder_jwk: Mapping[str, str],
        *,
        claims: Mapping[str, Any] = PERSON,
        signing_key: SigningKey | None = None,
        issuer: str | None = None,
        anchor: str = "single",
        exp: int | None = None,
    ) -> tuple[CredentialPackage, int]:
        """Issue a person credential to `holder_jwk`; anchor it ("single", "batch" or "none").

        Returns the package and its status index.
        """
        base = self.base
        key = signing_key or base.signing_key
        agency = issuer or base.issuer.address
        idx = secrets.randbelow(CAPACITY)
        registry = base.deployment.address("StatusRegistry")
        cred = issue_sd_jwt_vc(
            claims,
            signing_key=key,
            issuer=issuer_did(self.chain_id, agency),
            vct=base.vct,
            holder_jwk=holder_jwk,
            status_idx=idx,
            status_uri=status_uri(registry, self.chain_id, agency, LIST_ID),
            exp=exp,
        )
        evidence = AnchorEvidence()
        chain = base.issuer_chain()
        if anchor == "single":
            chain.anchor(cred.digest, base.type_id)
        elif anchor == "batch":
            others = [secrets.token_bytes(32) for _ in range(4)]
            tree = MerkleTree.from_digests([*others[:2], cred.digest, *others[2:]])
            chain.anchor_batch(tree.root, base.type_id, len(tree))
            evidence = AnchorEvidence(root=tree.root, proof=tuple(tree.proof(2)), leaf_index=2)
        package = CredentialPackage(
            cred.compact, evidence, base.type_id, self.chain_id, {"note": "test"}
        )
        return package, idx

    def set_status(self, idx: int, status: int) -> None:
        """Set the issuer's status entry `idx` (1 revoked, 2 suspended, 0 valid)."""
        self.base.issuer_chain().set_status(LIST_ID, idx, status)

    def request(
        self,
        *,
        claims: Sequence[str] = VERIFIER_CLAIMS,
        purpose: str = PURPOSE,
        account: LocalAccount | None = None,
        ttl: int = 600,
        now: int | None = None,
    ) -> PresentationRequest:
        """A signed presentation request (by the registered verifier unless `account`)."""
        return create_request(
            verifier_account=account or self.base.verifier,
            vct=self.base.vct,
            type_id=self.base.type_id,
            claims=list(claims),
            purpose=purpose,
            audience=None,
            chain_id=self.chain_id,
            registry=self.base.deployment.address("VerifierRegistry"),
            ttl=ttl,
            now=int(time.time()) if now is None else now,
        )


def make_wallet(home: Path) -> Wallet:
    """A new wallet with cheap KDF parameters."""
    return Wallet.init(home, PASSPHRASE, kdf_params=CHEAP_KDF)


@pytest.fixture(scope="session")
def wallet_world(rpc: Rpc) -> Iterator[WalletWorld]:
    """A deployed suite for the wallet tests (built once per session; pair with
    `chain_snapshot`)."""
    base = build_world(rpc)
    base.issuer_chain().create_status_list(LIST_ID, CAPACITY)
    actions = base.reader().actions
    digest = purpose_digest(PURPOSE)
    if (
        base.reader()
        .verifier_registration(base.verifier.address, base.type_id, digest)
        .registered_at
        == 0
    ):
        base.execute(
            actions.register_verifier(
                base.verifier.address, base.type_id, digest, base.verifier_claim_mask
            )
        )
    unregistered = base.new_agency(OUTSIDER_NAME)
    yield WalletWorld(base, unregistered)
