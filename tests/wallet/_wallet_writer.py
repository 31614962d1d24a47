"""Child process for the crash test: open the store, then write forever until killed.

Usage: python _wallet_writer.py HOME PASSPHRASE. Prints "ready" once the store is open.
Step n (four transactions): put credential `c<n>` (compact "compact-<n>"), add a history entry
with claims [str(n)], delete `c<n-2>` when n % 3 == 0, set meta "counter" = n. A killed step is
redone by the next writer, so the parent can check exactly which records must exist.
"""

from __future__ import annotations

import contextlib
import random
import sys
from pathlib import Path

from ledger.errors import WalletRecordNotFound
from ledger.wallet import WalletStore


def main() -> None:
    home, passphrase = Path(sys.argv[1]), sys.argv[2]
    store = WalletStore.open(home, passphrase)
    n = int(store.get_meta("counter", 0))
    print("ready", flush=True)
    rnd = random.Random()
    while True:
        n += 1
        cid = f"c{n:06d}"
        store.put_credential(cid, f"compact-{n}", {"n": n, "pad": "p" * rnd.randrange(20_000)})
        store.add_history(
            verifier_address="0xV",
            verifier_name="writer",
            purpose="crash test",
            claims=[str(n)],
            credential_id=cid,
        )
        if n % 3 == 0:
            # Already gone if the previous writer was killed after this delete.
            with contextlib.suppress(WalletRecordNotFound):
                store.delete_credential(f"c{n - 2:06d}")
        store.set_meta("counter", n)


if __name__ == "__main__":
    main()
