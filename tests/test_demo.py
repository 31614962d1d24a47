"""The main job: `ledger demo` tells the whole Danish scenario and leaves nothing behind.

The demo runs twice in this module: once as a real process on a devnet of its own (the
narration, and no devnet left behind), once in-process on the session devnet with `--json`
(what each step observed), shared by the tests below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ledger.chain.devnet import Devnet
from ledger.cli.ledger_cli import cli
from ledger.demo import MUNICIPALITY_CLAIMS

_LEDGER = [sys.executable, "-c", "from ledger.cli.ledger_cli import main; main()"]


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and entry.name != str(os.getpid()):
            found.append(f"{entry.name}: {cmdline}")
    return found


def test_the_demo_narrates_six_steps_and_leaves_no_devnet_running() -> None:
    out = subprocess.run(
        [*_LEDGER, "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    steps = [line.strip() for line in out.stdout.splitlines() if line.startswith("[")]
    assert [step[:5] for step in steps] == [f"[{i}/6]" for i in range(1, 7)]
    assert "✗" in out.stdout and "✓" in out.stdout  # refusals and successes both shown
    assert _processes_mentioning("ledger-demo-") == []


@pytest.fixture(scope="module")
def observed(devnet: Devnet) -> dict[str, Any]:
    """What `ledger demo --json` reports, run once on the session devnet."""
    out = CliRunner().invoke(cli, ["demo", "--json", "--rpc", devnet.rpc_url])
    assert out.exit_code == 0, out.output
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_the_demo_json_reports_what_each_step_observed(
    observed: dict[str, Any], devnet: Devnet
) -> None:
    assert observed["chain_id"] == devnet.chain_id
    assert set(observed) >= {"disclosed_to_municipality", "refusal_of_unregistered", "seconds"}


def test_the_municipality_sees_exactly_the_two_claims_it_asked_for(
    observed: dict[str, Any],
) -> None:
    disclosed = observed["disclosed_to_municipality"]
    asked = [claim.split(".") for claim in MUNICIPALITY_CLAIMS]  # what the request names
    assert set(disclosed) == {path[0] for path in asked} == {"age_over_18", "address"}
    assert set(disclosed["address"]) == {p[1] for p in asked if p[0] == "address"}
    assert "cpr" not in json.dumps(disclosed)


def test_every_refusal_in_the_story_names_its_reason(observed: dict[str, Any]) -> None:
    assert "not registered" in observed["refusal_of_unregistered"].lower()
    assert observed["failure_after_revocation"].startswith("CredentialRevoked:")
    assert observed["earlier_credential_after_key_theft"] == "valid"
    stolen = observed["stolen_key_credential"]
    assert stolen.startswith("wallet refuses it")
    assert stolen.endswith("verifier rejects it (SigningKeyNotValidAtAnchor)")
