"""Setting up a network through the SDK (`ledger.network_setup`), without the CLI: deploying
the suite, seating the first council from a keyring, funding on a devnet, the record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.agency.keys import AgencyKeyring
from ledger.chain.client import LedgerChain
from ledger.chain.deploy import Deployment
from ledger.chain.rpc import Rpc
from ledger.errors import AgencyKeyNotFound, ConfigError, InputError
from ledger.network_setup import (
    DEVNET_FUNDING,
    CouncilSeat,
    deploy_network,
    fund_on_devnet,
    is_devnet,
    seat_council,
)


def _keyring(home: Path) -> AgencyKeyring:
    return AgencyKeyring(home, kdf="pbkdf2", work_factor=2)


def _no_prompt(name: str) -> str:
    raise AssertionError(f"asked for a passphrase for {name}")


def test_a_council_of_two_is_seated_with_threshold_two(
    rpc: Rpc, chain_snapshot: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    asked: list[str] = []

    def passphrase(name: str) -> str:
        asked.append(name)
        return "pass"

    result = deploy_network(
        rpc,
        _keyring(home),
        home,
        home / "deployment.json",
        council=["alice", "bob"],
        threshold=2,
        deployer=None,
        force=False,
        new_passphrase=passphrase,
    )
    ring = _keyring(home)
    assert asked == ["alice", "bob"]
    assert result.council == (
        CouncilSeat("alice", ring.address("alice"), created=True, funded=True),
        CouncilSeat("bob", ring.address("bob"), created=True, funded=True),
    )
    assert (result.threshold, result.replaced_live, result.rpc_url) == (2, False, rpc.url)
    chain = LedgerChain(rpc, Deployment.load(result.record_path))
    assert chain.council_threshold() == 2
    assert set(chain.council_members()) == {ring.address("alice"), ring.address("bob")}
    assert rpc.get_balance(ring.address("bob")) == DEVNET_FUNDING
    assert json.loads((home / "network.json").read_text())["rpc_url"] == rpc.url
    ring.unlock_account("alice", "pass")  # the created keystore opens with the given passphrase


def test_existing_funded_accounts_are_neither_created_nor_funded(
    rpc: Rpc, chain_snapshot: str, tmp_path: Path
) -> None:
    ring = _keyring(tmp_path)
    address = ring.create_account("carol", "pass")
    fund_on_devnet(rpc, [address])
    seats = seat_council(rpc, ring, ["carol"], devnet=True, new_passphrase=_no_prompt)
    assert seats == (CouncilSeat("carol", address, created=False, funded=False),)
    assert rpc.get_balance(address) == DEVNET_FUNDING


def test_a_missing_council_account_is_not_created_off_a_devnet(rpc: Rpc, tmp_path: Path) -> None:
    with pytest.raises(AgencyKeyNotFound):
        seat_council(rpc, _keyring(tmp_path), ["dave"], devnet=False, new_passphrase=_no_prompt)


@pytest.mark.parametrize(
    ("council", "error"),
    [([], ConfigError), (["a", "a"], ConfigError), (["no/slash"], InputError)],
    ids=["empty", "twice", "bad-name"],
)
def test_a_malformed_council_is_refused_before_anything_is_sent(
    rpc: Rpc, tmp_path: Path, council: list[str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        deploy_network(
            rpc,
            _keyring(tmp_path),
            tmp_path,
            tmp_path / "deployment.json",
            council=council,
            threshold=None,
            deployer=None,
            force=False,
            new_passphrase=_no_prompt,
        )
    assert not (tmp_path / "deployment.json").exists()
    assert not (tmp_path / "network.json").exists()


def test_a_live_deployment_is_replaced_only_with_force(
    rpc: Rpc, chain_snapshot: str, tmp_path: Path
) -> None:
    ring, record = _keyring(tmp_path), tmp_path / "deployment.json"
    ring.create_account("erin", "pass")

    def deploy(force: bool) -> bool:
        return deploy_network(
            rpc,
            ring,
            tmp_path,
            record,
            council=["erin"],
            threshold=None,
            deployer=None,
            force=force,
            new_passphrase=_no_prompt,
        ).replaced_live

    assert deploy(False) is False
    first = Deployment.load(record)
    with pytest.raises(ConfigError, match="pass --force to replace it"):
        deploy(False)
    assert Deployment.load(record) == first
    assert deploy(True) is True
    assert Deployment.load(record) != first


def test_the_session_node_is_an_anvil_devnet(rpc: Rpc) -> None:
    assert is_devnet(rpc)
