"""Fault scenarios of issue 13 part 6, through the real CLIs as separate processes.

The scenarios live in `scripts/fault_scenarios.py` (which prints them on a devnet of its own);
here they run on the session devnet and must find nothing lost, nothing anchored twice, and the
faulted command failing with one `Error:` line (no traceback). Disk full is a file size limit
(RLIMIT_FSIZE with SIGXFSZ ignored, so writes fail with EFBIG): it needs no root; the tmpfs
variant (a real ENOSPC) is in the script only. A process killed mid-batch is
tests/agency/test_outbox_crash.py; node killed and node hung have their own tests.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ledger.chain.devnet import Devnet

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fault_scenarios.py"


def _load() -> ModuleType:
    if str(SCRIPT.parent) not in sys.path:  # as when it runs as a file: scripts/_common
        sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("fault_scenarios", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


faults = _load()


@pytest.fixture(scope="module")
def homes(devnet: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One agency `cpr` (and a wallet) on a deployment of its own, shared by this module."""
    return faults.setup(tmp_path_factory.mktemp("faults"), devnet.rpc_url)


def _clean(outcome: Any) -> None:
    assert outcome.problems == [], outcome.lines()
    assert outcome.lost == [], outcome.lines()
    assert outcome.anchored_twice == 0, outcome.lines()
    assert outcome.survived == outcome.done > 0, outcome.lines()


def _failed_for_lack_of_room(outcome: Any) -> None:
    """The faulted command failed first, with one line saying the disk is full, and so did
    every later attempt until one succeeded."""
    assert outcome.errors and outcome.errors[0].startswith("Error: "), outcome.lines()
    for line in outcome.errors:
        if not line.startswith("(succeeded"):
            assert line.startswith("Error: "), outcome.lines()
            assert "Nothing committed before was lost" in line, outcome.lines()


def test_outbox_full_during_issue_many_loses_nothing_and_anchors_once(homes: Any) -> None:
    outcome = faults.outbox_disk_full(homes)
    _clean(outcome)
    _failed_for_lack_of_room(outcome)
    assert "issuer.sqlite" in outcome.errors[0]


def test_outbox_full_during_anchor_loses_nothing_and_anchors_once(homes: Any) -> None:
    outcome = faults.anchor_disk_full(homes)
    _clean(outcome)
    _failed_for_lack_of_room(outcome)


def test_wallet_full_during_import_keeps_every_credential(homes: Any) -> None:
    outcome = faults.wallet_disk_full(homes)
    _clean(outcome)
    _failed_for_lack_of_room(outcome)
    assert "wallet.sqlite" in outcome.errors[0]


def test_concurrent_issue_many_anchor_and_issue_lose_nothing(homes: Any) -> None:
    outcome = faults.concurrent_issue(homes)
    _clean(outcome)  # a process that refused did so with one `Error:` line (no traceback)


def test_concurrent_wallet_imports_both_land(homes: Any) -> None:
    outcome = faults.concurrent_wallet_import(homes)
    _clean(outcome)
