"""A local Ethereum devnet: anvil from node_modules.

Two modes:

- `Devnet` — ephemeral, owned by this process (tests, the demo). A context manager; `stop()`
  kills anvil and removes its temporary directory. Nothing is written under `~/.foundry`.
- `devnet_up` / `devnet_down` / `devnet_status` — a persistent, detached anvil behind
  `ledger devnet up|down|status`, with its pid in `<home>/devnet/devnet.json` and its chain state
  in `<home>/devnet/state.json`, so `down` then `up` loses nothing.

What a killed persistent devnet loses: anvil saves its state when it stops and every
`state_interval` seconds (default 1), writing `state.json` in place, so a SIGKILL loses the
blocks mined since the last save and can even leave a torn, unreadable file. Hence a second file,
`state.durable.json`, written atomically (temporary file, fsync, rename) from `anvil_dumpState` by
`persist_devnet_state`: the issuer calls it before it hands a credential out (and after a status
change), so a killed devnet never loses an anchor that was delivered. `devnet_up` starts from
whichever of the two files parses and holds the higher block. Other transactions mined since the
last save (council votes, key registrations) can still be lost to a SIGKILL: up to
`state_interval` seconds of them.

Anvil runs with `--prune-history` and its own `--cache-path`: by default it keeps a full-state
snapshot per block under `~/.foundry/anvil/tmp`, which grows to gigabytes under load.

The anvil executable and its process (finding it, ports, arguments, readiness, termination) are
in `ledger.chain.anvil`, the durable state file in `ledger.chain.devnet_state`; both are
re-exported here. This module keeps the two modes of running a devnet side by side (near 500
lines): they start, check and stop the same anvil the same way, and differ only in who owns it.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from ledger import untrusted_json
from ledger._atomic import write_atomic
from ledger.chain.anvil import (
    _HISTORY,
    _HOST,
    _READY_TIMEOUT,
    _STOP_TIMEOUT,
    ANVIL_MNEMONIC,
    HARDFORK,
    _anvil_args,
    _ensure_port_free,
    _log_size,
    _log_tail,
    _parent_death_signal,
    _rpc_once,
    _terminate,
    _wait_ready,
    anvil_dev_accounts,
    find_anvil,
    free_port,
)
from ledger.chain.devnet_state import (
    best_state,
    durable_state_file,
    persist_devnet_state,
    state_block,
)
from ledger.errors import DevnetError
from ledger.home import devnet_cache_dir, devnet_info_file, devnet_log_file, devnet_state_file

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ledger.chain.rpc import Rpc

__all__ = [
    "ANVIL_MNEMONIC",
    "Devnet",
    "DevnetInfo",
    "anvil_dev_accounts",
    "devnet_down",
    "devnet_persister",
    "devnet_status",
    "devnet_up",
    "durable_state_file",
    "find_anvil",
    "free_port",
    "persist_devnet_state",
    "state_block",
]


class Devnet:
    """An ephemeral anvil owned by this process.

    The constructor does no I/O; `start()` launches anvil and waits until it answers, `stop()`
    (or leaving the `with` block, or interpreter exit) terminates it and removes the temporary
    work directory. With `state_file`, anvil loads the state from it at start and writes it
    back at exit (and every `state_interval` seconds). Calls at past blocks work for the
    last `history` blocks only. `die_with_parent` (Linux, main thread) makes the kernel
    terminate anvil if this process dies without cleaning up (test workers use it).
    `hardfork` names the EVM rules (default Osaka; an older one lacks P256VERIFY, so its
    KeyRegistry refuses every key).
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        state_file: Path | None = None,
        chain_id: int = 31337,
        block_time: float | None = None,
        accounts: int = 10,
        workdir: Path | None = None,
        state_interval: int | None = None,
        history: int = _HISTORY,
        ready_timeout: float = _READY_TIMEOUT,
        die_with_parent: bool = False,
        hardfork: str = HARDFORK,
    ) -> None:
        self._requested_port = port
        self._hardfork = hardfork
        self._die_with_parent = die_with_parent
        self._state_file = state_file
        self._chain_id = chain_id
        self._block_time = block_time
        self._accounts = accounts
        self._workdir = workdir
        self._state_interval = state_interval
        self._history = history
        self._ready_timeout = ready_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._tempdir: Path | None = None
        self._base: Path | None = None
        self._log_fh: IO[bytes] | None = None
        self._dev_accounts: list[LocalAccount] | None = None

    @property
    def rpc_url(self) -> str:
        """HTTP JSON-RPC URL of the running devnet."""
        if self._port is None:
            raise DevnetError("devnet is not started")
        return f"http://{_HOST}:{self._port}"

    @property
    def port(self) -> int:
        """TCP port anvil listens on."""
        if self._port is None:
            raise DevnetError("devnet is not started")
        return self._port

    @property
    def chain_id(self) -> int:
        """Chain id passed to anvil."""
        return self._chain_id

    @property
    def pid(self) -> int | None:
        """Process id of anvil while running: the node answering on `rpc_url` (it logged that it
        holds the port before it counted as ready), unless only the node wrapper was found
        (`find_anvil`), whose child is the node."""
        return self._proc.pid if self._proc is not None else None

    @property
    def workdir(self) -> Path | None:
        """Directory holding the log and cache (temporary unless given), while running."""
        return self._base

    @property
    def running(self) -> bool:
        """Whether the anvil process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def dev_accounts(self) -> list[LocalAccount]:
        """The pre-funded accounts (10,000 ETH each), derived locally from anvil's mnemonic."""
        if self._dev_accounts is None:
            self._dev_accounts = anvil_dev_accounts(self._accounts)
        return self._dev_accounts

    def start(self) -> Devnet:
        """Launch anvil and block until it answers `eth_chainId`. Returns self."""
        if self._proc is not None:
            raise DevnetError("devnet already started")
        anvil = find_anvil()
        if self._workdir is not None:
            base = self._workdir
            base.mkdir(parents=True, exist_ok=True)
        else:
            base = self._tempdir = Path(tempfile.mkdtemp(prefix="ledger-devnet-"))
        self._base = base
        attempts = 1 if self._requested_port is not None else 3
        if self._requested_port is not None:
            _ensure_port_free(self._requested_port)
        try:
            for attempt in range(attempts):
                port = self._requested_port or free_port()
                if self._launch(anvil, base, port, last=attempt == attempts - 1):
                    break
        except BaseException:
            self.stop()
            raise
        atexit.register(self.stop)
        return self

    def _launch(self, anvil: Path, base: Path, port: int, *, last: bool) -> bool:
        log = base / "anvil.log"
        self._log_fh = log.open("ab")
        log_from = _log_size(log)
        args = _anvil_args(
            anvil,
            port=port,
            chain_id=self._chain_id,
            accounts=self._accounts,
            cache_path=base / "cache",
            block_time=self._block_time,
            state_file=self._state_file,
            state_interval=self._state_interval,
            history=self._history,
            hardfork=self._hardfork,
        )
        self._proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
            preexec_fn=_parent_death_signal() if self._die_with_parent else None,
        )
        self._port = port
        try:
            chain_id = _wait_ready(self._proc, port, log, self._ready_timeout, log_from=log_from)
        except DevnetError:
            # Another process may have taken the free port between probe and bind: retry that.
            port_taken = "in use" in _log_tail(log).lower()
            if last or self._proc.poll() is None or not port_taken:
                raise
            self._close_process()
            return False
        if chain_id != self._chain_id:
            raise DevnetError(f"port {port} answers chain id {chain_id}, not {self._chain_id}")
        return True

    def _close_process(self) -> None:
        if self._proc is not None:
            _terminate(self._proc)
            self._proc = None
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None
        self._port = None

    def stop(self) -> None:
        """Terminate anvil (SIGTERM, then SIGKILL) and remove the temporary directory."""
        self._close_process()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None
        self._base = None
        atexit.unregister(self.stop)

    def __enter__(self) -> Devnet:
        return self.start() if self._proc is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------
