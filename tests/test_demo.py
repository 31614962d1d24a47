"""The main job: `ledger demo` tells the whole Danish scenario and leaves nothing behind.

The demo runs twice in this module: once as a real process on a devnet of its own (the
narration, and no devnet left behind), once in-process with `--json`, also on a devnet of its
own (what each step observed), shared by the tests below.
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
from ledger.demo import CASE_CLAIMS, CASE_REF, HOUSING_CLAIMS, MUNICIPALITY_CLAIMS

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


def test_the_demo_narrates_seven_steps_and_leaves_nothing_running() -> None:
    out = subprocess.run(
        [*_LEDGER, "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    steps = [line.strip() for line in out.stdout.splitlines() if line.startswith("[")]
    assert [step[:5] for step in steps] == [f"[{i}/7]" for i in range(1, 8)]
    assert steps[-1].startswith("[7/7] Once-only:")
    assert "✗" in out.stdout and "✓" in out.stdout  # refusals and successes both shown
    assert _processes_mentioning("ledger-demo-") == []


@pytest.fixture(scope="module")
def observed() -> dict[str, Any]:
    """What `ledger demo --json` reports, run once on a devnet of its own, as a person runs it:
    the session devnet's clock is moved by other tests, and the story's once-only step keeps
    the chain's time."""
    out = CliRunner().invoke(cli, ["demo", "--json"])
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


def _nested(claims: tuple[str, ...]) -> dict[str, set[str]]:
    """{"age_over_18": set(), "address": {"municipality"}} for the flat claim paths."""
    out: dict[str, set[str]] = {}
    for claim in claims:
        top, _, member = claim.partition(".")
        out.setdefault(top, set()).update([member] if member else [])
    return out


def _shape(claims: dict[str, Any]) -> dict[str, set[str]]:
    return {k: set(v) if isinstance(v, dict) else set() for k, v in claims.items()}


def test_once_only_the_municipality_pulls_exactly_age_and_municipality(
    observed: dict[str, Any],
) -> None:
    pulled = observed["pulled_for_case"]
    assert _shape(pulled) == _nested(CASE_CLAIMS)  # exactly the claims asked, nothing more
    assert pulled == {"age_over_18": True, "address": {"municipality": "København"}}


def test_once_only_a_consent_purpose_is_refused_until_karen_consents(
    observed: dict[str, Any],
) -> None:
    assert observed["refusal_before_consent"] == "no-consent"
    after = observed["pulled_after_consent"]
    assert _shape(after) == _nested(HOUSING_CLAIMS)
    assert after == {"address": {"municipality": "København"}}


def test_karens_log_shows_the_three_accesses_each_proven_on_chain(
    observed: dict[str, Any],
) -> None:
    log = observed["access_log"]
    assert [(e["outcome"], e["legal_basis"]) for e in log] == [
        ("answered", "public-task"),
        ("no-consent", "consent"),
        ("answered", "consent"),
    ]
    assert log[0]["case_ref"] == CASE_REF
    assert sorted(log[0]["claims"]) == sorted(CASE_CLAIMS)
    assert {e["requester"] for e in log} == {"Københavns Kommune"}
    assert all(e["batch_no"] >= 1 and e["anchored_block"] > 0 for e in log)
    assert observed["access_log_complete"] is True
    assert "010190" not in json.dumps(log)  # her CPR number is nowhere in her log
