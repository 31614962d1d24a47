from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from ledger.chain.devnet import (
    Devnet,
    anvil_dev_accounts,
    devnet_down,
    devnet_status,
    devnet_up,
    find_anvil,
    free_port,
)
from ledger.chain.rpc import Rpc
from ledger.errors import AnvilNotFound, ConfigError, DevnetError
from ledger.home import devnet_info_file


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_native_anvil_binary_is_preferred_over_the_node_wrapper() -> None:
    assert find_anvil().parent.name == "bin"
    assert "anvil-" in find_anvil().parent.parent.name


def test_missing_anvil_is_a_config_error_naming_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_ANVIL", "/nonexistent/anvil")
    with pytest.raises(AnvilNotFound) as caught:
        find_anvil()
    assert isinstance(caught.value, ConfigError)
    with pytest.raises(AnvilNotFound):
        Devnet().start()


def test_constructor_starts_nothing() -> None:
    net = Devnet()
    assert not net.running
    with pytest.raises(DevnetError):
        _ = net.rpc_url


def test_stop_leaves_no_process_and_no_temp_dir() -> None:
    net = Devnet().start()
    pid, workdir = net.pid, net.workdir
    assert pid is not None and _process_exists(pid)
    assert workdir is not None and (workdir / "anvil.log").exists()
    assert Rpc(net.rpc_url).chain_id == 31337
    net.stop()
    assert not _process_exists(pid)
    assert not workdir.exists()
    assert not net.running


def test_exception_inside_context_still_stops_anvil() -> None:
    pid = None
    with pytest.raises(RuntimeError), Devnet() as net:
        pid = net.pid
        raise RuntimeError("boom")
    assert pid is not None and not _process_exists(pid)


def test_free_ports_are_picked_per_devnet() -> None:
    with Devnet() as a, Devnet() as b:
        assert a.port != b.port
        assert Rpc(a.rpc_url).block_number() == 0
        assert Rpc(b.rpc_url).block_number() == 0


def test_busy_port_is_refused_before_launch(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(DevnetError, match=f"port {port} .* in use"):
            Devnet(port=port, workdir=tmp_path).start()
        with pytest.raises(DevnetError, match="in use"):
            devnet_up(tmp_path / "home", port=port)
    assert not (tmp_path / "home" / "devnet" / "devnet.json").exists()


def test_a_port_taken_after_the_probe_is_not_mistaken_for_this_devnet(
    devnet: Devnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another node (here the session's) takes the probed port before this anvil binds it: this
    # anvil exits, and the other node's answer must not count as this devnet being ready.
    import ledger.chain.devnet as module

    taken = devnet.port
    ports = iter([taken])
    monkeypatch.setattr(module, "free_port", lambda: next(ports, None) or free_port())
    with Devnet(workdir=tmp_path / "retried") as net:
        assert net.port != taken  # it retried on another port
        assert net.pid is not None and _process_exists(net.pid)
    monkeypatch.setattr(module, "_ensure_port_free", lambda port: None)
    with pytest.raises(DevnetError, match="exited with code"):
        devnet_up(tmp_path / "home", port=taken)
    assert not (tmp_path / "home" / "devnet" / "devnet.json").exists()


def test_anvil_failing_at_start_reports_its_log(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("not a state dump")
    net = Devnet(state_file=state, workdir=tmp_path)
    with pytest.raises(DevnetError, match="exited with code") as caught:
        net.start()
    assert "state" in str(caught.value)
    assert not net.running


def test_anvil_cache_goes_to_the_work_dir_not_home(tmp_path: Path) -> None:
    with Devnet(workdir=tmp_path) as net:
        Rpc(net.rpc_url).call("evm_mine", [])
        pid = net.pid
        assert pid is not None
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert cmdline[cmdline.index(b"--cache-path") + 1] == str(tmp_path / "cache").encode()
    assert b"--prune-history" in cmdline
    assert (tmp_path / "anvil.log").exists()


def test_dev_accounts_are_funded_and_match_anvil(
    rpc: Rpc, dev_accounts: list[LocalAccount]
) -> None:
    assert dev_accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert len(dev_accounts) == 10
    assert [a.address for a in dev_accounts] == [a.address for a in anvil_dev_accounts(10)]
    assert [str(a) for a in rpc.call("eth_accounts", [])] == [
        a.address.lower() for a in dev_accounts
    ]


def test_persistent_devnet_keeps_state_across_down_and_up(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    target = "0x00000000000000000000000000000000000000aa"
    try:
        info = devnet_up(home, port=port)  # how long it takes: scripts/bench_rpc.py
        assert info.rpc_url == f"http://127.0.0.1:{port}"
        rpc = Rpc(info.rpc_url)
        rpc.call("anvil_setBalance", [target, hex(12345)])
        rpc.call("evm_mine", [])
        mined = rpc.block_number()
        status = devnet_status(home)
        assert status is not None and status.pid == info.pid and status.block_number == mined
        assert devnet_up(home, port=port).pid == info.pid  # idempotent

        assert devnet_down(home) is True
        assert not _process_exists(info.pid)
        assert devnet_status(home) is None
        assert devnet_down(home) is False

        again = devnet_up(home, port=port)
        assert again.pid != info.pid
        rpc = Rpc(again.rpc_url)
        assert rpc.get_balance(target) == 12345
        assert rpc.block_number() == mined
    finally:
        devnet_down(home)


def test_status_forgets_a_devnet_that_died(tmp_path: Path) -> None:
    home = tmp_path / "home"
    info = devnet_up(home, port=free_port())
    try:
        os.kill(info.pid, 9)
        deadline = time.monotonic() + 5
        while devnet_status(home) is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert devnet_status(home) is None
        assert not devnet_info_file(home).exists()
    finally:
        devnet_down(home)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for init to reap it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
def test_anvil_dies_with_a_killed_parent_when_asked() -> None:
    script = (
        "import os, signal, sys\n"
        "from ledger.chain.devnet import Devnet\n"
        "net = Devnet(die_with_parent=True).start()\n"
        "print(net.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).resolve().parents[2],
    )
    anvil_pid = int(child.stdout.strip())
    deadline = time.monotonic() + 10
    while _running(anvil_pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _running(anvil_pid)


def test_down_stops_a_devnet_started_by_another_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ledger.chain.devnet import devnet_up\n"
        f"print(devnet_up(Path({str(home)!r}), port={port}).pid)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    pid = int(child.stdout.strip())
    try:
        status = devnet_status(home)
        assert status is not None and status.pid == pid
        started = time.monotonic()
        assert devnet_down(home) is True
        assert time.monotonic() - started < 5  # no SIGKILL fallback wait
        assert not _running(pid)
        assert devnet_status(home) is None
    finally:
        if _running(pid):
            os.kill(pid, 9)
