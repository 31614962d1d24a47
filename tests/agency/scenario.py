"""A deployed suite with agencies in place, shared by the agency, wallet and CLI tests.

`build_world(rpc)` deploys the suite once and sets up, through the council (3 members,
threshold 2):

* one credential type (`VCT`, claim names `CLAIMS`, id `world.type_id`);
* an issuer agency ("CPR Office"), admitted, accredited for the type as authority, with a P-256
  signing key (`world.signing_key`) registered on chain from now on, open-ended;
* a verifier agency ("Municipality"), admitted and registered for `VERIFIER_CLAIMS` of the type
  under purpose `PURPOSE` (`purpose_digest`);
* an outsider account (funded, not an agency).

Use it through the session fixture `agency_world` (import it into a test module:
``from scenario import agency_world  # noqa: F401``) together with the per-test `chain_snapshot`
fixture, and build per-test objects from it (`issuer_chain()`, `make_issuer(tmp_path)`): those
hold nonces, which an `evm_revert` makes stale.

The issuer creates its status list on first use (`ledger.agency.issuer.Issuer`), so nothing in
the base world depends on status lists.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.agency.request import purpose_digest
from ledger.chain.client import LedgerChain, ProposalOutcome
from ledger.chain.council import CouncilAction, council_execute
from ledger.chain.deploy import Deployment, deploy_suite
from ledger.chain.rpc import Rpc
from ledger.sdjwt.jwk import SigningKey

if TYPE_CHECKING:
    from ledger.agency.issuer import Issuer

__all__ = [
    "CLAIMS",
    "ISSUER_NAME",
    "PERSON",
    "PURPOSE",
    "VCT",
    "VERIFIER_CLAIMS",
    "VERIFIER_NAME",
    "AgencyWorld",
    "agency_world",
    "build_world",
    "funded_account",
]

VCT = "https://credentials.example.dk/person/v1"
CLAIMS = (
    "given_name",
    "family_name",
    "birthdate",
    "cpr_number",
    "address",
    "nationality",
    "age_over_18",
    "municipality",
)
#: A person credential's claims (the Danish scenario), all names in `CLAIMS`.
PERSON: dict[str, Any] = {
    "given_name": "Karen",
    "family_name": "Jensen",
    "birthdate": "1990-01-01",
    "cpr_number": "010190-1234",
    "address": "Nørregade 7, 1165 København K",
    "nationality": "DK",
    "age_over_18": True,
    "municipality": "København",
}
ISSUER_NAME = "CPR Office"
VERIFIER_NAME = "Municipality"
#: Purpose text of the verifier registration; the chain holds its keccak256 (`purpose_digest`).
PURPOSE = "Check residence and age for municipal services"
VERIFIER_CLAIMS = ("age_over_18", "municipality")


def funded_account(rpc: Rpc, ether: int = 1000) -> LocalAccount:
    """A fresh random account with `ether` ETH (anvil_setBalance, no nonce involved)."""
    account: LocalAccount = Account.from_key(secrets.token_bytes(32))
    rpc.call("anvil_setBalance", [account.address, hex(ether * 10**18)])
    return account


@dataclass(frozen=True)
class AgencyWorld:
    """What `build_world` set up. Methods build fresh chain clients (fresh nonces)."""

    rpc: Rpc
    deployment: Deployment
    council: tuple[LocalAccount, ...]
    issuer: LocalAccount
    signing_key: SigningKey
    verifier: LocalAccount
    outsider: LocalAccount
    type_id: int
    vct: str = VCT
    claims: tuple[str, ...] = CLAIMS
    purpose: str = PURPOSE
    verifier_claims: tuple[str, ...] = VERIFIER_CLAIMS

    @property
    def chain_id(self) -> int:
        """The devnet's chain id."""
        return self.deployment.chain_id

    @property
    def purpose_digest(self) -> bytes:
        """keccak256 of the purpose text (`ledger.agency.request.purpose_digest`)."""
        return purpose_digest(self.purpose)

    @property
    def verifier_claim_mask(self) -> int:
        """Bit mask of `verifier_claims` over `claims`."""
        return sum(1 << self.claims.index(name) for name in self.verifier_claims)

    def chain(self, account: LocalAccount | None = None) -> LedgerChain:
        """A new `LedgerChain` for `account` (read-only without one)."""
        return LedgerChain(self.rpc, self.deployment, account)

    def reader(self) -> LedgerChain:
        """A read-only chain client."""
        return self.chain()

    def issuer_chain(self) -> LedgerChain:
        """A new chain client signing as the issuer agency."""
        return self.chain(self.issuer)

    def verifier_chain(self) -> LedgerChain:
        """A new chain client signing as the verifier agency."""
        return self.chain(self.verifier)

    def execute(self, action: CouncilAction) -> ProposalOutcome:
        """Run a council action through (propose + vote until executed)."""
        return council_execute([self.chain(a) for a in self.council], action)

    def new_agency(self, name: str = "Another Agency", *, accredit: bool = False) -> LocalAccount:
        """A new funded account admitted as an agency (and accredited for the type if asked)."""
        account = funded_account(self.rpc)
        actions = self.reader().actions
        self.execute(actions.admit_agency(account.address, name))
        if accredit:
            self.execute(actions.accredit(account.address, self.type_id, authority=True))
        return account

    def now(self) -> int:
        """Timestamp of the latest block."""
        block = self.rpc.call("eth_getBlockByNumber", ["latest", False])
        return int(block["timestamp"], 16)

    def advance(self, seconds: int) -> None:
        """Move chain time forward and mine a block."""
        self.rpc.call("evm_increaseTime", [seconds])
        self.rpc.call("evm_mine", [])

    def make_issuer(self, workdir: Path, **kwargs: Any) -> Issuer:
        """A new `Issuer` for the issuer agency with its outbox and allocator under `workdir`
        (opened; close with `issuer.close()`). `kwargs` go to the `Issuer` constructor."""
        from ledger.agency.issuer import Issuer

        return Issuer.open(self.issuer_chain(), self.signing_key, workdir, **kwargs)


def build_world(rpc: Rpc) -> AgencyWorld:
    """Deploy the suite and set up the agencies (a dozen transactions, well under a second)."""
    council = tuple(funded_account(rpc) for _ in range(3))
    deployment = deploy_suite(
        rpc, funded_account(rpc), council_members=[a.address for a in council], threshold=2
    )
    issuer, verifier, outsider = (funded_account(rpc) for _ in range(3))
    members = [LedgerChain(rpc, deployment, a) for a in council]
    actions = members[0].actions

    def run(action: CouncilAction) -> None:
        council_execute(members, action)

    run(actions.register_type(VCT, CLAIMS))
    type_id = members[0].type_id_of(VCT)
    run(actions.admit_agency(issuer.address, ISSUER_NAME))
    run(actions.admit_agency(verifier.address, VERIFIER_NAME))
    run(actions.accredit(issuer.address, type_id, authority=True))
    mask = sum(1 << CLAIMS.index(name) for name in VERIFIER_CLAIMS)
    run(actions.register_verifier(verifier.address, type_id, purpose_digest(PURPOSE), mask))
    key = SigningKey.generate()
    LedgerChain(rpc, deployment, issuer).register_key(key)
    return AgencyWorld(rpc, deployment, council, issuer, key, verifier, outsider, type_id)


@pytest.fixture(scope="session")
def agency_world(rpc: Rpc) -> Iterator[AgencyWorld]:
    """The agency world, built once per session (xdist worker). Pair with `chain_snapshot`."""
    yield build_world(rpc)
