#!/usr/bin/env python3
"""Benchmark the wallet store: KDF unlock time and `wallet list`-style cold start.

Usage: .venv/bin/python scripts/bench_wallet.py [--credentials N] [--runs R]

Creates a throw-away wallet (default Argon2id parameters) with N credentials, then measures
(1) the Argon2id derivation alone, (2) WalletStore.open + list_credentials in-process, and
(3) a cold start: a fresh `python -c` that imports ledger.wallet.store, opens and lists.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # first: the project venv and import path

from ledger.wallet import (
    DEFAULT_KDF,
    WalletStore,
    _crypto,
)

PASS = "bench passphrase"


def _median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.1f} ms (min {min(samples) * 1000:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--credentials", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "w"
        with WalletStore.create(home, PASS) as store:
            for i in range(args.credentials):
                store.put_credential(f"cred-{i:04d}", "e" * 1500 + "~" + "d" * 400, {"i": i})
        print(f"KDF: Argon2id {DEFAULT_KDF}")
        kdf = []
        for _ in range(args.runs):
            t = time.perf_counter()
            _crypto.derive_key(PASS, os.urandom(16), DEFAULT_KDF)
            kdf.append(time.perf_counter() - t)
        print(f"  derive key:                 {_median_ms(kdf)}")
        unlock = []
        for _ in range(args.runs):
            t = time.perf_counter()
            with WalletStore.open(home, PASS) as store:
                n = len(store.list_credentials())
            unlock.append(time.perf_counter() - t)
        print(f"  open + list {n} credentials: {_median_ms(unlock)}")
        code = (
            "import sys; from pathlib import Path; from ledger.wallet.store import WalletStore;"
            f"s = WalletStore.open(Path({str(home)!r}), {PASS!r});"
            "[print(c.cred_id) for c in s.list_credentials()]"
        )
        cold = []
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", code],
                cwd=_common.ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            cold.append(time.perf_counter() - t)
        print(f"  cold start (python + import + unlock + list): {_median_ms(cold)}")
        bare = []
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            bare.append(time.perf_counter() - t)
        print(f"  bare python startup:        {_median_ms(bare)}")


if __name__ == "__main__":
    main()
