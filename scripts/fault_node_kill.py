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

The scenario itself is `run_node_kill` of `tests/node_kill.py`, which the test
`tests/agency/test_node_kill.py` asserts on. Scenarios: `issuer-persists` (the issuer saves the
devnet's state before it delivers: what the CLI does on the home's devnet), `anvil-every-1s`
(anvil's own save every second only: the blocks since its last save can be lost),
`anvil-on-exit` (anvil saves only when stopped cleanly: everything after setup is lost to a
kill). Bounded: every wait has a timeout, each
devnet is stopped at the end. No timing assertions; the exit code is 1 if anything was lost or
anchored twice.

Usage: scripts/fault_node_kill.py [--count N] [--max-batch N] [--scenario NAME]...
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import _common  # noqa: F401 (first: the project venv and import path)
from node_kill import NodeKillOutcome, run_node_kill

from ledger.chain.devnet import devnet_down

SCENARIOS = {  # name: (issuer persists the devnet's state, anvil's own save interval in s)
    "issuer-persists": (True, 1),
    "anvil-every-1s": (False, 1),
    "anvil-on-exit": (False, 24 * 3600),
}


def run(name: str, count: int, max_batch: int, workdir: Path) -> NodeKillOutcome:
    persisting, interval = SCENARIOS[name]
    home = workdir / name
    try:
        return run_node_kill(
            home, count=count, max_batch=max_batch, persisting=persisting, state_interval=interval
        )
    finally:
        devnet_down(home)


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
                f"{name}: issued {o.issued}, delivered {o.delivered}; node killed at block "
                f"{o.head_before_kill}, restarted at block {o.head_after_restart}; verified "
                f"before recover {o.verified_before_recover}; vanished anchors "
                f"{o.vanished}; survived {o.survived}, lost {o.lost}, anchored twice "
                f"{o.anchored_twice}; persist: {persist}",
                flush=True,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
