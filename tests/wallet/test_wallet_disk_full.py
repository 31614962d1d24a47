"""A wallet write that meets a full disk fails with a `StorageError` naming the file, and the
store keeps everything committed before (the CLI end of it: tests/faults)."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from world import CHEAP_KDF, PASSPHRASE

from ledger.wallet import WalletStore
from ledger.wallet.store import store_path

ROOT = Path(__file__).resolve().parents[2]

# Child: with writes past the store's current size failing (EFBIG), put credentials until one
# fails; print the ids committed and the error.
_CHILD = """
import json, sys
from pathlib import Path
from ledger.errors import LedgerError
from ledger.wallet import WalletStore
store = WalletStore.open(Path(sys.argv[1]), sys.argv[2])
done = []
try:
    for n in range(1000):
        store.put_credential(f"full-{n}", "x" * 3000 + "~", {"n": n})
        done.append(f"full-{n}")
    error = None
except LedgerError as exc:
    error = [type(exc).__name__, str(exc)]
print(json.dumps({"done": done, "error": error}))
"""


def _limit(size: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_full_disk_fails_the_write_and_keeps_what_was_committed(tmp_path: Path) -> None:
    home = tmp_path / "w"
    with WalletStore.create(home, PASSPHRASE, kdf_params=CHEAP_KDF) as store:
        store.put_credential("before", "eyJ.before.sig~", {})
    limit = store_path(home).stat().st_size + 16 * 1024
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(home), PASSPHRASE],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: _limit(limit),
        timeout=120,
        check=True,
    )
    report = json.loads(child.stdout)
    assert report["error"] is not None, "the file size limit was never reached"
    kind, message = report["error"]
    assert kind in ("StorageError", "StorageFull")
    assert str(store_path(home)) in message and "Nothing committed before was lost" in message
    with WalletStore.open(home, PASSPHRASE) as store:  # room again: opens, every row checked
        held = [c.cred_id for c in store.list_credentials()]
        assert sorted(held) == sorted(["before", *report["done"]])
        store.put_credential("after", "eyJ.after.sig~", {})
        assert store.verify().credentials == len(held) + 1
