"""The main job: `ledger demo` tells the whole Danish scenario and leaves nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ledger.chain.devnet import Devnet
from ledger.demo import MUNICIPALITY_CLAIMS, run_demo

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


def test_the_demo_json_reports_what_each_step_observed(devnet: Devnet) -> None:
    out = subprocess.run(
        [*_LEDGER, "demo", "--json", "--rpc", devnet.rpc_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    observed = json.loads(out.stdout)
    assert observed["chain_id"] == devnet.chain_id
    assert set(observed) >= {"disclosed_to_municipality", "refusal_of_unregistered", "seconds"}


def test_the_municipality_sees_exactly_the_two_claims_it_asked_for(devnet: Devnet) -> None:
    lines: list[str] = []
    result = run_demo(lines.append, rpc_url=devnet.rpc_url)
    disclosed = result.disclosed_to_municipality
    assert set(disclosed) == {"age_over_18", "address"}
    assert set(disclosed["address"]) == {"municipality"}
    assert len(MUNICIPALITY_CLAIMS) == 2
    assert "cpr" not in json.dumps(disclosed)


def test_every_refusal_in_the_story_names_its_reason(devnet: Devnet) -> None:
    result = run_demo(lambda _: None, rpc_url=devnet.rpc_url)
    assert "not registered" in result.refusal_of_unregistered.lower()
    assert result.failure_after_revocation.startswith("CredentialRevoked:")
    assert result.earlier_credential_after_key_theft == "valid"
    assert result.stolen_key_credential.startswith("wallet refuses it")
    assert result.stolen_key_credential.endswith("verifier rejects it (SigningKeyNotValidAtAnchor)")
    assert result.seconds < 60
