#!/usr/bin/env python3
"""Median latency of one view call to anvil through three paths, measured in the same run.

  (a) web3.py `w3.eth.call` (the reference),
  (b) `Rpc.eth_call` with prebuilt calldata over a keep-alive connection,
  (c) one call inside a raw JSON-RPC batch of BATCH calls (cost per call).

Also: pipelined transfers per second through `TxSender.send_many` versus send-and-wait, the
time `devnet_up` takes to answer, and the time to build a 10,000-leaf Merkle tree.
Usage: scripts/bench_rpc.py [--calls N] [--txs N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _common  # noqa: F401 (first: the project venv and import path)

from ledger.chain.devnet import Devnet, devnet_down, devnet_up, free_port
from ledger.chain.merkle import MerkleTree
from ledger.chain.rpc import Rpc
from ledger.chain.sender import TxRequest, TxSender

BATCH = 100
# An address with no code: eth_call returns "0x" — the cost measured is transport + node.
TARGET = "0x000000000000000000000000000000000000dEaD"
CALLDATA = bytes.fromhex("70a08231") + bytes(12) + bytes.fromhex(TARGET[2:])


def _median_ms(fn: Callable[[], object], calls: int, per_call: int = 1) -> float:
    for _ in range(min(50, calls)):
        fn()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) / per_call)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--txs", type=int, default=1000)
    args = parser.parse_args()

    with Devnet() as net:
        rpc = Rpc(net.rpc_url)
        w3 = rpc.web3()
        call_obj = {"to": TARGET, "data": "0x" + CALLDATA.hex()}
        batch = [("eth_call", [call_obj, "latest"])] * BATCH

        web3_ms = _median_ms(lambda: w3.eth.call(call_obj), args.calls)  # type: ignore[arg-type]
        rpc_ms = _median_ms(lambda: rpc.eth_call(TARGET, CALLDATA), args.calls)
        batch_ms = _median_ms(lambda: rpc.batch(batch), max(1, args.calls // BATCH), BATCH)

        print(f"eth_call median latency on anvil ({args.calls} calls each)")
        print(f"  (a) web3 w3.eth.call          {web3_ms:8.3f} ms   1.0x (reference)")
        print(f"  (b) Rpc.eth_call, prebuilt    {rpc_ms:8.3f} ms   {web3_ms / rpc_ms:5.1f}x faster")
        print(
            f"  (c) raw batch of {BATCH}, per call {batch_ms:8.3f} ms   "
            f"{web3_ms / batch_ms:5.1f}x faster"
        )

        accounts = net.dev_accounts
        sender = TxSender(rpc, accounts[0])
        to = accounts[1].address
        n_single = min(200, args.txs)
        start = time.perf_counter()
        for _ in range(n_single):
            sender.transact(to, b"", gas=21_000, value=1)
        single_tps = n_single / (time.perf_counter() - start)
        start = time.perf_counter()
        sender.send_many([TxRequest(to, b"", 21_000, 1)] * args.txs)
        many_tps = args.txs / (time.perf_counter() - start)
        print("transfers (sign locally, send, mined receipt)")
        print(f"  send + wait, one by one       {single_tps:8.0f} tx/s  1.0x (reference)")
        ratio = many_tps / single_tps
        print(f"  send_many, batched ({args.txs})    {many_tps:8.0f} tx/s  {ratio:5.1f}x")

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        port = free_port()
        try:
            start = time.perf_counter()
            devnet_up(home, port=port)
            cold = time.perf_counter() - start
            devnet_down(home)
            start = time.perf_counter()
            devnet_up(home, port=port)
            warm = time.perf_counter() - start
        finally:
            devnet_down(home)
        print(f"devnet_up until ready: {cold * 1000:.0f} ms fresh, {warm * 1000:.0f} ms with state")

    digests = [i.to_bytes(32, "big") for i in range(10_000)]
    build_ms = _median_ms(lambda: MerkleTree.from_digests(digests), 20)
    print(f"Merkle tree of 10,000 digests (leaf hashing included): {build_ms:.1f} ms median")


if __name__ == "__main__":
    main()
