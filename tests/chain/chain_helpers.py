"""Shared world and behaviour checks for the chain tests.

Chain-suite layout: the suite is deployed and populated once per session (per xdist
worker); every test runs inside an evm_snapshot / evm_revert (`world`), so tests are independent.

The base world: a council of three (threshold 2), one credential type, an issuer agency
accredited for it as authority with a registered key and a status list, a second admitted agency
(not accredited), a verifier agency registered for two claims, and an outsider (not an agency).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.chain.client import CredentialTypeInfo, LedgerChain, ProposalOutcome
from ledger.chain.council import CouncilAction, council_execute
from ledger.chain.deploy import Deployment
from ledger.chain.rpc import Rpc
from ledger.errors import ContractRevert
from ledger.sdjwt.jwk import SigningKey

CLAIMS = ("given_name", "family_name", "birthdate", "address")
VCT = "https://credentials.example.dk/person/v1"
PURPOSE = bytes.fromhex("aa" * 32)
LIST_ID = 1
CAPACITY = 1024


@dataclass(frozen=True)
class Base:
    """What the session set up (accounts and ids); chains are rebuilt per test."""

    deployment: Deployment
    council: tuple[LocalAccount, ...]
    issuer: LocalAccount
    second: LocalAccount
    verifier: LocalAccount
    outsider: LocalAccount
    type_id: int
    key: SigningKey  # the issuer's registered signing key

    @property
    def kid(self) -> bytes:
        """The on-chain id of `key` (its RFC 7638 thumbprint)."""
        return self.key.thumbprint

    @property
    def x(self) -> bytes:
        return self.key.public_xy[0]

    @property
    def y(self) -> bytes:
        return self.key.public_xy[1]


class World:
    """Per-test view of the base world with fresh `LedgerChain`s (fresh nonces)."""

    def __init__(self, rpc: Rpc, base: Base) -> None:
        self.rpc = rpc
        self.base = base
        self.deployment = base.deployment
        self.council = [LedgerChain(rpc, base.deployment, a) for a in base.council]
        self.issuer = LedgerChain(rpc, base.deployment, base.issuer)
        self.second = LedgerChain(rpc, base.deployment, base.second)
        self.verifier = LedgerChain(rpc, base.deployment, base.verifier)
        self.outsider = LedgerChain(rpc, base.deployment, base.outsider)
        self.reader = LedgerChain(rpc, base.deployment)
        self.actions = self.reader.actions
        self.type_id = base.type_id
        self.kid = base.kid

    def execute(self, action: CouncilAction) -> ProposalOutcome:
        """Run a council action through (propose + one vote: threshold 2)."""
        return council_execute(self.council, action)

    def credential_type(self) -> CredentialTypeInfo:
        """The base credential type."""
        return self.reader.credential_type(self.type_id)

    def now(self) -> int:
        """Timestamp of the latest block."""
        block = self.rpc.call("eth_getBlockByNumber", ["latest", False])
        return int(block["timestamp"], 16)

    def advance(self, seconds: int) -> None:
        """Move chain time forward and mine a block."""
        self.rpc.call("evm_increaseTime", [seconds])
        self.rpc.call("evm_mine", [])

    def new_agency(self, name: str = "agency") -> LedgerChain:
        """A new funded account admitted as an agency by the council."""
        account = funded_account(self.rpc)
        self.execute(self.actions.admit_agency(account.address, name))
        return LedgerChain(self.rpc, self.deployment, account)


def funded_account(rpc: Rpc) -> LocalAccount:
    """A fresh random account with 100 ETH."""
    account: LocalAccount = Account.from_key(secrets.token_bytes(32))
    rpc.call("anvil_setBalance", [account.address, hex(100 * 10**18)])
    return account


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
