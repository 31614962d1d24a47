"""The anvil executable and its process: where it is, its arguments, its readiness, its end.

Shared by both modes of `ledger.chain.devnet` (the ephemeral `Devnet` and the persistent
`devnet_up`): finding anvil (`find_anvil`), a free port, anvil's funded dev accounts, the command
line, waiting until the anvil just launched (not another process on its port) answers, and
terminating it.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger import untrusted_json
from ledger.errors import AnvilNotFound, DevnetError

if TYPE_CHECKING:
    # eth-account takes about a second to import; only the dev-account helpers need it, and
    # they import it when called, so `ledger devnet up|status|down` never pays for it.
    from eth_account.signers.local import LocalAccount

__all__ = ["ANVIL_MNEMONIC", "HARDFORK", "anvil_dev_accounts", "find_anvil", "free_port"]

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
"""Anvil's well-known default mnemonic; its accounts are public knowledge — devnets only."""

_HOST = "127.0.0.1"
_READY_TIMEOUT = 15.0
_STOP_TIMEOUT = 10.0
_LOG_TAIL = 2000
#: What anvil logs once it holds its port (`Listening on 127.0.0.1:8545`).
_LISTENING = b"Listening on "
# Osaka brings the P256VERIFY precompile (EIP-7951) that KeyRegistry checks proofs of possession
# with; named, so that a future anvil default cannot change the devnet's rules.
HARDFORK = "osaka"
# States of recent blocks kept in memory for calls at past blocks (replaying a failed
# transaction at its block needs this); older history is pruned.
_HISTORY = 256


def _platform_package() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    return f"anvil-{sys.platform}-{arch}"


def _search_roots() -> list[Path]:
    roots: list[Path] = []
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        roots.extend([start, *start.parents])
    return list(dict.fromkeys(roots))


def find_anvil() -> Path:
    """Locate the anvil executable.

    Order: `$LEDGER_ANVIL`; the native binary in the npm platform package
    (`node_modules/@foundry-rs/anvil-<os>-<arch>/bin/anvil`, found walking up from this package
    and from the working directory) because it starts faster than the node wrapper; the wrapper
    `node_modules/.bin/anvil`; `anvil` on PATH. Raises `AnvilNotFound` otherwise.
    """
    env = os.environ.get("LEDGER_ANVIL")
    if env:
        path = Path(env).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise AnvilNotFound(f"LEDGER_ANVIL={env} is not an executable file")
    exe = "anvil.exe" if sys.platform == "win32" else "anvil"
    package = _platform_package()
    roots = _search_roots()
    for root in roots:
        native = root / "node_modules" / "@foundry-rs" / package / "bin" / exe
        if native.is_file() and os.access(native, os.X_OK):
            return native
    for root in roots:
        wrapper = root / "node_modules" / ".bin" / "anvil"
        if wrapper.is_file():
            return wrapper
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise AnvilNotFound(
        "anvil not found: run `python3 run.py setup` (or `npm ci`) in the project root, "
        "or set LEDGER_ANVIL to an anvil executable"
    )


def free_port(host: str = _HOST) -> int:
    """Return a TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _ensure_port_free(port: int) -> None:
    """Refuse a busy port up front: anvil would fail to bind, and meanwhile the readiness poll
    could be answered by whatever already listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like anvil itself: ignore TIME_WAIT leftovers, fail only on a live listener.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((_HOST, port))
        except OSError as exc:
            raise DevnetError(f"port {port} on {_HOST} is already in use") from exc


_SEED_CACHE: dict[str, bytes] = {}


def anvil_dev_accounts(count: int = 10, mnemonic: str = ANVIL_MNEMONIC) -> list[LocalAccount]:
    """The accounts anvil funds at genesis (m/44'/60'/0'/0/i of its default mnemonic)."""
    from eth_account import Account
    from eth_account.hdaccount import key_from_seed, seed_from_mnemonic

    seed = _SEED_CACHE.get(mnemonic)
    if seed is None:
        seed = _SEED_CACHE[mnemonic] = seed_from_mnemonic(mnemonic, "")
    return [Account.from_key(key_from_seed(seed, f"m/44'/60'/0'/0/{i}")) for i in range(count)]


def _anvil_args(
    anvil: Path,
    *,
    port: int,
    chain_id: int,
    accounts: int,
    cache_path: Path,
    block_time: float | None,
    state_file: Path | None,
    state_interval: int | None,
    history: int,
    hardfork: str = HARDFORK,
    load_state: Path | None = None,
) -> list[str]:
    args = [
        str(anvil),
        "--host",
        _HOST,
        "--port",
        str(port),
        "--chain-id",
        str(chain_id),
        "--accounts",
        str(accounts),
        "--prune-history",
        str(history),
        "--cache-path",
        str(cache_path),
        "--hardfork",
        hardfork,
    ]
    if block_time is not None:
        args += ["--block-time", f"{block_time:g}"]
    if state_file is not None:
        # --state loads and dumps the same file; with `load_state` anvil starts from that one
        # and dumps to `state_file`.
        if load_state is None:
            args += ["--state", str(state_file)]
        else:
            args += ["--load-state", str(load_state), "--dump-state", str(state_file)]
        if state_interval is not None:
            args += ["--state-interval", str(state_interval)]
    return args


def _rpc_once(port: int, method: str, timeout: float = 1.0) -> Any:
    conn = http.client.HTTPConnection(_HOST, port, timeout=timeout)
    try:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []})
        conn.request("POST", "/", body, {"Content-Type": "application/json"})
        reply = untrusted_json.loads(conn.getresponse().read())
        return reply["result"]
    finally:
        conn.close()


def _log_tail(log: Path) -> str:
    try:
        with log.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - _LOG_TAIL))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"


def _log_size(log: Path) -> int:
    try:
        return log.stat().st_size
    except OSError:
        return 0


def _says_listening(log: Path, offset: int) -> bool:
    try:
        with log.open("rb") as fh:
            fh.seek(offset)
            return _LISTENING in fh.read()
    except OSError:
        return False


def _wait_ready(
    proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float, *, log_from: int
) -> int:
    """Poll eth_chainId until anvil answers; return the chain id.

    Only once this anvil has logged that it listens (after byte `log_from` of `log`, its size at
    launch): until then an answer on `port` may come from another process that took the port
    between the probe and anvil's bind (another devnet starting, or one restarting on its old
    port). This anvil then fails to bind and exits, and without the check the caller would take
    the other node for its own: deploy there, and signal a dead pid.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    listening = False
    while True:
        code = proc.poll()
        if code is not None:
            raise DevnetError(
                f"anvil exited with code {code} before answering on port {port}:\n{_log_tail(log)}"
            )
        listening = listening or _says_listening(log, log_from)
        if listening:
            try:
                return int(_rpc_once(port, "eth_chainId"), 16)
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                pass
        if time.monotonic() > deadline:
            raise DevnetError(
                f"anvil did not answer on port {port} within {timeout:g} s:\n{_log_tail(log)}"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _parent_death_signal() -> Callable[[], None] | None:
    """A preexec hook asking Linux to SIGTERM anvil when this thread's process dies, so even a
    SIGKILLed test worker leaves no anvil behind. Linux only, and only from the main thread:
    the kernel ties the signal to the thread that forked, not the process."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not (
        threading.main_thread()
    ):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def hook() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


def _terminate(proc: subprocess.Popen[bytes], timeout: float = _STOP_TIMEOUT) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)
