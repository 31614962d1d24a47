"""The Danish scenario of `ledger demo`, told through the real CLIs instead of the SDK.

`ledger` (operator and agencies) and `wallet` (the citizen) run in-process through click's
`CliRunner` against the session anvil, with a fresh ledger home and wallet home per test,
keystores under a cheap scrypt (`LEDGER_TEST_FAST_KDF=1`) and the wallet under a cheap Argon2id.
Only the thief's credential is made through the SDK: the CLI will not sign with a revoked key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledger.wallet import KdfParams

LEDGER_PASSPHRASE = "correct horse battery staple"
WALLET_PASSPHRASE = "Karen's wallet passphrase"
CHEAP_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)
BROKER_PURPOSE = "Marketing profile enrichment"

Invoke = Callable[..., Result]


@pytest.fixture
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(ledger home, wallet home), both fresh; secrets from the environment; cheap KDFs."""
    from ledger.cli import wallet_cli

    ledger_home, wallet_home = tmp_path / "ledger-home", tmp_path / "wallet-home"
    for var in ("LEDGER_RPC", "LEDGER_ACCOUNT", "LEDGER_DEPLOYMENT", "LEDGER_POA"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LEDGER_HOME", str(ledger_home))
    monkeypatch.setenv("LEDGER_PASSPHRASE", LEDGER_PASSPHRASE)
    monkeypatch.setenv("LEDGER_TEST_FAST_KDF", "1")
    monkeypatch.setenv("WALLET_HOME", str(wallet_home))
    monkeypatch.setenv("WALLET_PASSPHRASE", WALLET_PASSPHRASE)
    monkeypatch.setattr(wallet_cli, "KDF_PARAMS", CHEAP_KDF)
    return ledger_home, wallet_home


@pytest.fixture
def ledger() -> Invoke:
    """`ledger ARGS...` in-process."""
    from ledger.cli.ledger_cli import cli

    return lambda *args: CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def wallet() -> Invoke:
    """`wallet ARGS...` in-process."""
    from ledger.cli.wallet_cli import cli

    return lambda *args: CliRunner().invoke(cli, list(args), catch_exceptions=False)


def ok(result: Result) -> str:
    """stdout of a command that must succeed."""
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    return result.stdout


def refused(result: Result) -> str:
    """stderr of a command that must fail with an expected error (exit 1, no output)."""
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    return result.stderr


# ---------------------------------------------------------------------------------------------
# wallet holder-key
# ---------------------------------------------------------------------------------------------


def _holder_kid(wallet_home: Path) -> tuple[str, dict[str, str]]:
    from ledger.wallet import Wallet

    with Wallet.open(wallet_home, WALLET_PASSPHRASE) as held:
        return held.holder_key().kid, held.holder_jwk


def test_holder_key_prints_the_public_jwk_only(
    homes: tuple[Path, Path], wallet: Invoke
) -> None:
    ok(wallet("init"))
    _, jwk = _holder_kid(homes[1])
    printed = ok(wallet("holder-key"))
    assert printed == json.dumps(jwk, sort_keys=True) + "\n"
    assert sorted(json.loads(printed)) == ["crv", "kty", "x", "y"]  # no private "d"


def test_holder_key_out_writes_the_jwk_file(
    homes: tuple[Path, Path], wallet: Invoke, tmp_path: Path
) -> None:
    ok(wallet("init"))
    kid, jwk = _holder_kid(homes[1])
    out = tmp_path / "holder.jwk.json"
    assert ok(wallet("holder-key", "--out", str(out))) == (
        f"Wrote the public holder key {kid} to {out}\n"
    )
    assert json.loads(out.read_text()) == jwk
    assert '"d"' not in out.read_text()
    as_json = json.loads(ok(wallet("--json", "holder-key")))
    assert as_json == {"kid": kid, "jwk": jwk, "out": None}


def test_holder_key_without_a_wallet_is_an_error(homes: tuple[Path, Path], wallet: Invoke) -> None:
    assert refused(wallet("holder-key")) == (
        f"Error: no wallet in {homes[1]} (run `wallet init` first)\n"
    )
