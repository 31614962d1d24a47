"""kill -9 of the devnet node right after a flush: nothing delivered is lost.

A persistent devnet (`devnet_up`, as `ledger devnet up` runs it) is SIGKILLed right after the
issuer handed out a batch, then started again from its state, and the issuer recovers. Two
ways: with the issuer persisting the devnet's state before it delivers (what the CLI does on
the home's devnet), nothing vanishes at all; without it, and with anvil saving only on exit, the
batch and the status list vanish with their blocks and `recover` + `flush` anchor them again.
Either way every delivered credential verifies on chain again, and no root is anchored twice.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from world import PERSON, VCT, AgencyWorld, build_world

from ledger.agency.issuer import Issuer, IssueRequest
from ledger.chain.deploy import contract_abi
from ledger.chain.devnet import (
    devnet_down,
    devnet_persister,
    devnet_status,
    devnet_up,
    durable_state_file,
    free_port,
    persist_devnet_state,
)
from ledger.chain.rpc import Rpc, to_hex
from ledger.errors import DevnetError
from ledger.sdjwt.jwk import SigningKey

COUNT = 20


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    yield home
    devnet_down(home)


def _kill_and_restart(home: Path, port: int) -> Rpc:
    info = devnet_status(home)
    assert info is not None
    os.kill(info.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while devnet_status(home) is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    while True:  # the dead node's connections may hold the port for a moment
        try:
            return Rpc(devnet_up(home, port=port).rpc_url)
        except DevnetError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _anchor_events(rpc: Rpc, world: AgencyWorld) -> list[bytes]:
    logs = rpc.call(
        "eth_getLogs",
        [
            {
                "address": world.deployment.address("AnchorRegistry"),
                "fromBlock": hex(world.deployment.block_number),
                "toBlock": "latest",
                "topics": [to_hex(contract_abi("AnchorRegistry").topic("BatchAnchored"))],
            }
        ],
    )
    return [bytes.fromhex(log["topics"][1][2:]) for log in logs]


@pytest.mark.parametrize("persisting", [True, False], ids=["issuer-persists", "anvil-only"])
def test_node_killed_right_after_a_flush_loses_no_delivered_credential(
    home: Path, persisting: bool
) -> None:
    port = free_port()
    rpc = Rpc(devnet_up(home, port=port, state_interval=1 if persisting else 3600).rpc_url)
    world = build_world(rpc)
    persist_devnet_state(rpc, durable_state_file(home))  # the deployment is old news
    state = home / "issuer"
    hook = devnet_persister(home, rpc) if persisting else None
    holder = SigningKey.generate().public_jwk
    requests = [IssueRequest({**PERSON, "given_name": f"K{i}"}, holder) for i in range(COUNT)]
    with Issuer.open(world.issuer_chain(), world.signing_key, state, persist_state=hook) as issuer:
        delivered = issuer.issue_many(requests, vct=VCT, max_batch=8)
    assert len(delivered) == COUNT

    rpc.close()
    world = replace(world, rpc=_kill_and_restart(home, port))
    with Issuer.open(world.issuer_chain(), world.signing_key, state) as issuer:
        report = issuer.recover()
        assert (report.vanished == ()) is persisting
        issuer.flush()
        for package in delivered:
            assert world.checks_on_chain(issuer, package)
    roots = _anchor_events(world.rpc, world)
    world.rpc.close()
    assert len(roots) == len(set(roots)) == 3  # 8 + 8 + 4, each anchored once