# Persistent devnet (`ledger devnet up|down|status`)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DevnetInfo:
    """A running persistent devnet."""

    pid: int
    rpc_url: str
    chain_id: int
    block_number: int
    state_file: Path
    started_at: datetime


# Popen objects of daemons started by this process, so `devnet_down` can reap them.
_DAEMONS: dict[int, subprocess.Popen[bytes]] = {}


def _pid_alive(pid: int) -> bool:
    proc = _DAEMONS.get(pid)
    if proc is not None:
        return proc.poll() is None
    with contextlib.suppress(ChildProcessError):
        # Reap it if it is our zombie child; a zombie still answers kill(pid, 0).
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """An exited process nobody reaped yet (init in some containers never reaps)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" in status


def _looks_like_anvil(pid: int) -> bool:
    """Guard against a recycled pid; only checkable where /proc exists."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()
    except OSError:
        return True
    return b"anvil" in cmdline


def _read_info(home: Path) -> dict[str, Any] | None:
    path = devnet_info_file(home)
    try:
        raw = untrusted_json.load_file(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise DevnetError(f"unreadable devnet record {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise DevnetError(f"unreadable devnet record {path}")
    return raw


def _write_info(home: Path, record: dict[str, Any]) -> None:
    write_atomic(devnet_info_file(home), json.dumps(record, indent=2))


def devnet_status(home: Path) -> DevnetInfo | None:
    """The running persistent devnet of `home`, or None (a stale record is removed)."""
    record = _read_info(home)
    if record is None:
        return None
    pid = int(record["pid"])
    port = int(record["port"])
    if not _pid_alive(pid) or not _looks_like_anvil(pid):
        devnet_info_file(home).unlink(missing_ok=True)
        return None
    try:
        block = int(_rpc_once(port, "eth_blockNumber"), 16)
    except (OSError, http.client.HTTPException, ValueError, KeyError):
        return None
    return DevnetInfo(
        pid=pid,
        rpc_url=str(record["rpc_url"]),
        chain_id=int(record["chain_id"]),
        block_number=block,
        state_file=Path(record["state_file"]),
        started_at=datetime.fromisoformat(record["started_at"]),
    )


def devnet_up(
    home: Path,
    *,
    port: int = 8545,
    chain_id: int = 31337,
    state_interval: int = 1,
    history: int = _HISTORY,
    ready_timeout: float = _READY_TIMEOUT,
) -> DevnetInfo:
    """Start the persistent devnet of `home` detached, or return it if already running.

    Chain state is saved by anvil to `<home>/devnet/state.json` (on exit and every
    `state_interval` seconds) and by `persist_devnet_state` to `state.durable.json`; it is
    loaded from whichever of the two is whole and further on (module docstring: what a kill
    can lose).
    """
    current = devnet_status(home)
    if current is not None:
        return current
    anvil = find_anvil()
    _ensure_port_free(port)
    state = devnet_state_file(home)
    log = devnet_log_file(home)
    args = _anvil_args(
        anvil,
        port=port,
        chain_id=chain_id,
        accounts=10,
        cache_path=devnet_cache_dir(home),
        block_time=None,
        state_file=state,
        state_interval=state_interval,
        history=history,
        load_state=best_state(home),
    )
    log_from = _log_size(log)
    with log.open("ab") as log_fh:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _DAEMONS[proc.pid] = proc
    try:
        actual_chain_id = _wait_ready(proc, port, log, ready_timeout, log_from=log_from)
    except BaseException:
        _terminate(proc)
        _DAEMONS.pop(proc.pid, None)
        raise
    started = datetime.now(UTC)
    rpc_url = f"http://{_HOST}:{port}"
    _write_info(
        home,
        {
            "pid": proc.pid,
            "port": port,
            "rpc_url": rpc_url,
            "chain_id": actual_chain_id,
            "state_file": str(state),
            "started_at": started.isoformat(),
        },
    )
    return DevnetInfo(
        pid=proc.pid,
        rpc_url=rpc_url,
        chain_id=actual_chain_id,
        block_number=int(_rpc_once(port, "eth_blockNumber"), 16),
        state_file=state,
        started_at=started,
    )


def devnet_down(home: Path, *, timeout: float = _STOP_TIMEOUT) -> bool:
    """Stop the persistent devnet of `home` (its state is saved). False if none was running."""
    record = _read_info(home)
    if record is None:
        return False
    pid = int(record["pid"])
    was_running = _pid_alive(pid)
    if was_running:
        proc = _DAEMONS.pop(pid, None)
        if proc is not None:
            _terminate(proc, timeout)
        else:
            _signal_and_wait(pid, timeout)
    devnet_info_file(home).unlink(missing_ok=True)
    return was_running


def devnet_persister(home: Path, rpc: Rpc) -> Callable[[], int] | None:
    """A `persist_state` hook for `ledger.agency.issuer.Issuer` when `rpc` talks to the running
    persistent devnet of `home` (it saves to `durable_state_file(home)`); None otherwise (any
    other node keeps its own state)."""
    info = devnet_status(home)
    if info is None or info.rpc_url.rstrip("/") != rpc.url.rstrip("/"):
        return None
    target = durable_state_file(home)
    return lambda: persist_devnet_state(rpc, target)


def _signal_and_wait(pid: int, timeout: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    killed = False
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            if killed:
                raise DevnetError(f"anvil (pid {pid}) survived SIGKILL")
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            killed = True
            deadline = time.monotonic() + timeout
        time.sleep(0.02)
