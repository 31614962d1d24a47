"""Where the wallet lives: the wallet home directory and its file modes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HOME_ENV = "WALLET_HOME"
DEFAULT_HOME_NAME = ".ledger-wallet"
STORE_FILE = "wallet.sqlite"
DIR_MODE = 0o700
FILE_MODE = 0o600

__all__ = ["DIR_MODE", "FILE_MODE", "HOME_ENV", "STORE_FILE", "ensure_home", "wallet_home"]


def wallet_home(explicit: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Path:
    """The wallet home: `explicit` if given, else $WALLET_HOME, else ~/.ledger-wallet. No I/O."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ if environ is None else environ
    value = env.get(HOME_ENV, "")
    if value:
        return Path(value).expanduser()
    return Path.home() / DEFAULT_HOME_NAME


def ensure_home(home: Path) -> Path:
    """Create `home` (and parents) if missing and make it private to the user (0o700)."""
    home.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(home, DIR_MODE)
    return home
