"""Which chain the SDK and the CLIs talk to: the RPC endpoint and the deployment record.

Resolution order, the same for `ledger` and `wallet`:

- RPC URL: explicit argument > `LEDGER_RPC` > `network.json` in the ledger home (written by
  `ledger deploy`) > the persistent devnet of the ledger home (`ledger devnet up`).
- Deployment record: explicit path > `LEDGER_DEPLOYMENT` > `deployment.json` in the ledger home.
- Proof-of-authority chains (Besu/QBFT): `poa` in `network.json` or `LEDGER_POA=1`.
- RPC timeout (seconds any one request may wait on the node, see `ledger.chain.rpc`): explicit
  argument (`--rpc-timeout`) > `LEDGER_RPC_TIMEOUT` > `rpc_timeout` in `network.json` >
  `DEFAULT_RPC_TIMEOUT` (5 s).
- Confirmations an anchor needs before its credentials are handed out: a command's
  `--confirmations` > `LEDGER_CONFIRMATIONS` > `confirmations` in `network.json` > what the
  network's consensus needs (`ledger.agency.anchoring.default_confirmations`: 1 on QBFT and on
  an anvil devnet). `None` in `NetworkConfig` means "not configured".

Nothing here does I/O at import time; `connect` reads files and makes no RPC call.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ledger import untrusted_json
from ledger._atomic import write_atomic
from ledger.chain.rpc import DEFAULT_RPC_TIMEOUT
from ledger.errors import ConfigError
from ledger.home import deployment_file, ledger_home

NETWORK_FILE = "network.json"


@dataclass(frozen=True)
class NetworkConfig:
    """Where to find the chain: RPC URL, deployment record path, proof-of-authority flag, and
    how long a request may wait on the node (`rpc_timeout`, seconds)."""

    home: Path
    rpc_url: str
    deployment_path: Path
    poa: bool = False
    rpc_timeout: float = DEFAULT_RPC_TIMEOUT
    confirmations: int | None = None


def network_file(home: Path) -> Path:
    """`network.json` under the ledger home."""
    return home / NETWORK_FILE


def save_network(home: Path, rpc_url: str, *, poa: bool = False) -> None:
    """Remember the RPC endpoint of the deployment in the ledger home."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = network_file(home)
    write_atomic(path, json.dumps({"rpc_url": rpc_url, "poa": poa}, indent=2) + "\n")


def saved_network(home: Path) -> dict[str, object]:
    """The network record `ledger deploy` wrote (`{}` if none); `ConfigError` if unreadable."""
    path = network_file(home)
    if not path.exists():
        return {}
    try:
        doc = untrusted_json.load_file(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable network record ({exc})") from exc
    return doc if isinstance(doc, dict) else {}


def resolve_network(
    home: Path | None = None,
    *,
    rpc_url: str | None = None,
    deployment_path: Path | None = None,
    rpc_timeout: float | None = None,
) -> NetworkConfig:
    """Work out the RPC URL, deployment record and RPC timeout to use; `ConfigError` when
    there is no chain or the timeout is not a positive number of seconds."""
    home = ledger_home(home)
    saved = saved_network(home)
    url = rpc_url or os.environ.get("LEDGER_RPC") or saved.get("rpc_url")
    if not url:
        from ledger.chain.devnet import devnet_status  # only when nothing else names a chain

        info = devnet_status(home)
        if info is None:
            raise ConfigError(
                "no chain configured: pass --rpc, set LEDGER_RPC, or start one with "
                "`ledger devnet up` and `ledger deploy`"
            )
        url = info.rpc_url
    env_dep = os.environ.get("LEDGER_DEPLOYMENT")
    dep = deployment_path or (Path(env_dep) if env_dep else deployment_file(home))
    poa = bool(saved.get("poa")) or os.environ.get("LEDGER_POA") == "1"
    timeout = _timeout(rpc_timeout, "the RPC timeout")
    if rpc_timeout is None and os.environ.get("LEDGER_RPC_TIMEOUT"):
        timeout = _timeout(os.environ["LEDGER_RPC_TIMEOUT"], "LEDGER_RPC_TIMEOUT")
    elif rpc_timeout is None and saved.get("rpc_timeout") is not None:
        timeout = _timeout(saved["rpc_timeout"], f"rpc_timeout in {network_file(home)}")
    confirmations = _confirmations(
        saved.get("confirmations"), f"confirmations in {network_file(home)}"
    )
    if os.environ.get("LEDGER_CONFIRMATIONS"):
        confirmations = _confirmations(os.environ["LEDGER_CONFIRMATIONS"], "LEDGER_CONFIRMATIONS")
    return NetworkConfig(
        home=home,
        rpc_url=str(url),
        deployment_path=dep,
        poa=poa,
        rpc_timeout=DEFAULT_RPC_TIMEOUT if timeout is None else timeout,
        confirmations=confirmations,
    )


def _confirmations(value: object, where: str) -> int | None:
    """`value` as a number of blocks >= 1 (None stays None); `ConfigError` naming `where`."""
    if value is None:
        return None
    try:
        blocks = int(str(value))
    except ValueError:
        blocks = 0
    if isinstance(value, bool) or blocks < 1:
        raise ConfigError(f"{where} must be a whole number of blocks, at least 1, got {value!r}")
    return blocks


def _timeout(value: object, where: str) -> float | None:
    """`value` as a positive number of seconds (None stays None); `ConfigError` naming
    `where` otherwise."""
    if value is None:
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = 0.0
    if isinstance(value, bool) or not 0 < seconds < float("inf"):
        raise ConfigError(f"{where} must be a positive number of seconds, got {value!r}")
    return seconds
