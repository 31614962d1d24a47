"""Fixtures of the CLI tests: a temporary ledger home, cheap keystores, an in-process runner.

`ledger` commands run in-process through click's `CliRunner` against the session anvil
(`LEDGER_RPC`), with `LEDGER_HOME` a fresh temporary directory per test and keystores
encrypted with a cheap work factor (`world.CHEAP_WORK`, passed as click's `obj`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result
from world import CHEAP_WORK

if TYPE_CHECKING:
    from ledger.chain.devnet import Devnet

PASSPHRASE = "correct horse battery staple"

Invoke = Callable[..., Result]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ledger home; passphrases from the environment, no stray settings."""
    path = tmp_path / "home"
    for var in ("LEDGER_RPC", "LEDGER_ACCOUNT", "LEDGER_DEPLOYMENT", "LEDGER_POA"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LEDGER_HOME", str(path))
    monkeypatch.setenv("LEDGER_PASSPHRASE", PASSPHRASE)
    return path


@pytest.fixture
def ledger(home: Path) -> Invoke:
    """Run `ledger ARGS...` in-process; returns click's `Result` (stdout, stderr, exit_code)."""
    from ledger.cli.ledger_cli import cli

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return CliRunner().invoke(
            cli, list(args), env=env, input=input, catch_exceptions=False, obj=CHEAP_WORK
        )

    return invoke


@pytest.fixture
def on_devnet(
    home: Path, devnet: Devnet, devnet_funder: None, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Point the CLI at the session anvil (`LEDGER_RPC`), its funding account refilled; returns
    its URL."""
    monkeypatch.setenv("LEDGER_RPC", devnet.rpc_url)
    return devnet.rpc_url
