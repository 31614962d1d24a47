"""Outbox crash recovery against the real devnet: a child process issues a batch and is
SIGKILLed between the write-ahead record and the broadcast, or right after the broadcast; the
restarted issuer recovers. Nothing is lost and every batch root is anchored exactly once
(counted from the AnchorRegistry's `BatchAnchored` events)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from world import PERSON, VCT, AgencyWorld

from ledger.agency.anchoring import LedgerAnchorChain, SignedAnchor
from ledger.agency.issuer import Issuer
from ledger.agency.outbox import BroadcastOutcome
from ledger.chain.deploy import contract_abi
from ledger.chain.rpc import to_hex
from ledger.errors import CredentialNotYetAnchored

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COUNT = 23
MAX_BATCH = 10  # three batches: 10 + 10 + 3


class KillingAnchorChain(LedgerAnchorChain):
    """Dies by SIGKILL around the broadcast of the signed anchors."""

    def __init__(self, *args: Any, mode: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._mode = mode

    def broadcast_signed(self, anchors: Sequence[SignedAnchor]) -> None:
        if self._mode == "before-broadcast":
            os.kill(os.getpid(), signal.SIGKILL)
        super().broadcast_signed(anchors)
        if self._mode == "after-broadcast":
            os.kill(os.getpid(), signal.SIGKILL)


def child(config_path: str, mode: str) -> None:
    """The issuing process: queue COUNT credentials, flush (and die where told)."""
    from eth_account import Account

    from ledger.chain.client import LedgerChain
    from ledger.chain.deploy import Deployment
    from ledger.chain.rpc import Rpc
    from ledger.sdjwt import SigningKey

    config = json.loads(Path(config_path).read_text())
    rpc = Rpc(config["rpc_url"])
    chain = LedgerChain(
        rpc, Deployment.from_json(config["deployment"]), Account.from_key(config["account"])
    )
    key = SigningKey.from_private_jwk(config["signing_jwk"])
    anchors = KillingAnchorChain(chain, mode=mode)
    with Issuer.open(chain, key, Path(config["state_dir"]), anchor_chain=anchors) as issuer:
        issuer.recover()
        holder = SigningKey.generate().public_jwk
        for i in range(COUNT):
            claims = {**PERSON, "given_name": f"Karen {i}"}
            issuer.issue(claims, vct=VCT, holder_jwk=holder, anchor="batch")
        issuer.flush(max_batch=MAX_BATCH)
    print("flushed", flush=True)


def run_child(world: AgencyWorld, tmp_path: Path, mode: str) -> Path:
    state_dir = tmp_path / "state"
    config = {
        "rpc_url": world.rpc.url,
        "deployment": world.deployment.to_json(),
        "account": bytes(world.issuer.key).hex(),
        "signing_jwk": world.signing_key.to_private_jwk(),
        "state_dir": str(state_dir),
    }
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    proc = subprocess.run(
        [sys.executable, __file__, str(config_path), mode],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    if mode == "complete":
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        assert "flushed" not in proc.stdout
    return state_dir


def batch_events(world: AgencyWorld) -> list[tuple[bytes, int]]:
    """(root, count) of every BatchAnchored event of the issuer agency."""
    abi = contract_abi("AnchorRegistry")
    logs = world.rpc.call(
        "eth_getLogs",
        [
            {
                "address": world.deployment.address("AnchorRegistry"),
                "fromBlock": hex(world.deployment.block_number),
                "toBlock": "latest",
                "topics": [
                    to_hex(abi.topic("BatchAnchored")),
                    None,
                    "0x" + "00" * 12 + world.issuer.address[2:].lower(),
                ],
            }
        ],
    )
    return [(bytes.fromhex(log["topics"][1][2:]), int(log["data"], 16)) for log in logs]


def restart_and_collect(world: AgencyWorld, state_dir: Path) -> tuple[Any, list[str]]:
    """Restart the issuer on the same state: recover, flush, and list every delivered id."""
    issuer = Issuer.open(world.issuer_chain(), world.signing_key, state_dir)
    with issuer:
        report = issuer.recover()
        issuer.flush()
        stats = issuer.outbox.stats()
        assert (stats.pending, stats.batched, stats.anchored) == (0, 0, COUNT)
        delivered: list[str] = []
        for batch_id in (1, 2, 3):
            for d in issuer.outbox.deliverables(batch_id):
                anchor = d.anchor
                assert world.reader().verify_inclusion(
                    world.issuer.address, anchor.root, anchor.proof, d.digest
                )
                delivered.append(d.credential_id)
    return report, delivered


def assert_anchored_exactly_once(world: AgencyWorld) -> None:
    events = batch_events(world)
    assert sorted(count for _, count in events) == [3, 10, 10]
    assert len({root for root, _ in events}) == len(events) == 3


@pytest.fixture
def world(agency_world: AgencyWorld, chain_snapshot: str) -> AgencyWorld:
    return agency_world


def test_kill_between_write_ahead_and_broadcast_resends_the_same_transaction(
    world: AgencyWorld, tmp_path: Path
) -> None:
    state_dir = run_child(world, tmp_path, "before-broadcast")
    assert batch_events(world) == []
    with Issuer.open(world.issuer_chain(), world.signing_key, state_dir) as issuer:
        submitted = issuer.outbox.unanchored_batches()
        assert [b.state for b in submitted] == ["submitted"] * 3
        stored_hashes = {b.tx_hash for b in submitted}
        with pytest.raises(CredentialNotYetAnchored):  # nothing handed out before mined
            issuer.outbox.deliverables(1)
    report, delivered = restart_and_collect(world, state_dir)
    assert report.rebroadcast == (1, 2, 3)
    assert len(set(delivered)) == COUNT
    assert_anchored_exactly_once(world)
    for tx_hash in stored_hashes:  # the very transactions signed before the crash were mined
        assert world.rpc.call("eth_getTransactionReceipt", [tx_hash]) is not None


def test_kill_after_broadcast_finds_the_anchors_on_chain(
    world: AgencyWorld, tmp_path: Path
) -> None:
    state_dir = run_child(world, tmp_path, "after-broadcast")
    with Issuer.open(world.issuer_chain(), world.signing_key, state_dir) as issuer:
        hashes = [b.tx_hash for b in issuer.outbox.unanchored_batches()]
        assert len(hashes) == 3
        # The node took them before the kill; wait until it has mined them.
        issuer.anchor_chain.wait_mined([h for h in hashes if h is not None], timeout=30)
    assert len(batch_events(world)) == 3
    report, delivered = restart_and_collect(world, state_dir)
    assert report.anchored == (1, 2, 3) and report.rebroadcast == ()
    assert len(set(delivered)) == COUNT
    assert_anchored_exactly_once(world)


def test_write_ahead_transaction_whose_nonce_was_spent_is_resigned(
    world: AgencyWorld, tmp_path: Path
) -> None:
    state_dir = run_child(world, tmp_path, "before-broadcast")
    # The agency sends something else meanwhile: the stored transactions' nonces are spent.
    issuer_chain = world.issuer_chain()
    for list_id in (901, 902, 903):
        issuer_chain.create_status_list(list_id, 128)
    report, delivered = restart_and_collect(world, state_dir)
    assert report.resealed == (1, 2, 3)
    assert len(set(delivered)) == COUNT
    assert_anchored_exactly_once(world)


def test_recovery_is_idempotent_after_a_clean_run(world: AgencyWorld, tmp_path: Path) -> None:
    state_dir = run_child(world, tmp_path, "complete")
    report, delivered = restart_and_collect(world, state_dir)
    assert report.anchored == report.rebroadcast == report.resealed == report.sealed == ()
    assert len(set(delivered)) == COUNT
    assert_anchored_exactly_once(world)


def test_broadcast_raw_tells_already_known_from_spent_nonce(world: AgencyWorld) -> None:
    anchors = LedgerAnchorChain(world.issuer_chain())
    root = hashlib.sha256(b"a batch root").digest()
    (signed,) = anchors.sign_batch_anchors([(root, world.type_id, 5)])
    assert anchors.anchor_of(root) is None
    assert anchors.broadcast_raw(signed.raw_tx) is BroadcastOutcome.SENT
    anchors.wait_mined([signed.tx_hash])
    inclusion = anchors.anchor_of(root)
    assert inclusion is not None and inclusion.block_number is not None
    # Mined: its nonce is spent, so the same bytes can never be mined again.
    assert anchors.broadcast_raw(signed.raw_tx) is BroadcastOutcome.STALE


def test_legacy_gas_price_networks_get_legacy_anchor_transactions(
    world: AgencyWorld, tmp_path: Path
) -> None:
    chain = world.issuer_chain()
    anchors = LedgerAnchorChain(chain, gas_price=3 * 10**9)
    with Issuer.open(chain, world.signing_key, tmp_path / "s", anchor_chain=anchors) as issuer:
        issuer.issue(PERSON, vct=VCT, holder_jwk=world.signing_key.public_jwk, anchor="batch")
        (pkg,) = issuer.flush()
    tx = world.rpc.call("eth_getTransactionByHash", [pkg.metadata["tx_hash"]])
    assert (int(tx["type"], 16), int(tx["gasPrice"], 16)) == (0, 3 * 10**9)


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2])
