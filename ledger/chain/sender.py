"""Send transactions: local signing, local nonce tracking, pipelining, gap recovery.

`TxSender` signs with a `LocalAccount` (from a keystore) and never asks the node to sign.
Each `send` reads the account's pending nonce in the same JSON-RPC batch as the fee data (no
extra round trip), so it stays right across `evm_revert`, dropped transactions and other
senders; `send_many` signs a whole burst with consecutive nonces counted locally. `sign` signs
without sending, for callers that must store a transaction before it is broadcast.

Nonce gaps: a transaction whose nonce is above the account's next one waits in the node's
pool until the nonces below it are used, possibly forever (a dropped transaction, a node
that lost its pool, or a pending count read while anvil had not yet pruned mined transactions
from its pool after an `evm_revert`). When a transaction this sender waits for makes no
progress for `rebroadcast_after` seconds, it rebroadcasts what it sent itself and fills the
nonces that nobody holds with zero-value transfers to itself, so the waiting transaction is
mined as signed (never re-signed: no risk of running twice).

Threading: one `TxSender` per account and per thread; two senders pipelining for the same
account at the same moment will collide on nonces.

Transactions are EIP-1559 (type 2), which anvil and Besu (London and later, including QBFT
networks with a zero base fee) both accept; passing `gas_price` switches to legacy
transactions at that price, for networks that want a fixed gas price.

The encoding and signing of a transaction are in `ledger.chain.tx_encoding`. `TxSender` stays
one class of some 400 lines: its nonce count, its remembered transactions and its gap filling
are one state that `send`, `wait` and the `send_many` pipeline all read and move.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from ledger.chain.abi import ErrorDecoder
from ledger.chain.rpc import Rpc, to_hex
from ledger.chain.tx_encoding import _TxSigner
from ledger.errors import (
    ChainError,
    ContractRevert,
    ContractReverted,
    InputError,
    NonceGap,
    RpcError,
    TransactionFailed,
    TransactionTimeout,
)

__all__ = ["Receipt", "SignedTx", "TxRequest", "TxSender"]

_BATCH = 200
# Anvil's automine can stall (mining empty blocks, its HTTP handler hanging) when thousands of
# transactions of one sender wait in its pool; a bounded window of unmined ones avoids that.
_MAX_IN_FLIGHT = 400
_NONCE_TOO_LOW = ("nonce too low", "nonce is too low", "already known", "known transaction")
# Transactions `send` remembers (hash -> nonce, raw) for rebroadcasting while they are unmined.
_REMEMBERED = 1024
_TRANSFER_GAS = 21_000


@dataclass(frozen=True)
class TxRequest:
    """One transaction for `TxSender.send_many`; `to=None` deploys `data` as init code."""

    to: str | None
    data: bytes = b""
    gas: int | None = None
    value: int = 0


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction, not yet sent: `raw` goes to `eth_sendRawTransaction` as is."""

    raw: bytes
    tx_hash: str
    nonce: int


@dataclass(frozen=True)
class Receipt:
    """A mined transaction."""

    tx_hash: str
    status: int
    block_number: int
    gas_used: int
    contract_address: str | None
    logs: tuple[dict[str, Any], ...]
    effective_gas_price: int
    block_hash: str | None = None  # of the block it was mined in (a reorganisation changes it)

    @property
    def ok(self) -> bool:
        """Whether the transaction succeeded (status 1)."""
        return self.status == 1


def _parse_receipt(raw: dict[str, Any]) -> Receipt:
    contract = raw.get("contractAddress")
    price = raw.get("effectiveGasPrice")
    return Receipt(
        tx_hash=str(raw["transactionHash"]),
        status=int(raw.get("status", "0x1"), 16),
        block_number=int(raw["blockNumber"], 16),
        gas_used=int(raw["gasUsed"], 16),
        contract_address=to_checksum_address(contract) if contract else None,
        logs=tuple(raw.get("logs", [])),
        effective_gas_price=int(price, 16) if price else 0,
        block_hash=raw.get("blockHash"),
    )


def _is_benign_send_error(error: ChainError) -> bool:
    return isinstance(error, RpcError) and any(
        marker in error.rpc_message.lower() for marker in _NONCE_TOO_LOW
    )


@dataclass
class _Pending:
    index: int
    nonce: int
    tx_hash: str
    raw: str
    receipt: Receipt | None = None


