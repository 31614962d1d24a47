"""The outbox's `AnchorChain` over the real chain: sign, broadcast and confirm batch anchors.

The outbox needs a signed anchor transaction *before* it is broadcast (write-ahead), so this
module signs without sending (`sign_anchors`), sends stored raw transactions (`broadcast_raw`,
which tells a spent nonce apart from "already known"), waits for receipts and looks roots (or,
for a credential anchored alone, its digest) up in the AnchorRegistry (`anchor_of`).

Nonces: the transactions are signed with the nonces `LedgerChain`'s `TxSender` would use next;
after broadcasting, `broadcast_signed` makes the sender fetch its nonce again. Use one signing
`LedgerChain` per agency and thread, as everywhere.

Finality: a mined anchor is final once it has `confirmations` blocks (its own included) and,
where a `persist_state` hook is given (a devnet that saves its state to disk), once that state
is saved: `await_final`. The default of `default_confirmations` is what the network's consensus
needs: 1 on a QBFT network (a block is final once 2/3 of the validators signed it) and on an
anvil devnet (a block is never reorganised; only a killed node loses blocks, which
`persist_state` covers), `FALLBACK_CONFIRMATIONS` on any other chain. On an anvil devnet that
mines only on demand no further block would come, so `await_final` mines the empty blocks that
are missing (`anvil_mine`); on any other network it waits for them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.agency.outbox import AnchorInclusion, BroadcastOutcome
from ledger.chain.client import AnchorInfo, LedgerChain
from ledger.chain.deploy import contract_abi
from ledger.chain.rpc import Rpc, to_hex
from ledger.chain.sender import Receipt, TxRequest
from ledger.errors import (
    ChainError,
    ConfirmationTimeout,
    ContractRevert,
    InputError,
    RpcError,
    TransactionTimeout,
)

__all__ = [
    "FALLBACK_CONFIRMATIONS",
    "LedgerAnchorChain",
    "SignedAnchor",
    "default_confirmations",
    "is_anvil",
]

#: Confirmations asked for on a chain that is neither QBFT (`poa`) nor an anvil devnet, whose
#: consensus this code does not know; set the network's own figure in `network.json`.
FALLBACK_CONFIRMATIONS = 12


def is_anvil(rpc: Rpc) -> bool:
    """Whether the node is an anvil devnet (`web3_clientVersion` says so)."""
    try:
        version = str(rpc.call("web3_clientVersion", []))
    except RpcError:  # the node does not know the method; an unreachable node still raises
        return False
    return version.lower().startswith("anvil")


def default_confirmations(rpc: Rpc, *, poa: bool = False) -> int:
    """Confirmations an anchor needs before its credentials are handed out, by consensus: 1 on
    a QBFT network (`poa`: instant finality) and on an anvil devnet, else
    `FALLBACK_CONFIRMATIONS`."""
    return 1 if poa or is_anvil(rpc) else FALLBACK_CONFIRMATIONS


#: Gas margin over the estimate of one batch anchor (the estimate is for a fresh root).
_ANCHOR_GAS = 120_000
_SPENT = ("nonce too low", "nonce is too low", "replacement transaction underpriced")
_KNOWN = ("already known", "known transaction", "already imported", "already in the pool")


@dataclass(frozen=True)
class SignedAnchor:
    """A signed, not yet broadcast `anchorBatch` transaction."""

    root: bytes
    raw_tx: bytes
    tx_hash: str
    nonce: int


class LedgerAnchorChain:
    """`ledger.agency.outbox.AnchorChain` over a `LedgerChain` signing as the issuing agency.

    `gas_price` signs legacy transactions at that price (for networks with a fixed gas price,
    as `LedgerChain(..., gas_price=)`); by default EIP-1559 fees as `TxSender` sets them.
    `confirmations` (>= 1; 1 = the block that mined it) is how many blocks an anchor needs to
    count as final; `persist_state`, if given, makes the node's state durable (a devnet's state
    file) and is called before an anchor counts as final; `mine_on_devnet` lets `await_final`
    mine the missing empty blocks on an anvil devnet; `confirmation_timeout` bounds the wait
    for them elsewhere. The constructor does no I/O.
    """

    def __init__(
        self,
        chain: LedgerChain,
        *,
        gas_price: int | None = None,
        poll_interval: float = 0.005,
        confirmations: int = 1,
        persist_state: Callable[[], Any] | None = None,
        mine_on_devnet: bool = True,
        block_poll_interval: float = 0.5,
        confirmation_timeout: float = 120.0,
    ) -> None:
        if confirmations < 1:
            raise InputError("confirmations must be at least 1 (the block that mined it)")
        self._chain = chain
        self._gas_price = gas_price
        self._poll = poll_interval
        self._confirmations = confirmations
        self._persist = persist_state
        self._mine = mine_on_devnet
        self._block_poll = block_poll_interval
        self._confirmation_timeout = confirmation_timeout
        self._anvil: bool | None = None
        abi = contract_abi("AnchorRegistry")
        self._topics = {
            single: "0x" + abi.topic(event).hex()
            for single, event in ((False, "BatchAnchored"), (True, "CredentialAnchored"))
        }

    @property
    def chain(self) -> LedgerChain:
        """The chain client (signing as the agency)."""
        return self._chain

    @property
    def confirmations(self) -> int:
        """Blocks an anchor needs (its own included) before it counts as final."""
        return self._confirmations

    # -- AnchorChain protocol -----------------------------------------------------------------

    def anchor_of(self, root: bytes, *, single: bool = False) -> AnchorInclusion | None:
        """Where this agency anchored batch `root` (or, if `single`, the digest `root` alone):
        timestamp, block and block hash, not yet vouched final (`await_final` does that);
        None if it did not (anchors are keyed by issuer, so another agency's anchor of the same
        root is not looked at)."""
        info = self._ours(root, single)
        if info is None:
            return None
        block, block_hash = self._anchor_block(root, single)
        return AnchorInclusion(info.anchored_at, block, block_hash, confirmed=False)

    def next_nonce(self) -> int:
        """The agency's next nonce, counting transactions in the node's pool."""
        count = self._chain.rpc.call("eth_getTransactionCount", [self._chain.address, "pending"])
        return int(count, 16)

    def block_hashes(self, numbers: Sequence[int]) -> list[str | None]:
        """Hashes of the canonical blocks at `numbers` (None above the head), in one batch per
        200 blocks."""
        out: list[str | None] = []
        for start in range(0, len(numbers), 200):
            chunk = numbers[start : start + 200]
            blocks = self._chain.rpc.batch(
                [("eth_getBlockByNumber", [hex(n), False]) for n in chunk]
            )
            out.extend(None if b is None else str(b["hash"]) for b in blocks)
        return out

    def broadcast_raw(self, raw_tx: bytes) -> BroadcastOutcome:
        """Send a stored signed transaction; "already known" is SENT, a spent nonce STALE."""
        try:
            self._chain.rpc.call("eth_sendRawTransaction", [to_hex(raw_tx)])
        except RpcError as exc:
            message = exc.rpc_message.lower()
            if any(m in message for m in _KNOWN):
                return BroadcastOutcome.SENT
            if any(m in message for m in _SPENT):
                return BroadcastOutcome.STALE
            raise
        return BroadcastOutcome.SENT

    # -- the issuing path ---------------------------------------------------------------------

    def sign_batch_anchors(self, batches: Sequence[tuple[bytes, int, int]]) -> list[SignedAnchor]:
        """`sign_anchors` for batch roots: `anchorBatch(root, type_id, count)` each."""
        return self.sign_anchors([(root, t, count, False) for root, t, count in batches])

    def sign_anchors(self, anchors: Sequence[tuple[bytes, int, int, bool]]) -> list[SignedAnchor]:
        """Sign, with consecutive nonces and without sending, `anchorBatch(root, type_id, count)`
        for each (root, type_id, count, single) or, where `single`, `anchor(root, type_id)` (a
        credential digest anchored alone). An anchor the chain would reject (not accredited,
        already anchored) raises its decoded error here, before anything is recorded or sent."""
        if not anchors:
            return []
        sender = self._chain.sender
        start, fees = self._nonce_and_fees()
        requests = [
            self._chain.anchor_tx(r, t) if single else self._chain.anchor_batch_tx(r, t, c)
            for r, t, c, single in anchors
        ]
        to = self._chain.deployment.address("AnchorRegistry")
        # Anchors of one kind cost the same (one fresh slot); estimating the first of each kind
        # also surfaces a revert (not accredited, already anchored) before anything is recorded.
        gas: dict[bool, int] = {}
        for (_, _, _, single), request in zip(anchors, requests, strict=True):
            if single not in gas:
                estimate = sender.estimate_gas(to, request.data)
                gas[single] = estimate if single else max(estimate, _ANCHOR_GAS)
        out: list[SignedAnchor] = []
        for i, ((root, _, _, single), request) in enumerate(zip(anchors, requests, strict=True)):
            # Signed by the chain's TxSender: the write-ahead transaction is exactly what it
            # would send.
            signed = sender.sign(
                TxRequest(to=to, data=request.data, gas=gas[single]), nonce=start + i, fees=fees
            )
            out.append(SignedAnchor(root, signed.raw, signed.tx_hash, signed.nonce))
        return out

    def broadcast_signed(self, anchors: Sequence[SignedAnchor]) -> None:
        """Send signed anchors in one JSON-RPC batch ("already known" is fine)."""
        if not anchors:
            return
        calls = [("eth_sendRawTransaction", [to_hex(a.raw_tx)]) for a in anchors]
        try:
            results = self._chain.rpc.batch(calls, raise_errors=False)
        finally:
            self._chain.sender.resync_nonce()
        for result in results:
            if isinstance(result, RpcError) and not any(
                m in result.rpc_message.lower() for m in _KNOWN
            ):
                raise result
            if isinstance(result, Exception):
                raise result

    def wait_mined(self, tx_hashes: Sequence[str], *, timeout: float = 120.0) -> list[Receipt]:
        """Receipts of `tx_hashes` once all are mined; a reverted one raises its decoded error."""
        outcomes = self.wait_outcomes(tx_hashes, timeout=timeout)
        for outcome in outcomes:
            if isinstance(outcome, ContractRevert):
                raise outcome
        return [o for o in outcomes if not isinstance(o, ContractRevert)]

    def wait_outcomes(
        self, tx_hashes: Sequence[str], *, timeout: float = 120.0
    ) -> list[Receipt | ContractRevert]:
        """For each of `tx_hashes` once all are mined: its receipt, or its decoded revert."""
        deadline = time.monotonic() + timeout
        sender = self._chain.sender
        pending = list(tx_hashes)
        while pending:
            raws = self._chain.rpc.batch([("eth_getTransactionReceipt", [h]) for h in pending])
            if all(r is not None for r in raws):
                break
            if time.monotonic() > deadline:
                raise TransactionTimeout(pending[0], timeout)
            time.sleep(self._poll)
        outcomes: list[Receipt | ContractRevert] = []
        for h in tx_hashes:
            try:  # mined: `wait` returns at once, decoding a revert if there was one
                outcomes.append(sender.wait(h, timeout=timeout))
            except ContractRevert as revert:
                outcomes.append(revert)
        return outcomes

    def confirm(self, root: bytes, receipt: Receipt, *, single: bool = False) -> AnchorInclusion:
        """The inclusion of `root` (a digest anchored alone if `single`) after its anchor
        transaction was mined (`receipt`); not final before `await_final`."""
        info = self._ours(root, single)
        if info is None:
            raise ChainError(
                f"transaction {receipt.tx_hash} was mined but the root is not this agency's anchor"
            )
        return AnchorInclusion(
            info.anchored_at, receipt.block_number, receipt.block_hash, confirmed=False
        )

    def await_final(self, block_number: int, *, timeout: float | None = None) -> None:
        """Return once blocks up to `block_number` are final: the head is `confirmations` - 1
        blocks above it (on an anvil devnet the missing empty blocks are mined, as it mines
        only on demand) and, with a `persist_state` hook, the node's state is saved. Raises
        `ConfirmationTimeout` after `timeout` seconds (default: the constructor's
        `confirmation_timeout`) without enough blocks."""
        timeout = self._confirmation_timeout if timeout is None else timeout
        target = block_number + self._confirmations - 1
        deadline = time.monotonic() + timeout
        rpc = self._chain.rpc
        # With one confirmation the block that mined it is enough: no need to ask for the head.
        while self._confirmations > 1 and (head := rpc.block_number()) < target:
            if self._mine and self._is_anvil():
                rpc.call("anvil_mine", [hex(target - head)])
                continue
            if time.monotonic() > deadline:
                raise ConfirmationTimeout(
                    f"block {block_number} has {max(head - block_number + 1, 0)} of "
                    f"{self._confirmations} confirmations after {timeout:g} s"
                )
            time.sleep(self._block_poll)
        if self._persist is not None:
            self._persist()

    # -- internals ----------------------------------------------------------------------------

    def _ours(self, root: bytes, single: bool) -> AnchorInfo | None:
        agency = self._chain.address
        return self._chain.anchor_of(agency, root) if single else self._chain.batch_of(agency, root)

    def _nonce_and_fees(self) -> tuple[int, dict[str, int]]:
        rpc = self._chain.rpc
        address = self._chain.address
        block, count, tip = rpc.batch(
            [
                ("eth_getBlockByNumber", ["latest", False]),
                ("eth_getTransactionCount", [address, "pending"]),
                ("eth_maxPriorityFeePerGas", []),
            ],
            raise_errors=False,
        )
        if isinstance(block, Exception) or isinstance(count, Exception):
            raise block if isinstance(block, Exception) else count
        if self._gas_price is not None:
            return int(count, 16), {"gasPrice": self._gas_price}
        tip_wei = 0 if isinstance(tip, Exception) else int(tip, 16)
        base = int(block.get("baseFeePerGas") or "0x0", 16)
        # As TxSender: twice the base fee survives six full blocks of base-fee growth.
        return int(count, 16), {"maxFeePerGas": 2 * base + tip_wei, "maxPriorityFeePerGas": tip_wei}

    def _is_anvil(self) -> bool:
        if self._anvil is None:
            self._anvil = is_anvil(self._chain.rpc)
        return self._anvil

    def _anchor_block(self, root: bytes, single: bool) -> tuple[int | None, str | None]:
        """Number and hash of the block of the `BatchAnchored` (`CredentialAnchored` if
        `single`) event of `root` by this agency (None, None if the node has no logs)."""
        try:
            logs = self._chain.rpc.call(
                "eth_getLogs",
                [
                    {
                        "address": self._chain.deployment.address("AnchorRegistry"),
                        "fromBlock": hex(self._chain.deployment.block_number),
                        "toBlock": "latest",
                        "topics": [
                            self._topics[single],
                            to_hex(root),
                            "0x" + self._chain.address[2:].lower().rjust(64, "0"),
                        ],
                    }
                ],
            )
        except RpcError:
            return None, None
        if not logs:
            return None, None
        return int(logs[0]["blockNumber"], 16), logs[0].get("blockHash")
