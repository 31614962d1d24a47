"""Committed artifacts match the sources, recompiling reproduces them, and the Python mirror of
their custom errors (ledger/errors/contracts.py) is what they generate."""

from __future__ import annotations

import json

import pytest

from ledger.chain.abi import load_artifact
from ledger.chain.compile import ARTIFACTS_DIR, DEPLOYABLE, compile_one, source_digest
from ledger.chain.errorgen import CONTRACT_ERRORS_PATH, committed_artifacts, render_contract_errors


@pytest.mark.parametrize("name", DEPLOYABLE)
def test_artifact_is_built_from_the_current_sources(name: str) -> None:
    assert load_artifact(name).source_digest == source_digest(), (
        f"{name}.json is stale: run scripts/compile"
    )


def test_every_artifact_file_is_expected() -> None:
    assert sorted(p.stem for p in ARTIFACTS_DIR.glob("*.json")) == sorted(DEPLOYABLE)


def test_recompiling_reproduces_the_committed_bytecode() -> None:
    fresh = compile_one("AnchorRegistry")
    committed = json.loads((ARTIFACTS_DIR / "AnchorRegistry.json").read_text())
    assert fresh == committed


def test_generated_contract_errors_are_fresh() -> None:
    # ledger/errors/contracts.py is generated from the committed artifacts' ABI and NatSpec by
    # scripts/compile: a hand edit, or artifacts committed without it, differ from a regeneration.
    assert render_contract_errors(committed_artifacts()) == CONTRACT_ERRORS_PATH.read_text(), (
        "ledger/errors/contracts.py is stale or was edited by hand: run scripts/compile"
    )
