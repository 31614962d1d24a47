"""Fixtures for agency tests (helpers live in `outbox_fakes` and `test_verifier`, importable by
unique name)."""

from __future__ import annotations

from pathlib import Path

import pytest
from outbox_fakes import FileChain
from test_verifier import Setup, make_setup
from world import AgencyWorld


@pytest.fixture
def file_chain(tmp_path: Path) -> FileChain:
    return FileChain(tmp_path / "chain.json")


@pytest.fixture(scope="module")
def setup(agency_world: AgencyWorld) -> Setup:
    """The verifier tests' world, set up once per module (`test_verifier.make_setup`)."""
    return make_setup(agency_world)
