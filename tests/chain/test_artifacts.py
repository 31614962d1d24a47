"""Committed artifacts match the sources, and recompiling reproduces them."""

from __future__ import annotations

import json

import pytest

from ledger.chain.abi import load_artifact
from ledger.chain.compile import ARTIFACTS_DIR, DEPLOYABLE, compile_one, source_digest


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
