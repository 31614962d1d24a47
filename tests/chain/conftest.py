"""Chain-suite fixtures: deploy and populate once per session, snapshot per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chain_helpers import (
    CAPACITY,
    CLAIMS,
    LIST_ID,
    PURPOSE,
    VCT,
    Base,
    World,
    funded_account,
    random32,
)
from eth_account.signers.local import LocalAccount

from ledger.chain.client import LedgerChain
from ledger.chain.council import council_execute
from ledger.chain.deploy import deploy_suite
from ledger.chain.rpc import Rpc
from ledger.sdjwt.jwk import SigningKey


@pytest.fixture(scope="session")
def base(rpc: Rpc, dev_accounts: list[LocalAccount]) -> Base:
    """Deploy the suite and build the base world once per session."""
    council = tuple(funded_account(rpc) for _ in range(3))
    deployment = deploy_suite(
        rpc, funded_account(rpc), council_members=[a.address for a in council], threshold=2
    )
    issuer, second, verifier, outsider = (funded_account(rpc) for _ in range(4))
    chains = [LedgerChain(rpc, deployment, a) for a in council]
    actions = chains[0].actions
    run = lambda action: council_execute(chains, action)  # noqa: E731
    run(actions.register_type(VCT, CLAIMS))
    type_id = chains[0].type_id_of(VCT)
    run(actions.admit_agency(issuer.address, "CPR Office", random32()))
    run(actions.admit_agency(second.address, "Road Directorate"))
    run(actions.admit_agency(verifier.address, "Municipality"))
    run(actions.accredit(issuer.address, type_id, authority=True))
    run(actions.register_verifier(verifier.address, type_id, PURPOSE, 0b0011))
    issuer_chain = LedgerChain(rpc, deployment, issuer)
    key = SigningKey.generate()
    issuer_chain.register_key(key)
    issuer_chain.create_status_list(LIST_ID, CAPACITY)
    return Base(deployment, council, issuer, second, verifier, outsider, type_id, key)


@pytest.fixture
def world(rpc: Rpc, base: Base, chain_snapshot: str) -> Iterator[World]:
    """The base world, reverted after the test."""
    yield World(rpc, base)
