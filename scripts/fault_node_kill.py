#!/usr/bin/env python3
"""Fault: the devnet node is killed (SIGKILL) right after the issuer delivered a flush (issue 13).

For each scenario: a persistent devnet as `ledger devnet up` runs it (its own home, a free
port), the suite deployed and an accredited issuer with a registered key (all saved to the
devnet's durable state first: that is old news), then `Issuer.issue_many` of COUNT credentials
in batches of MAX_BATCH; the moment it returns (every credential handed out), anvil gets
SIGKILL. It is started again from its state files, and the issuer runs `recover()` + `flush()`
(what `ledger --as AGENCY anchor` does). Printed per scenario:

* issued / delivered: credentials handed out before the kill;
* verify before recover: how many of them the restarted chain still vouches for;
* vanished: anchors `recover` found gone from the chain (and sent again);
* survived / lost: delivered credentials that verify on chain after recover (anchor, key valid
  at anchor time, status entry known), and those that do not;
* anchored twice: anchor events beyond one per batch root;
* persist: what saving the devnet's state cost the issuer (calls, total and last seconds).

Scenarios: `issuer-persists` (the issuer saves the devnet's state before it delivers: what the
CLI does on the home's devnet), `anvil-every-1s` (anvil's own save every second only: the
blocks since its last save can be lost), `anvil-on-exit` (anvil saves only when stopped
cleanly: everything after setup is lost to a kill). Bounded: every wait has a timeout, each
devnet is stopped at the end. No timing assertions; the exit code is 1 if anything was lost or
anchored twice.

Usage: scripts/fault_node_kill.py [--count N] [--max-batch N] [--scenario NAME]...
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import _common  # noqa: F401 (first: the project venv and import path)
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

SCENARIOS = {  # name: (issuer persists the devnet's state, anvil's own save interval in s)
    "issuer-persists": (True, 1),
    "anvil-every-1s": (False, 1),
    "anvil-on-exit": (False, 24 * 3600),
}
TIMEOUT = 30.0


@dataclass
class Outcome:
    """What one scenario found."""

    name: str
    issued: int = 0
    delivered: int = 0
    verified_before_recover: int = 0
    vanished: int = 0
    survived: int = 0
    lost: int = 0
    anchored_twice: int = 0
    persist_calls: int = 0
    persist_seconds: float = 0.0
    persist_last: float = 0.0
    head_before_kill: int = 0
    head_after_restart: int = 0


def _timed(hook: Callable[[], int], out: Outcome) -> Callable[[], int]:
    def persist() -> int:
        start = time.perf_counter()
        try:
            return hook()
        finally:
            out.persist_last = time.perf_counter() - start
            out.persist_seconds += out.persist_last
            out.persist_calls += 1

    return persist


def _kill_and_restart(home: Path, port: int) -> Rpc:
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


def _anchored_twice(world: AgencyWorld) -> int:
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
    roots = Counter(log["topics"][1] for log in logs)
    return sum(n - 1 for n in roots.values())


def run(name: str, count: int, max_batch: int, workdir: Path) -> Outcome:
    persisting, interval = SCENARIOS[name]
    out = Outcome(name)
    home, port = workdir / name, free_port()
    try:
        rpc = Rpc(devnet_up(home, port=port, state_interval=interval).rpc_url)
        world = build_world(rpc)
        persist_devnet_state(rpc, durable_state_file(home))  # setup is old news
        hook = devnet_persister(home, rpc) if persisting else None
        state = home / "issuer"
        holder = SigningKey.generate().public_jwk
        requests = [
            IssueRequest({**PERSON, "given_name": f"Karen {i}"}, holder) for i in range(count)
        ]
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
        world = replace(world, rpc=_kill_and_restart(home, port))
        out.head_after_restart = world.rpc.block_number()
        with Issuer.open(world.issuer_chain(), world.signing_key, state) as issuer:
            out.verified_before_recover = sum(world.checks_on_chain(issuer, p) for p in delivered)
            report = issuer.recover()
            out.vanished = len(report.vanished)
            issuer.flush(max_batch=max_batch)
            out.survived = sum(world.checks_on_chain(issuer, p) for p in delivered)
        out.lost = out.delivered - out.survived
        out.anchored_twice = _anchored_twice(world)
        world.rpc.close()
    finally:
        devnet_down(home)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200, help="credentials per scenario")
    parser.add_argument("--max-batch", type=int, default=50, help="credentials per Merkle root")
    parser.add_argument(
        "--scenario", action="append", choices=sorted(SCENARIOS), help="run only these"
    )
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="fault-node-kill-") as tmp:
        for name in args.scenario or list(SCENARIOS):
            o = run(name, args.count, args.max_batch, Path(tmp))
            failed |= bool(o.lost or o.anchored_twice)
            persist = (
                f"{o.persist_calls} save(s), {o.persist_seconds:.3f} s in all, last "
                f"{o.persist_last * 1000:.1f} ms"
                if o.persist_calls
                else "none by the issuer"
            )
            print(
                f"{o.name}: issued {o.issued}, delivered {o.delivered}; node killed at block "
                f"{o.head_before_kill}, restarted at block {o.head_after_restart}; verified "
                f"before recover {o.verified_before_recover}; vanished anchors "
                f"{o.vanished}; survived {o.survived}, lost {o.lost}, anchored twice "
                f"{o.anchored_twice}; persist: {persist}",
                flush=True,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
