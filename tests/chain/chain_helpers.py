"""The chain tests' view of the shared world (`tests/world.py`), and their behaviour checks.

Chain-suite layout: the suite is deployed and populated once per session (per xdist worker) by
`world.build_wallet_world` with this suite's small type (`base` in `conftest.py`); every test
runs inside an evm_snapshot / evm_revert (`world`), so tests are independent.

The base world: a council of three (threshold 2), one credential type of four claims, an issuer
agency accredited for it as authority with a registered key and a status list (`LIST_ID`), a
second admitted agency (not accredited, registered for nothing), a verifier agency registered
for two claims under `PURPOSE`, and an outsider (not an agency).
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from world import CAPACITY, LIST_ID, VCT, AgencyWorld, WalletWorld, funded_account
from world import PURPOSE as PURPOSE_TEXT

from ledger.agency.request import purpose_digest
from ledger.chain.client import CredentialTypeInfo, LedgerChain, ProposalOutcome
from ledger.chain.council import CouncilAction
from ledger.chain.rpc import Rpc
from ledger.errors import ContractRevert

__all__ = [
    "CAPACITY",
    "CLAIMS",
    "LIST_ID",
    "PURPOSE",
    "VCT",
    "VERIFIER_CLAIMS",
    "World",
    "assert_role_gated",
    "funded_account",
    "random32",
]

#: The chain suite's credential type: four claims; the verifier is registered for the first two.
CLAIMS = ("given_name", "family_name", "birthdate", "address")
VERIFIER_CLAIMS = ("given_name", "family_name")
#: The verifier registration's purpose digest.
PURPOSE = purpose_digest(PURPOSE_TEXT)


class World:
    """Per-test view of the session's world with fresh `LedgerChain`s (fresh nonces), one per
    role: `council`, `issuer`, `second`, `verifier`, `outsider`, `reader`."""

    def __init__(self, rpc: Rpc, wallet_world: WalletWorld) -> None:
        base: AgencyWorld = wallet_world.base
        self.rpc = rpc
        self.base = base
        self.deployment = base.deployment
        self.council = [base.chain(a) for a in base.council]
        self.issuer = base.issuer_chain()
        self.second = base.chain(wallet_world.unregistered)
        self.verifier = base.verifier_chain()
        self.outsider = base.chain(base.outsider)
        self.reader = base.reader()
        self.actions = self.reader.actions
        self.type_id = base.type_id
        self.key = base.signing_key  # the issuer's registered signing key
        self.kid = self.key.thumbprint

    def execute(self, action: CouncilAction) -> ProposalOutcome:
        """Run a council action through (propose + one vote: threshold 2)."""
        return self.base.execute(action)

    def credential_type(self) -> CredentialTypeInfo:
        """The base credential type."""
        return self.reader.credential_type(self.type_id)

    def now(self) -> int:
        """Timestamp of the latest block."""
        return self.base.now()

    def advance(self, seconds: int) -> None:
        """Move chain time forward and mine a block."""
        self.base.advance(seconds)

    def new_agency(self, name: str = "agency") -> LedgerChain:
        """A new funded account admitted as an agency by the council."""
        return self.base.chain(self.base.new_agency(name))


def random32() -> bytes:
    """32 random bytes (digests, kids, roots)."""
    return secrets.token_bytes(32)


def assert_role_gated(
    sender: LedgerChain,
    contract: str,
    fn: str,
    args: list[Any],
    error: type[ContractRevert],
    /,
    **values: Any,
) -> ContractRevert:
    """Calling `fn(*args)` on `contract` from `sender` raises exactly `error` with `values`.

    Checked both at gas estimation (what an SDK user sees first) and as a mined transaction
    sent with explicit gas (what the chain enforces).
    """
    request = sender.tx(contract, fn, args)
    with pytest.raises(error) as estimated:
        sender.transact(request)
    assert type(estimated.value) is error
    for name, expected in values.items():
        assert getattr(estimated.value, name) == expected, name
    with pytest.raises(error) as mined:
        sender.transact(sender.tx(contract, fn, args, gas=500_000))
    assert type(mined.value) is error
    sender.sender.resync_nonce()
    return mined.value
