"""A process killed in the middle of a stream of writes leaves a readable, consistent store."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from world import CHEAP_KDF

from ledger.wallet import WalletStore

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("_wallet_writer.py")
PASS = "crash-test-passphrase"


def _kill_while_writing(home: Path, delay: float) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(WRITER), str(home), PASS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line == b"ready\n", child.stderr.read() if child.stderr else line
        time.sleep(delay)
        assert child.poll() is None, "writer died on its own"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert child.returncode == -signal.SIGKILL


def _check_consistent(home: Path) -> tuple[int, int]:
    with WalletStore.open(home, PASS) as store:
        check = store.verify()  # every record decrypts and matches the manifest
        counter = int(store.get_meta("counter", 0))
        present = set()
        for cred in store.list_credentials():
            n = int(cred.cred_id[1:])
            assert cred.compact == f"compact-{n}"
            assert cred.metadata["n"] == n
            present.add(n)
        for n in range(1, counter + 1):  # completed steps: exactly their effects
            deleted_by = n + 2
            if deleted_by % 3 != 0 or deleted_by > counter + 1:
                assert n in present, n
            elif deleted_by <= counter:
                assert n not in present, n
        assert max(present, default=0) <= counter + 1
        history = store.history()
        assert [h.seq for h in history] == list(range(1, len(history) + 1))
        disclosed = {int(h.claims[0]) for h in history}
        assert disclosed >= set(range(1, counter + 1))
        assert max(disclosed, default=0) <= counter + 1
        return check.generation, counter


def test_sigkill_during_writes_leaves_old_or_new_state(tmp_path: Path) -> None:
    home = tmp_path / "w"
    WalletStore.create(home, PASS, kdf_params=CHEAP_KDF).close()
    rnd = random.Random(1234)
    generation, counter = 0, 0
    rounds = 0
    # At least 20 kills; on a loaded machine keep going until the writer has made real progress.
    while rounds < 20 or (counter <= 20 and rounds < 100):
        rounds += 1
        _kill_while_writing(home, rnd.uniform(0.0, 0.12))
        new_generation, new_counter = _check_consistent(home)
        assert new_generation >= generation
        assert new_counter >= counter
        generation, counter = new_generation, new_counter
    assert counter > 20, "the writer made too little progress for the test to mean anything"
