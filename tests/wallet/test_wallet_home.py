"""Wallet home resolution, file permissions, passphrase input and import weight."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from world import CHEAP_KDF, PASSPHRASE

from ledger.errors import WalletPassphraseInvalid
from ledger.wallet import WalletStore, passphrase_from_env_or_prompt, wallet_home
from ledger.wallet.store import store_path

ROOT = Path(__file__).resolve().parents[2]


def test_wallet_home_prefers_explicit_then_env_then_default(tmp_path: Path) -> None:
    assert wallet_home(tmp_path / "x", environ={"WALLET_HOME": "/env"}) == tmp_path / "x"
    assert wallet_home(None, environ={"WALLET_HOME": "/env/w"}) == Path("/env/w")
    assert wallet_home(None, environ={}) == Path.home() / ".ledger-wallet"
    assert wallet_home(None, environ={"WALLET_HOME": ""}) == Path.home() / ".ledger-wallet"


def test_home_dir_and_store_file_are_private(store: WalletStore, home: Path) -> None:
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(store_path(home).stat().st_mode) == 0o600
    assert sorted(p.name for p in home.iterdir()) == ["wallet.sqlite"]


def test_existing_home_is_tightened_to_0700(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir(mode=0o755)
    WalletStore.create(home, PASSPHRASE, kdf_params=CHEAP_KDF).close()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_passphrase_comes_from_env_without_prompting() -> None:
    def no_prompt(prompt: str) -> str:
        raise AssertionError("prompted")

    got = passphrase_from_env_or_prompt("WP", "P: ", environ={"WP": "s3cret"}, ask=no_prompt)
    assert got == "s3cret"


def test_passphrase_prompt_with_confirmation() -> None:
    answers = iter(["abc", "abc"])
    assert (
        passphrase_from_env_or_prompt(
            "WP", "P: ", confirm=True, environ={}, ask=lambda _p: next(answers)
        )
        == "abc"
    )


@pytest.mark.parametrize("answers", [["abc", "abd"], [""]])
def test_bad_prompted_passphrase_is_refused(answers: list[str]) -> None:
    it = iter(answers)
    with pytest.raises(WalletPassphraseInvalid):
        passphrase_from_env_or_prompt(
            "WP", "P: ", confirm=True, environ={}, ask=lambda _p: next(it)
        )


def test_importing_the_store_loads_nothing_heavy() -> None:
    code = (
        "import sys, ledger.wallet.store, ledger.wallet;"
        "heavy = [m for m in ('web3', 'eth_account', 'rich', 'click', 'eth_utils', 'requests')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_home_path_with_uri_special_characters_works(tmp_path: Path) -> None:
    home = tmp_path / "my wallet?mode=ro#%20x"
    WalletStore.create(home, PASSPHRASE, kdf_params=CHEAP_KDF).close()
    with WalletStore.open(home, PASSPHRASE) as store:
        store.put_credential("c", "x~", {})
    assert sorted(p.name for p in home.iterdir()) == ["wallet.sqlite"]
