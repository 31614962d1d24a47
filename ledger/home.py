"""The ledger home directory and the files in it.

Resolution order: an explicit path, else the `LEDGER_HOME` environment variable, else
`~/.ledger`. Nothing is created until a helper that returns a directory (or a file inside one)
is called; directories are created with mode 0o700 because the home holds keystores.

Layout::

    <home>/deployment.json      contract addresses of the deployed suite
    <home>/network.json         RPC URL (and proof-of-authority flag) the deployment used
    <home>/keystores/           account and signing-key keystore V3 files (ledger.agency.keys)
    <home>/agencies/<NAME>/     per-agency state: issuer.sqlite (outbox, status indexes),
                                nonces.sqlite (verifier), deliveries/ (--out paths of queued
                                credentials)
    <home>/devnet/devnet.json   pid and URL of the persistent devnet
    <home>/devnet/state.json    its chain state (survives `down` / `up`)
    <home>/devnet/anvil.log     its log
    <home>/devnet/cache/        its cache path (so nothing lands in ~/.foundry)
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "deployment_file",
    "devnet_cache_dir",
    "devnet_dir",
    "devnet_info_file",
    "devnet_log_file",
    "devnet_state_file",
    "ensure_dir",
    "keystores_dir",
    "ledger_home",
]

_DIR_MODE = 0o700


def ledger_home(explicit: Path | None = None) -> Path:
    """Return the ledger home: `explicit`, else `$LEDGER_HOME`, else `~/.ledger` (not created)."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get("LEDGER_HOME")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".ledger"


def ensure_dir(path: Path) -> Path:
    """Create `path` and any missing parents with mode 0o700; return it."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(mode=_DIR_MODE, exist_ok=True)
    return path


def deployment_file(home: Path) -> Path:
    """Path of the deployment record; the home directory is created if missing."""
    return ensure_dir(home) / "deployment.json"


def keystores_dir(home: Path) -> Path:
    """Directory of agency keystore files, created if missing."""
    return ensure_dir(home / "keystores")


def devnet_dir(home: Path) -> Path:
    """Directory of the persistent devnet, created if missing."""
    return ensure_dir(home / "devnet")


def devnet_info_file(home: Path) -> Path:
    """JSON file with the pid and RPC URL of the running persistent devnet."""
    return devnet_dir(home) / "devnet.json"


def devnet_state_file(home: Path) -> Path:
    """Chain state of the persistent devnet (anvil `--state`)."""
    return devnet_dir(home) / "state.json"


def devnet_log_file(home: Path) -> Path:
    """Log file of the persistent devnet."""
    return devnet_dir(home) / "anvil.log"


def devnet_cache_dir(home: Path) -> Path:
    """Anvil cache path of the persistent devnet, created if missing."""
    return ensure_dir(devnet_dir(home) / "cache")
