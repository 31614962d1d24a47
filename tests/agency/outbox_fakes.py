"""Test helpers for the outbox: a fake anchoring chain that persists to a JSON file.

The fake stands in for the AnchorRegistry as far as the outbox is concerned: transactions are
JSON ``{"root", "type_id", "nonce"}`` "signed" by nothing, mined immediately in nonce order
(automine), a duplicate root reverts (nonce consumed, no anchor), and every state change is
written atomically to a file so it survives a SIGKILL of the process using it. `rollback` drops
the blocks above a height, as a devnet restarted from older state does. Real-chain tests of the
integration layer replace it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ledger.agency.outbox import AnchorInclusion, BroadcastOutcome, PendingCredential

GENESIS_TIME = 1_800_000_000


class FileChain:
    """A fake chain for `Outbox.recover`, persisted to ``path`` (atomic replace per change)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {
                "nonce": 0,
                "block": 0,
                "anchors": {},
                "mined": [],
                "reverted": [],
                "received": [],
                "hashes": {},
            }
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def _save(self, state: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.path)

    # what tests inspect

    def state(self) -> dict[str, Any]:
        """The whole persisted state."""
        return self._load()

    def next_nonce(self) -> int:
        """The account nonce the next transaction must use."""
        return int(self._load()["nonce"])

    @staticmethod
    def sign(root: bytes, type_id: int, nonce: int) -> tuple[bytes, str]:
        """A fake signed anchor transaction and its hash."""
        raw = json.dumps({"root": root.hex(), "type_id": type_id, "nonce": nonce}).encode()
        return raw, "0x" + hashlib.sha256(raw).hexdigest()

    def burn_nonce(self) -> None:
        """Mine some other transaction of the same account (uses up the next nonce)."""
        state = self._load()
        state["nonce"] += 1
        state["block"] += 1
        state["hashes"][str(state["block"])] = _block_hash(f"burn{state['nonce']}", state)
        self._save(state)

    def rollback(self, to_block: int) -> None:
        """Forget every block above `to_block` and what was mined in it (one transaction per
        block: the account's nonce goes back with them)."""
        state = self._load()
        dropped = state["block"] - to_block
        state["block"] = to_block
        state["nonce"] -= dropped
        blocks = state.get("tx_block", {})
        state["mined"] = [h for h in state["mined"] if blocks.get(h, 0) <= to_block]
        state["anchors"] = {r: v for r, v in state["anchors"].items() if v[0] <= to_block}
        state["hashes"] = {n: h for n, h in state["hashes"].items() if int(n) <= to_block}
        self._save(state)

    # AnchorChain protocol

    def anchor_of(self, root: bytes, *, single: bool = False) -> AnchorInclusion | None:
        state = self._load()
        entry = state["anchors"].get(root.hex())
        if entry is None:
            return None
        return AnchorInclusion(entry[1], entry[0], state["hashes"].get(str(entry[0])))

    def block_hashes(self, numbers: Sequence[int]) -> list[str | None]:
        hashes = self._load()["hashes"]
        return [hashes.get(str(n)) for n in numbers]

    def broadcast_raw(self, raw_tx: bytes) -> BroadcastOutcome:
        state = self._load()
        tx_hash = "0x" + hashlib.sha256(raw_tx).hexdigest()
        state["received"].append(tx_hash)
        if tx_hash in state["mined"]:
            self._save(state)
            return BroadcastOutcome.SENT  # already known
        tx = json.loads(raw_tx)
        if tx["nonce"] < state["nonce"]:
            self._save(state)
            return BroadcastOutcome.STALE
        if tx["nonce"] > state["nonce"]:
            raise AssertionError("nonce gap: the fake chain does not queue transactions")
        state["nonce"] += 1
        state["block"] += 1
        state["hashes"][str(state["block"])] = _block_hash(tx_hash, state)
        state["mined"].append(tx_hash)
        state.setdefault("tx_block", {})[tx_hash] = state["block"]
        if tx["root"] in state["anchors"]:
            state["reverted"].append(tx["root"])  # AnchorRegistry: duplicate root
        else:
            state["anchors"][tx["root"]] = [state["block"], GENESIS_TIME + 12 * state["block"]]
        self._save(state)
        return BroadcastOutcome.SENT


def _block_hash(content: str, state: dict[str, Any]) -> str:
    """A block hash that differs when a height is mined again after a rollback."""
    seed = f"{content}:{state['block']}:{len(state['received'])}"
    return "0x" + hashlib.sha256(seed.encode()).hexdigest()


def make_credential(n: int, type_id: int = 1) -> PendingCredential:
    """A deterministic pending credential number ``n``."""
    cid = f"c{n}"
    compact = f"eyJhbGciOiJFUzI1NiJ9.{cid}.sig~"
    return PendingCredential(
        id=cid,
        digest=hashlib.sha256(compact.split("~")[0].encode("ascii")).digest(),
        type_id=type_id,
        list_id=1,
        status_idx=n,
        compact=compact,
        holder_ref=f"holder-{n}",
    )


__all__ = ["GENESIS_TIME", "FileChain", "make_credential"]
