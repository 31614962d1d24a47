"""Chains without the P256VERIFY precompile (pre-Osaka): the cause is named, not a bare revert."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chain_helpers import funded_account

from ledger.chain.client import LedgerChain
from ledger.chain.council import council_execute
from ledger.chain.deploy import deploy_suite
from ledger.chain.devnet import Devnet
from ledger.chain.possession import p256_verify_available
from ledger.chain.rpc import Rpc
from ledger.errors import P256VerifyUnavailable
from ledger.sdjwt.jwk import SigningKey


@pytest.fixture(scope="module")
def prague_rpc() -> Iterator[Rpc]:
    """A devnet on the Prague rules: everything but P256VERIFY."""
    with Devnet(die_with_parent=True, hardfork="prague") as net, Rpc(net.rpc_url) as rpc:
        yield rpc


def test_precompile_is_found_on_the_devnet_and_missing_before_osaka(
    rpc: Rpc, prague_rpc: Rpc
) -> None:
    assert p256_verify_available(rpc)
    assert not p256_verify_available(prague_rpc)


def test_key_registration_without_the_precompile_names_the_cause(prague_rpc: Rpc) -> None:
    member, agency = funded_account(prague_rpc), funded_account(prague_rpc)
    deployment = deploy_suite(
        prague_rpc, funded_account(prague_rpc), council_members=[member.address], threshold=1
    )
    council = [LedgerChain(prague_rpc, deployment, member)]
    council_execute(council, council[0].actions.admit_agency(agency.address, "CPR Office"))
    chain = LedgerChain(prague_rpc, deployment, agency)
    key = SigningKey.generate()
    with pytest.raises(P256VerifyUnavailable, match="no P256VERIFY precompile"):
        chain.register_key(key)
    assert chain.key(key.thumbprint).agency is None
