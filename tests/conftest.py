"""Shared fixtures: one anvil per test session (per xdist worker), RPC, funded accounts, and
the deployed worlds of `world.py` (`agency_world`, `wallet_world`).

Chain modules are imported inside the fixtures so that collecting tests that never touch the
chain stays cheap.

Sharing one devnet: tests that change chain state either use fresh accounts (`fresh_account`)
or the `chain_snapshot` fixture, which reverts the chain after the test. `TxSender` re-reads
the pending nonce on every send, so senders survive reverts; code that caches its own nonces
must not.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from _hostile import Hostile
    from eth_account.signers.local import LocalAccount
    from world import AgencyWorld, WalletWorld

    from ledger.chain.devnet import Devnet
    from ledger.chain.rpc import Rpc

ETHER = 10**18


@pytest.fixture(scope="session")
def devnet() -> Iterator[Devnet]:
    """A running anvil on a free port, private to this session (xdist worker)."""
    from ledger.chain.devnet import Devnet

    with Devnet(die_with_parent=True) as net:
        yield net


@pytest.fixture(scope="session")
def rpc(devnet: Devnet) -> Iterator[Rpc]:
    """A keep-alive JSON-RPC client on the session devnet."""
    from ledger.chain.rpc import Rpc

    with Rpc(devnet.rpc_url) as client:
        yield client


@pytest.fixture(scope="session")
def dev_accounts(devnet: Devnet) -> list[LocalAccount]:
    """Anvil's pre-funded accounts (10,000 ETH each). Shared: prefer `fresh_account` when a
    test sends many transactions or cares about the nonce."""
    return devnet.dev_accounts


@pytest.fixture
def devnet_funder(devnet: Devnet, rpc: Rpc) -> None:
    """Refill anvil dev account 0, the source of `ledger ... --fund`, to its starting 10,000 ETH:
    every funded CLI account takes 100 ETH from it, and on the shared session devnet those
    withdrawals add up as tests are added until one runs dry ("insufficient funds")."""
    rpc.call("anvil_setBalance", [devnet.dev_accounts[0].address, hex(10_000 * ETHER)])


@pytest.fixture
def chain_snapshot(rpc: Rpc) -> Iterator[str]:
    """Snapshot the chain before the test and revert to it afterwards (opt-in).

    The revert also drops every pending transaction: one the test left in the pool (signed
    with a nonce of the reverted timeline, or behind a gap) would otherwise be mined during a
    later test of the same accounts, or take the nonce a later sender expects."""
    snapshot_id = str(rpc.call("evm_snapshot", []))
    try:
        yield snapshot_id
    finally:
        reverted = rpc.call("evm_revert", [snapshot_id])
        rpc.call("anvil_dropAllTransactions", [])
        if not reverted:
            raise RuntimeError(f"evm_revert({snapshot_id}) failed")


@pytest.fixture
def fresh_account(rpc: Rpc) -> Callable[..., LocalAccount]:
    """Factory: `fresh_account(ether=100)` returns a new random account holding `ether` ETH.

    Funded with `anvil_setBalance` rather than a transfer from a dev account, so no dev-account
    nonce is involved and `chain_snapshot` reverts cannot desynchronise a funding sender.
    """
    from eth_account import Account

    def make(ether: int = 100) -> LocalAccount:
        account: LocalAccount = Account.from_key(secrets.token_bytes(32))
        rpc.call("anvil_setBalance", [account.address, hex(ether * ETHER)])
        return account

    return make


@pytest.fixture(scope="session")
def agency_world(rpc: Rpc) -> AgencyWorld:
    """The deployed suite with an issuer and a verifier in place (`world.build_world`), built
    once per session (xdist worker). Pair with `chain_snapshot`."""
    from world import build_world

    return build_world(rpc)


@pytest.fixture(scope="session")
def wallet_world(rpc: Rpc) -> WalletWorld:
    """The agency world plus an issuer status list and an agency registered for nothing
    (`world.build_wallet_world`), built once per session. Pair with `chain_snapshot`."""
    from world import build_wallet_world

    return build_wallet_world(rpc)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Hostile]:
    """Every hostile document of `tests/vectors/hostile/corpus.yaml`, by name, each in its own
    file (`_hostile.build_corpus`)."""
    from _hostile import build_corpus

    return build_corpus(tmp_path_factory)
