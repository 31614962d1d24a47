"""Chain-suite fixtures: the shared world (`tests/world.py`) with this suite's small type,
deployed and populated once per session, snapshot per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chain_helpers import CLAIMS, VERIFIER_CLAIMS, World
from world import WalletWorld, build_wallet_world

from ledger.chain.rpc import Rpc


@pytest.fixture(scope="session")
def base(rpc: Rpc) -> WalletWorld:
    """Deploy the suite and build the base world once per session."""
    return build_wallet_world(rpc, claims=CLAIMS, verifier_claims=VERIFIER_CLAIMS)


@pytest.fixture
def world(rpc: Rpc, base: WalletWorld, chain_snapshot: str) -> Iterator[World]:
    """The base world, reverted after the test."""
    yield World(rpc, base)
