"""kill -9 of the devnet node right after a flush: nothing delivered is lost.

A persistent devnet (`devnet_up`, as `ledger devnet up` runs it) is SIGKILLed right after the
issuer handed out a batch, then started again from its state, and the issuer recovers. Two
ways: with the issuer persisting the devnet's state before it delivers (what the CLI does on
the home's devnet), nothing vanishes at all; without it, and with anvil saving only on exit, the
batch and the status list vanish with their blocks and `recover` + `flush` anchor them again.
Either way every delivered credential verifies on chain again, and no root is anchored twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from node_kill import run_node_kill

from ledger.chain.devnet import devnet_down

COUNT = 20


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    yield home
    devnet_down(home)


@pytest.mark.parametrize("persisting", [True, False], ids=["issuer-persists", "anvil-only"])
def test_node_killed_right_after_a_flush_loses_no_delivered_credential(
    home: Path, persisting: bool
) -> None:
    outcome = run_node_kill(
        home,
        count=COUNT,
        max_batch=8,
        persisting=persisting,
        state_interval=1 if persisting else 3600,
    )
    assert outcome.delivered == COUNT
    assert (outcome.vanished == 0) is persisting
    assert outcome.survived == COUNT  # every delivered credential verifies on chain again
    roots = outcome.roots
    assert len(roots) == len(set(roots)) == 3  # 8 + 8 + 4, each anchored once
