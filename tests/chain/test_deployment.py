"""The deployment: record round trip, liveness, wiring, and no deployer power."""

from __future__ import annotations

from pathlib import Path

import pytest
from chain_helpers import World, funded_account

from ledger.chain.deploy import SUITE, Deployment, deploy_suite, is_live, predict_address
from ledger.errors import ConfigError, CouncilInvalidThreshold

ADMIN_ROLE = bytes(32)


def test_deployment_record_round_trips(world: World, tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    world.deployment.save(path)
    assert Deployment.load(path) == world.deployment
    assert is_live(world.rpc, world.deployment)
    assert world.deployment.is_live(world.rpc)


def test_missing_or_malformed_record_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Deployment.load(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text('{"chainId": 1}')
    with pytest.raises(ConfigError):
        Deployment.load(tmp_path / "bad.json")


def test_record_on_another_chain_is_not_live(world: World) -> None:
    moved = Deployment(**{**world.deployment.__dict__, "chain_id": 1})
    assert not is_live(world.rpc, moved)


def test_deployer_holds_no_role_and_the_council_holds_both(world: World) -> None:
    deployer = world.deployment.deployer
    council = world.deployment.address("Council")
    governed = (
        "TrustRegistry",
        "CredentialTypeRegistry",
        "KeyRegistry",
        "VerifierRegistry",
        "DataServiceDirectory",
    )
    for contract in governed:
        council_role = world.reader.view(contract, "COUNCIL_ROLE", [])[0]
        for role in (ADMIN_ROLE, council_role):
            assert not world.reader.view(contract, "hasRole", [role, deployer])[0]
            assert world.reader.view(contract, "hasRole", [role, council])[0]


def test_contracts_are_wired_to_each_other(world: World) -> None:
    wired = world.reader.view("LedgerLens", "registries", [])
    names = [
        "TrustRegistry",
        "CredentialTypeRegistry",
        "KeyRegistry",
        "VerifierRegistry",
        "AnchorRegistry",
        "StatusRegistry",
    ]
    assert list(wired) == [world.deployment.address(n) for n in names]
    # Council 1.1: execute(), votes cast from seats; LedgerLens 1.1: root-only requests.
    # Every contract +0.1 (issue 16): one Semver base (version() is a view), the agency status
    # enum, and the TrustRegistry's history in binary-searched checkpoints.
    # VerifierRegistry 2.0 (issue 17): registrations carry a legal basis; the ReceiptRegistry
    # and the DataServiceDirectory are new.
    newer = {
        "Council": "1.2.0",
        "LedgerLens": "1.2.0",
        "VerifierRegistry": "2.0.0",
        "ReceiptRegistry": "1.0.0",
        "DataServiceDirectory": "1.0.0",
    }
    for name in SUITE:
        assert world.reader.view(name, "version", [])[0] == newer.get(name, "1.1.0"), name


def test_the_council_may_call_the_data_service_directory(world: World) -> None:
    address = world.deployment.address("DataServiceDirectory")
    assert world.reader.view("Council", "isAllowedTarget", [address])[0]
    receipts = world.deployment.address("ReceiptRegistry")
    assert not world.reader.view("Council", "isAllowedTarget", [receipts])[0]


def test_addresses_follow_the_deployer_nonces(world: World) -> None:
    first = predict_address(world.deployment.deployer, 0)
    assert first == world.deployment.address("Council")


def test_unreachable_threshold_is_rejected_at_deploy(world: World) -> None:
    members = [funded_account(world.rpc).address for _ in range(2)]
    with pytest.raises(CouncilInvalidThreshold):
        deploy_suite(world.rpc, funded_account(world.rpc), council_members=members, threshold=3)
