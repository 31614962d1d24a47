from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ledger.home import deployment_file, devnet_state_file, keystores_dir, ledger_home


def test_explicit_home_wins_over_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "env"))
    assert ledger_home(tmp_path / "explicit") == tmp_path / "explicit"


def test_environment_home_wins_over_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "env"))
    assert ledger_home() == tmp_path / "env"


def test_default_home_is_dot_ledger_in_user_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGER_HOME", raising=False)
    assert ledger_home() == Path.home() / ".ledger"


def test_resolving_home_creates_nothing(tmp_path: Path) -> None:
    ledger_home(tmp_path / "h")
    assert not (tmp_path / "h").exists()


def test_directories_are_created_lazily_and_private(tmp_path: Path) -> None:
    home = tmp_path / "h"
    keys = keystores_dir(home)
    state = devnet_state_file(home)
    assert keys == home / "keystores" and keys.is_dir()
    assert state == home / "devnet" / "state.json" and not state.exists()
    for directory in (home, keys, state.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert deployment_file(home) == home / "deployment.json"
