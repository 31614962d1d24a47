"""Fixtures for agency tests (helpers live in `outbox_fakes`, importable by unique name)."""

from __future__ import annotations

from pathlib import Path

import pytest
from outbox_fakes import FileChain


@pytest.fixture
def file_chain(tmp_path: Path) -> FileChain:
    return FileChain(tmp_path / "chain.json")
