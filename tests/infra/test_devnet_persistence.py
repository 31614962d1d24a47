"""What a SIGKILLed persistent devnet keeps: everything up to the last `persist_devnet_state`,
even when anvil's own state file was torn by the kill."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from ledger.chain.devnet import (
    devnet_down,
    devnet_persister,
    devnet_status,
    devnet_up,
    durable_state_file,
    free_port,
    persist_devnet_state,
    state_block,
)
from ledger.chain.rpc import Rpc
from ledger.home import devnet_state_file


def _kill(home: Path, pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while devnet_status(home) is not None and time.monotonic() < deadline:
        time.sleep(0.01)


def test_killed_devnet_restarts_from_the_state_persisted_last(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    try:
        info = devnet_up(home, port=port, state_interval=3600)  # anvil itself never saves
        with Rpc(info.rpc_url) as rpc:
            rpc.call("anvil_mine", ["0x10"])
            persist = devnet_persister(home, rpc)
            assert persist is not None and persist() == 16
            rpc.call("anvil_mine", ["0x5"])  # never persisted: lost to the kill
        _kill(home, info.pid)
        devnet_state_file(home).write_text('{"block":{"number":"0x63"},"accounts":{')  # torn
        # A fresh port: the killed node's may already be taken by another test's devnet.
        again = devnet_up(home, port=free_port())
        with Rpc(again.rpc_url) as rpc:
            assert rpc.block_number() == 16
    finally:
        devnet_down(home)


def test_devnet_starts_from_the_further_of_its_two_state_files(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    try:
        info = devnet_up(home, port=port)
        with Rpc(info.rpc_url) as rpc:
            rpc.call("anvil_mine", ["0x3"])
            assert persist_devnet_state(rpc, durable_state_file(home)) == 3
            rpc.call("anvil_mine", ["0x4"])
        devnet_down(home)  # a clean stop: anvil saves block 7 to state.json
        assert state_block(devnet_state_file(home)) == 7
        again = devnet_up(home, port=free_port())
        with Rpc(again.rpc_url) as rpc:
            assert rpc.block_number() == 7
    finally:
        devnet_down(home)


def test_no_persister_for_a_node_that_is_not_the_homes_devnet(tmp_path: Path) -> None:
    with Rpc(f"http://127.0.0.1:{free_port()}") as rpc:
        assert devnet_persister(tmp_path / "home", rpc) is None
