"""Crash recovery of the issuance outbox: SIGKILL a worker at random moments, then check.

The worker (this file run as a script) does what an issuing agency's batch loop does: recover,
enqueue credentials, seal batches, sign and record the anchor transaction (write-ahead), send
it, mark it anchored, until every credential is anchored. The chain is the file-persisted fake
from outbox_fakes, so what was mined survives the kill like a real devnet's state would.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # run as the worker script: make `ledger` importable
    sys.path.insert(0, str(ROOT))

from outbox_fakes import FileChain, make_credential  # noqa: E402

from ledger.agency.outbox import Outbox  # noqa: E402
from ledger.chain.merkle import MerkleTree, leaf_hash, verify  # noqa: E402
from ledger.errors import CredentialNotYetAnchored  # noqa: E402

TOTAL = 3000
BATCH = 7
PER_ROUND = 5


def worker(db_path: Path, chain_path: Path) -> None:
    """The issuing loop run in the child process."""
    chain = FileChain(chain_path)
    with Outbox(db_path) as box:
        print("ready", flush=True)
        box.recover(chain)
        while True:
            s = box.stats()
            issued = s.pending + s.batched + s.anchored
            for n in range(issued, min(issued + PER_ROUND, TOTAL)):
                box.enqueue(make_credential(n))
            for b in box.unanchored_batches():
                if b.state == "submitted":  # re-sent by recover; the fake mines at once
                    box.recover(chain)
                    continue
                nonce = chain.next_nonce()
                raw, tx_hash = chain.sign(b.root, b.type_id, nonce)
                box.record_submission(b.id, raw, tx_hash, nonce)
                chain.broadcast_raw(raw)
                inc = chain.anchor_of(b.root)
                assert inc is not None
                box.mark_anchored(b.id, inc.block_number, inc.anchored_at)
            sealed = box.seal_batch(1, BATCH)
            finished = issued >= TOTAL and box.pending_count() == 0
            if sealed is None and finished and not box.unanchored_batches():
                print("done", flush=True)
                return


def _spawn(db: Path, chain: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, str(db), str(chain)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def _check_invariants(db: Path, chain_file: Path) -> None:
    chain_state = FileChain(chain_file).state()
    assert chain_state["reverted"] == [], "a root was sent twice"
    on_chain = {bytes.fromhex(r): tuple(v) for r, v in chain_state["anchors"].items()}
    with Outbox(db) as box:
        raw = sqlite3.connect(db)
        batches = raw.execute("SELECT id, root, count, state FROM batches").fetchall()
        seen: set[str] = set()
        for batch_id, root, count, state in batches:
            members = raw.execute(
                "SELECT id, digest, leaf_index FROM credentials WHERE batch_id = ?"
                " ORDER BY leaf_index",
                (batch_id,),
            ).fetchall()
            assert [m[2] for m in members] == list(range(count))
            assert MerkleTree.from_digests([bytes(m[1]) for m in members]).root == bytes(root)
            ids = {m[0] for m in members}
            assert not ids & seen, "a credential is in two batches"
            seen |= ids
            if bytes(root) in on_chain:
                assert state in ("submitted", "anchored")
            if state == "anchored":
                b = box.batch(batch_id)
                assert on_chain[bytes(root)] == (b.block_number, b.anchored_at)
        known_roots = {bytes(r[1]) for r in batches}
        assert set(on_chain) <= known_roots, "an anchored root is unknown to the outbox"
        for (cid,) in raw.execute("SELECT id FROM credentials").fetchall():
            try:
                d = box.deliverable(cid)
            except CredentialNotYetAnchored:
                state = raw.execute(
                    "SELECT b.state FROM credentials c LEFT JOIN batches b ON b.id = c.batch_id"
                    " WHERE c.id = ?",
                    (cid,),
                ).fetchone()[0]
                assert state != "anchored"
                continue
            assert d.anchor.root in on_chain
            assert verify(d.anchor.root, d.anchor.proof, leaf_hash(d.digest))
        raw.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_killed_worker_loses_nothing_and_anchors_each_batch_once(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    db, chain = tmp_path / "outbox.db", tmp_path / "chain.json"
    kills = 0
    for _ in range(12):
        proc = _spawn(db, chain)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.02, 0.2))
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        _check_invariants(db, chain)
    assert kills >= 3, "the worker finished before it could be killed: make it do more"

    proc = _spawn(db, chain)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and out.split() == ["ready", "done"]
    _check_invariants(db, chain)

    state = FileChain(chain).state()
    with Outbox(db) as box:
        s = box.stats()
        assert (s.pending, s.batched, s.anchored) == (0, 0, TOTAL)
        assert s.batches_sealed == s.batches_submitted == 0
        assert len(state["anchors"]) == s.batches_anchored
        assert len(state["mined"]) == s.batches_anchored  # one transaction per batch
        delivered = [box.deliverable(f"c{n}").credential_id for n in range(TOTAL)]
    assert len(set(delivered)) == TOTAL


if __name__ == "__main__":
    worker(Path(sys.argv[1]), Path(sys.argv[2]))