class TxSender:
    """Signs and sends transactions for one account; the constructor does no I/O.

    `decoder` turns revert data into a specific exception (e.g. a `combined_error_decoder`
    over the suite's ABIs); without one, `Error(string)` and `Panic` are still decoded.
    """

    def __init__(
        self,
        rpc: Rpc,
        account: LocalAccount,
        *,
        decoder: Callable[[bytes], ChainError] | None = None,
        gas_price: int | None = None,
        poll_interval: float = 0.005,
        rebroadcast_after: float = 2.0,
        max_in_flight: int = _MAX_IN_FLIGHT,
    ) -> None:
        self._rpc = rpc
        self._account = account
        self._decoder = decoder or ErrorDecoder(())
        self._gas_price = gas_price
        self._poll = poll_interval
        self._rebroadcast_after = rebroadcast_after
        self._max_in_flight = max(1, max_in_flight)
        self._nonce: int | None = None
        self._tip: int | None = None
        self._signer: _TxSigner | None = None
        self._sent: OrderedDict[str, tuple[int, str]] = OrderedDict()

    @property
    def address(self) -> str:
        """Checksummed address of the sending account."""
        return str(self._account.address)

    @property
    def rpc(self) -> Rpc:
        """The RPC client this sender uses."""
        return self._rpc

    # -- nonce & fees -------------------------------------------------------------------------

    def next_nonce(self) -> int:
        """The nonce the next transaction will use, as last learnt from the node or counted."""
        if self._nonce is None:
            self._nonce = int(
                self._rpc.call("eth_getTransactionCount", [self.address, "pending"]), 16
            )
        return self._nonce

    def resync_nonce(self) -> None:
        """Forget the local nonce; it is fetched again before the next send."""
        self._nonce = None

    def _prepare(
        self, estimate: tuple[str | None, bytes, int] | None = None
    ) -> tuple[int, dict[str, int], int | None]:
        """Nonce, fee fields and (if `estimate` = (to, data, value)) a gas limit for the next
        transaction(s), all in one batched round trip.

        The node's pending nonce is re-read on every send (it rides along with the fee data
        at no extra round trip), so a sender stays right after an `evm_revert`, a dropped
        transaction or another sender using the same account.
        """
        if self._gas_price is None and self._tip is None:
            try:
                self._tip = int(self._rpc.call("eth_maxPriorityFeePerGas", []), 16)
            except RpcError:
                self._tip = 0
        calls: list[tuple[str, list[Any]]] = [
            ("eth_getTransactionCount", [self.address, "pending"])
        ]
        if self._gas_price is None:
            calls.append(("eth_getBlockByNumber", ["latest", False]))
        if estimate is not None:
            calls.append(("eth_estimateGas", [self._call_object(*estimate)]))
        results = self._rpc.batch(calls, raise_errors=False)
        gas: int | None = None
        if estimate is not None:
            estimated = results.pop()
            if isinstance(estimated, ContractReverted):
                raise self._decoder(estimated.data) from estimated
            if isinstance(estimated, Exception):
                raise estimated
            gas = int(estimated, 16) * 6 // 5
        for result in results:
            if isinstance(result, Exception):
                raise result
        self._nonce = int(results[0], 16)
        if self._gas_price is not None:
            return self._nonce, {"gasPrice": self._gas_price}, gas
        base = int(results[1].get("baseFeePerGas") or "0x0", 16)
        tip = self._tip or 0
        # Twice the base fee survives six full blocks of base-fee growth (12.5% each).
        return self._nonce, {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}, gas

    # -- signing ------------------------------------------------------------------------------

    def sign(self, request: TxRequest, *, nonce: int, fees: Mapping[str, int]) -> SignedTx:
        """Sign `request` with `nonce` and `fees` without sending it.

        `fees` is `{"gasPrice": wei}` (legacy, EIP-155) or `{"maxFeePerGas": wei,
        "maxPriorityFeePerGas": wei}` (EIP-1559); `request.gas` is required (`InputError`
        otherwise; see `estimate_gas`). The transaction is exactly what `send` would submit
        with that nonce and those fees. No I/O beyond the chain id (cached by `Rpc`).

        The sender's own nonce is not advanced: after broadcasting the result yourself, call
        `resync_nonce()` (the next `send` re-reads the node's pending nonce anyway).
        """
        if request.gas is None:
            raise InputError("TxSender.sign needs an explicit gas limit (request.gas)")
        if "gasPrice" not in fees and not {"maxFeePerGas", "maxPriorityFeePerGas"} <= set(fees):
            raise InputError("fees must hold gasPrice, or maxFeePerGas and maxPriorityFeePerGas")
        raw, tx_hash = self._sign_bytes(
            request.to, request.data, request.gas, request.value, nonce, dict(fees)
        )
        return SignedTx(raw=raw, tx_hash=to_hex(tx_hash), nonce=nonce)

    def _sign_bytes(
        self, to: str | None, data: bytes, gas: int, value: int, nonce: int, fees: dict[str, int]
    ) -> tuple[bytes, bytes]:
        if self._signer is None:
            self._signer = _TxSigner(bytes(self._account.key))
        return self._signer.sign(
            chain_id=self._rpc.chain_id,
            nonce=nonce,
            to=to,
            value=value,
            data=data,
            gas=gas,
            fees=fees,
        )

    def _sign(
        self, to: str | None, data: bytes, gas: int, value: int, nonce: int, fees: dict[str, int]
    ) -> tuple[str, str]:
        raw, tx_hash = self._sign_bytes(to, data, gas, value, nonce, fees)
        return to_hex(raw), to_hex(tx_hash)

    def _call_object(self, to: str | None, data: bytes, value: int) -> dict[str, Any]:
        obj: dict[str, Any] = {"from": self.address, "data": to_hex(data), "value": hex(value)}
        if to is not None:
            obj["to"] = to
        return obj

    def estimate_gas(self, to: str | None, data: bytes, *, value: int = 0) -> int:
        """Gas estimate plus a 20% margin; a revert raises the decoded error."""
        try:
            estimate = int(
                self._rpc.call("eth_estimateGas", [self._call_object(to, data, value)]), 16
            )
        except ContractReverted as exc:
            raise self._decoder(exc.data) from exc
        return estimate * 6 // 5

    # -- single transactions ------------------------------------------------------------------

    def send(self, to: str | None, data: bytes, *, gas: int | None = None, value: int = 0) -> str:
        """Sign and submit one transaction; returns its hash without waiting."""
        for attempt in (1, 2):
            nonce, fees, estimated = self._prepare(None if gas else (to, data, value))
            gas = gas or estimated or 0
            raw, tx_hash = self._sign(to, data, gas, value, nonce, fees)
            try:
                self._rpc.call("eth_sendRawTransaction", [raw])
            except RpcError as exc:
                # Another sender of this account may have raced us to the nonce: once more.
                if attempt == 1 and "nonce" in exc.rpc_message.lower():
                    continue
                raise
            except ChainError:
                self.resync_nonce()  # unknown whether the node took it
                raise
            self._nonce = nonce + 1
            self._remember(tx_hash, nonce, raw)
            return tx_hash
        raise AssertionError("unreachable")

    def _remember(self, tx_hash: str, nonce: int, raw: str) -> None:
        self._sent[tx_hash] = (nonce, raw)
        while len(self._sent) > _REMEMBERED:
            self._sent.popitem(last=False)

    def wait(self, tx_hash: str, *, timeout: float = 60) -> Receipt:
        """Wait until `tx_hash` is mined; a failed transaction raises its decoded revert.

        For a transaction sent by this sender, no progress for `rebroadcast_after` seconds
        triggers gap recovery (see the module docstring); `NonceGap` if its nonce was taken
        by another transaction. `TransactionTimeout` after `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        next_check = time.monotonic() + self._rebroadcast_after
        while True:
            raw = self._rpc.call("eth_getTransactionReceipt", [tx_hash])
            if raw is not None:
                self._sent.pop(tx_hash, None)
                receipt = _parse_receipt(raw)
                if receipt.status != 1:
                    raise self._failure(receipt)
                return receipt
            now = time.monotonic()
            if now > deadline:
                raise TransactionTimeout(tx_hash, timeout)
            if now > next_check and tx_hash in self._sent:
                nonce, _ = self._sent[tx_hash]
                self._check_replaced(nonce, tx_hash)
                self._rebroadcast_remembered(nonce)
                self._fill_gap_below(nonce)
                next_check = time.monotonic() + self._rebroadcast_after
            time.sleep(self._poll)

    def _rebroadcast_remembered(self, up_to: int) -> None:
        """Send again every remembered transaction with a nonce up to `up_to` (errors are
        expected: most are mined or still pooled)."""
        self._send_raw_ignoring_errors([raw for n, raw in self._sent.values() if n <= up_to])

    def _send_raw_ignoring_errors(self, raws: Sequence[str]) -> None:
        """`eth_sendRawTransaction` of each of `raws`, in batches; per-item errors ignored."""
        for chunk_start in range(0, len(raws), _BATCH):
            chunk = raws[chunk_start : chunk_start + _BATCH]
            self._rpc.batch([("eth_sendRawTransaction", [r]) for r in chunk], raise_errors=False)

    def _fill_gap_below(self, nonce: int) -> None:
        """Fill the nonces below `nonce` that neither the chain nor the node's pool holds.

        The node's pending count is the account's next nonce counting only executable pool
        transactions; at or below `nonce` it means the transaction at `nonce` cannot be mined
        until nonces `pending..nonce-1` are used. Nobody is sending those (this sender has
        just rebroadcast what it knows), so each gets a zero-value transfer to this account.
        """
        latest, pending = (
            int(count, 16)
            for count in self._rpc.batch(
                [
                    ("eth_getTransactionCount", [self.address, "latest"]),
                    ("eth_getTransactionCount", [self.address, "pending"]),
                ]
            )
        )
        start = max(latest, pending)
        if start >= nonce:
            return
        _, fees, _ = self._prepare()
        self.resync_nonce()
        # A filler that loses the race to the real transaction fails: that is fine.
        fillers = range(start, nonce)
        self._send_raw_ignoring_errors(
            [self._sign(self.address, b"", _TRANSFER_GAS, 0, n, fees)[0] for n in fillers]
        )

    def transact(
        self, to: str | None, data: bytes, *, gas: int | None = None, value: int = 0
    ) -> Receipt:
        """`send` then `wait`."""
        return self.wait(self.send(to, data, gas=gas, value=value))

    def _failure(self, receipt: Receipt) -> ChainError:
        """Replay a failed transaction as eth_call at its block to recover the revert data."""
        tx = self._rpc.call("eth_getTransactionByHash", [receipt.tx_hash])
        if tx is None:
            return TransactionFailed(receipt.tx_hash, "reverted (transaction not found)")
        call: dict[str, Any] = {
            "from": tx["from"],
            "data": tx.get("input") or tx.get("data") or "0x",
            "value": tx.get("value", "0x0"),
            "gas": tx["gas"],
        }
        if tx.get("to"):
            call["to"] = tx["to"]
        if receipt.gas_used >= int(tx["gas"], 16):
            return TransactionFailed(receipt.tx_hash, f"out of gas (limit {int(tx['gas'], 16)})")
        try:
            self._rpc.call("eth_call", [call, hex(receipt.block_number)])
        except ContractReverted as exc:
            decoded = self._decoder(exc.data)
            if isinstance(decoded, ContractRevert) and decoded.error_name == "revert":
                return TransactionFailed(receipt.tx_hash, "reverted without data")
            return decoded
        except RpcError as exc:
            return TransactionFailed(receipt.tx_hash, f"reverted; replay: {exc.rpc_message}")
        return TransactionFailed(receipt.tx_hash, "reverted (the replay did not)")

    # -- pipelined batches --------------------------------------------------------------------

    def send_many(
        self,
        txs: Sequence[TxRequest],
        *,
        progress: Callable[[int, int], None] | None = None,
        timeout: float = 300.0,
        raise_on_failure: bool = True,
    ) -> list[Receipt]:
        """Sign `txs` with consecutive nonces, submit them in JSON-RPC batches, wait for all.

        At most `max_in_flight` (constructor) transactions are unmined at any time; further
        batches go out as earlier ones are mined.

        Transactions without `gas` are estimated up front against the current state, so
        transactions that depend on earlier ones in the same call need explicit gas.
        Unmined transactions are rebroadcast after `rebroadcast_after` seconds without
        progress (a dropped transaction leaves a nonce gap that stalls all later ones), and
        nonces below the first one that nobody holds are filled (module docstring);
        "nonce too low" / "already known" answers count as submitted. Receipts come back in
        the order of `txs`; with `raise_on_failure`, the first failed transaction raises its
        decoded revert after all are mined. Raises `NonceGap` if `timeout` passes first.
        """
        if not txs:
            return []
        gases = self._gases(txs)
        start, fees, _ = self._prepare()
        pending = []
        for i, (tx, gas) in enumerate(zip(txs, gases, strict=True)):
            raw, tx_hash = self._sign(tx.to, tx.data, gas, tx.value, start + i, fees)
            pending.append(_Pending(index=i, nonce=start + i, tx_hash=tx_hash, raw=raw))
        self._nonce = start + len(txs)
        receipts = self._pipeline(pending, progress, timeout)
        if raise_on_failure:
            for receipt in receipts:
                if receipt.status != 1:
                    raise self._failure(receipt)
        return receipts

    def _gases(self, txs: Sequence[TxRequest]) -> list[int]:
        missing = [i for i, tx in enumerate(txs) if tx.gas is None]
        gases = [tx.gas or 0 for tx in txs]
        for chunk_start in range(0, len(missing), _BATCH):
            chunk = missing[chunk_start : chunk_start + _BATCH]
            calls = [
                ("eth_estimateGas", [self._call_object(txs[i].to, txs[i].data, txs[i].value)])
                for i in chunk
            ]
            for i, result in zip(chunk, self._rpc.batch(calls, raise_errors=False), strict=True):
                if isinstance(result, ContractReverted):
                    raise self._decoder(result.data) from result
                if isinstance(result, Exception):
                    raise result
                gases[i] = int(result, 16) * 6 // 5
        return gases

    def _broadcast(self, items: Sequence[_Pending], *, first_time: bool) -> None:
        for chunk_start in range(0, len(items), _BATCH):
            chunk = items[chunk_start : chunk_start + _BATCH]
            try:
                results = self._rpc.batch(
                    [("eth_sendRawTransaction", [p.raw]) for p in chunk], raise_errors=False
                )
            except ChainError:
                self.resync_nonce()
                raise
            # On a rebroadcast, errors are not fatal: the receipt poll decides.
            for result in results:
                if (
                    first_time
                    and isinstance(result, ChainError)
                    and not _is_benign_send_error(result)
                ):
                    self.resync_nonce()
                    raise result

    def _pipeline(
        self,
        pending: list[_Pending],
        progress: Callable[[int, int], None] | None,
        timeout: float,
    ) -> list[Receipt]:
        """Broadcast in chunks while at most `max_in_flight` are unmined; collect receipts."""
        total = len(pending)
        sent = 0
        waiting: list[_Pending] = []  # broadcast, not yet mined; in nonce order
        deadline = time.monotonic() + timeout
        last_progress = time.monotonic()
        done = 0
        while sent < total or waiting:
            room = self._max_in_flight - len(waiting)
            if sent < total and room > 0:
                chunk = pending[sent : sent + min(_BATCH, room)]
                self._broadcast(chunk, first_time=True)
                waiting.extend(chunk)
                sent += len(chunk)
                last_progress = time.monotonic()
            found = self._poll_receipts(waiting)
            if found:
                waiting = waiting[found:]
                done += found
                last_progress = time.monotonic()
                if progress is not None:
                    progress(done, total)
                continue
            if sent < total and len(waiting) < self._max_in_flight:
                continue
            now = time.monotonic()
            if now > deadline:
                raise NonceGap(
                    f"{total - done} of {total} transactions from {self.address} not mined "
                    f"within {timeout:g} s (lowest nonce {waiting[0].nonce})"
                )
            if now - last_progress > self._rebroadcast_after:
                self._check_replaced(waiting[0].nonce, waiting[0].tx_hash)
                self._broadcast(waiting, first_time=False)
                self._fill_gap_below(waiting[0].nonce)
                last_progress = now
            time.sleep(self._poll)
        return [p.receipt for p in pending if p.receipt is not None]

    def _poll_receipts(self, waiting: list[_Pending]) -> int:
        """Fetch receipts in nonce order; return how many leading transactions are mined."""
        found = 0
        for chunk_start in range(0, len(waiting), _BATCH):
            chunk = waiting[chunk_start : chunk_start + _BATCH]
            results = self._rpc.batch([("eth_getTransactionReceipt", [p.tx_hash]) for p in chunk])
            for item, raw in zip(chunk, results, strict=True):
                if raw is None:
                    return found  # nonces are mined in order: later ones cannot be ready yet
                item.receipt = _parse_receipt(raw)
                found += 1
        return found

    def _check_replaced(self, nonce: int, tx_hash: str) -> None:
        """Fail fast if `nonce`, which `tx_hash` (still unmined) holds, was mined by a
        different transaction."""
        mined = int(self._rpc.call("eth_getTransactionCount", [self.address, "latest"]), 16)
        if mined > nonce:
            raw = self._rpc.call("eth_getTransactionReceipt", [tx_hash])
            if raw is None:
                self.resync_nonce()
                raise NonceGap(f"nonce {nonce} of {self.address} was used by another transaction")
