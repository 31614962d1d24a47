"""The node-kill scenario (issue 13), once: `tests/agency/test_node_kill.py` asserts on it,
`scripts/fault_node_kill.py` prints it (imported by path, `scripts/_common.py`). No pytest here.

`run_node_kill(home, ...)`: a persistent devnet as `ledger devnet up` runs it (under `home`, a
free port), the world of `world.build_world` saved to its durable state first (old news), then
`Issuer.issue_many` of `count` credentials in batches of `max_batch`; the moment it returns
(every credential handed out), anvil gets SIGKILL. It is started again from its state files and
the issuer runs `recover()` + `flush()` (what `ledger --as AGENCY anchor` does). The caller stops
the devnet afterwards (`devnet_down(home)`), also when this raises.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from world import PERSON, VCT, AgencyWorld, build_world

from ledger.agency.issuer import Issuer, IssueRequest
from ledger.chain.deploy import contract_abi
from ledger.chain.devnet import (
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

__all__ = ["NodeKillOutcome", "anchored_roots", "kill_and_restart", "run_node_kill"]

#: Every wait (the node dying, its port coming free) gives up after this many seconds.
TIMEOUT = 30.0


@dataclass
class NodeKillOutcome:
    """What one run found (counts of credentials unless said otherwise)."""

    issued: int = 0
    delivered: int = 0
    #: Delivered credentials the restarted chain still vouches for before `recover`.
    verified_before_recover: int = 0
    #: Anchors `recover` found gone from the chain (and sent again).
    vanished: int = 0
    #: Delivered credentials that verify on chain after recover + flush, and those that do not.
    survived: int = 0
    lost: int = 0
    #: Every BatchAnchored root since the deployment, in log order.
    roots: tuple[bytes, ...] = ()
    #: The issuer's saves of the devnet state: calls, total and last seconds.
    persist_calls: int = 0
    persist_seconds: float = 0.0
    persist_last: float = 0.0
    head_before_kill: int = 0
    head_after_restart: int = 0

    @property
    def anchored_twice(self) -> int:
        """Anchor events beyond one per batch root."""
        return sum(n - 1 for n in Counter(self.roots).values())


def kill_and_restart(home: Path, port: int) -> Rpc:
    """SIGKILL the devnet of `home`, wait until it is gone, start it again from its state on
    `port`; a client on it."""
    info = devnet_status(home)
    if info is None:
        raise DevnetError("the devnet is not running")
    os.kill(info.pid, signal.SIGKILL)
    deadline = time.monotonic() + TIMEOUT
    while devnet_status(home) is not None:
        if time.monotonic() > deadline:
            raise DevnetError(f"anvil (pid {info.pid}) survived SIGKILL")
        time.sleep(0.01)
    while True:  # the dead node's connections may hold the port for a moment
        try:
            return Rpc(devnet_up(home, port=port).rpc_url)
        except DevnetError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def anchored_roots(world: AgencyWorld) -> tuple[bytes, ...]:
    """The roots of every BatchAnchored event since the deployment."""
    logs = world.rpc.call(
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
    return tuple(bytes.fromhex(log["topics"][1][2:]) for log in logs)


def _timed(hook: Callable[[], int], out: NodeKillOutcome) -> Callable[[], int]:
    def persist() -> int:
        start = time.perf_counter()
        try:
            return hook()
        finally:
            out.persist_last = time.perf_counter() - start
            out.persist_seconds += out.persist_last
            out.persist_calls += 1

    return persist


def run_node_kill(
    home: Path, *, count: int, max_batch: int, persisting: bool, state_interval: int
) -> NodeKillOutcome:
    """Run the scenario under `home`: the issuer saves the devnet's state before it delivers
    when `persisting` (what the CLI does on the home's devnet); anvil saves its own every
    `state_interval` seconds (and on a clean exit)."""
    out = NodeKillOutcome()
    port = free_port()
    rpc = Rpc(devnet_up(home, port=port, state_interval=state_interval).rpc_url)
    world = build_world(rpc)
    persist_devnet_state(rpc, durable_state_file(home))  # setup is old news
    hook = devnet_persister(home, rpc) if persisting else None
    state = home / "issuer"
    holder = SigningKey.generate().public_jwk
    requests = [IssueRequest({**PERSON, "given_name": f"Karen {i}"}, holder) for i in range(count)]
    out.issued = len(requests)
    with Issuer.open(
        world.issuer_chain(),
        world.signing_key,
        state,
        persist_state=None if hook is None else _timed(hook, out),
    ) as issuer:
        delivered = issuer.issue_many(requests, vct=VCT, max_batch=max_batch)
    out.delivered = len(delivered)
    out.head_before_kill = rpc.block_number()
    rpc.close()
    world = replace(world, rpc=kill_and_restart(home, port))
    try:
        out.head_after_restart = world.rpc.block_number()
        with Issuer.open(world.issuer_chain(), world.signing_key, state) as issuer:
            out.verified_before_recover = sum(world.checks_on_chain(issuer, p) for p in delivered)
            out.vanished = len(issuer.recover().vanished)
            issuer.flush(max_batch=max_batch)
            out.survived = sum(world.checks_on_chain(issuer, p) for p in delivered)
        out.lost = out.delivered - out.survived
        out.roots = anchored_roots(world)
    finally:
        world.rpc.close()
    return out
