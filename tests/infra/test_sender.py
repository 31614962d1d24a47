from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

from ledger.chain.abi import ContractAbi
from ledger.chain.rpc import Rpc
from ledger.chain.sender import Receipt, SignedTx, TxRequest, TxSender
from ledger.errors import (
    ContractRevert,
    InputError,
    NonceGap,
    RevertedWithPanic,
    RevertedWithReason,
    TransactionFailed,
    TransactionTimeout,
)

from ._evm import ECHO_REVERT_RUNTIME, init_code

Factory = Callable[..., LocalAccount]


def _error_string(reason: str) -> bytes:
    return keccak(b"Error(string)")[:4] + encode(["string"], [reason])


def _panic(code: int) -> bytes:
    return keccak(b"Panic(uint256)")[:4] + encode(["uint256"], [code])


@pytest.fixture(scope="module")
def echo_revert(rpc: Rpc, dev_accounts: list[LocalAccount]) -> str:
    receipt = TxSender(rpc, dev_accounts[8]).transact(
        None, init_code(ECHO_REVERT_RUNTIME), gas=200_000
    )
    assert receipt.contract_address is not None
    return receipt.contract_address


def test_transfer_is_mined_with_a_complete_receipt(rpc: Rpc, fresh_account: Factory) -> None:
    sender = TxSender(rpc, fresh_account())
    target = fresh_account(0).address
    receipt = sender.transact(target, b"", value=1234)
    assert receipt.ok and receipt.gas_used == 21_000
    assert receipt.block_number == rpc.block_number()
    assert receipt.effective_gas_price > 0
    assert rpc.get_balance(target) == 1234


def test_deployment_receipt_names_the_contract(rpc: Rpc, fresh_account: Factory) -> None:
    receipt = TxSender(rpc, fresh_account()).transact(None, init_code(ECHO_REVERT_RUNTIME))
    assert receipt.contract_address is not None
    assert rpc.get_code(receipt.contract_address) == ECHO_REVERT_RUNTIME


def test_legacy_gas_price_transactions_are_accepted(rpc: Rpc, fresh_account: Factory) -> None:
    price = 3 * 10**9
    receipt = TxSender(rpc, fresh_account(), gas_price=price).transact(
        fresh_account(0).address, b"", gas=21_000, value=1
    )
    assert receipt.ok and receipt.effective_gas_price == price


def test_nonce_is_counted_locally(rpc: Rpc, fresh_account: Factory) -> None:
    sender = TxSender(rpc, fresh_account())
    assert sender.next_nonce() == 0
    sender.transact(fresh_account(0).address, b"", gas=21_000)
    sender.transact(fresh_account(0).address, b"", gas=21_000)
    assert sender.next_nonce() == 2


def test_send_recovers_from_a_stale_local_nonce(rpc: Rpc, fresh_account: Factory) -> None:
    account = fresh_account()
    stale, other = TxSender(rpc, account), TxSender(rpc, account)
    stale.next_nonce()
    other.transact(fresh_account(0).address, b"", gas=21_000)
    receipt = stale.transact(fresh_account(0).address, b"", gas=21_000)
    assert receipt.ok
    assert stale.next_nonce() == 2


def test_wait_times_out_for_an_unknown_transaction(rpc: Rpc, fresh_account: Factory) -> None:
    sender = TxSender(rpc, fresh_account())
    with pytest.raises(TransactionTimeout):
        sender.wait("0x" + "11" * 32, timeout=0.05)


def test_estimate_revert_raises_the_decoded_reason(
    rpc: Rpc, fresh_account: Factory, echo_revert: str
) -> None:
    sender = TxSender(rpc, fresh_account())
    with pytest.raises(RevertedWithReason) as caught:
        sender.send(echo_revert, _error_string("agency suspended"))
    assert caught.value.reason == "agency suspended"
    assert sender.next_nonce() == 0  # nothing was sent


def test_mined_failure_is_replayed_to_recover_the_panic(
    rpc: Rpc, fresh_account: Factory, echo_revert: str
) -> None:
    sender = TxSender(rpc, fresh_account())
    tx_hash = sender.send(echo_revert, _panic(0x11), gas=100_000)
    with pytest.raises(RevertedWithPanic) as caught:
        sender.wait(tx_hash)
    assert caught.value.code == 0x11
    raw = rpc.call("eth_getTransactionReceipt", [tx_hash])
    assert raw["status"] == "0x0"


def test_mined_failure_uses_the_custom_error_decoder(
    rpc: Rpc, fresh_account: Factory, echo_revert: str
) -> None:
    abi = ContractAbi(
        [{"type": "error", "name": "Halted", "inputs": [{"name": "listId", "type": "uint32"}]}]
    )
    sender = TxSender(rpc, fresh_account(), decoder=abi.decode_revert)
    data = keccak(b"Halted(uint32)")[:4] + encode(["uint32"], [12])
    with pytest.raises(ContractRevert) as caught:
        sender.transact(echo_revert, data, gas=100_000)
    assert caught.value.error_name == "Halted" and caught.value.values == {"listId": 12}


def test_out_of_gas_is_reported_as_transaction_failed(
    rpc: Rpc, fresh_account: Factory, echo_revert: str
) -> None:
    sender = TxSender(rpc, fresh_account())
    with pytest.raises(TransactionFailed):
        sender.transact(echo_revert, b"", gas=21_001)  # enough to enter, not for calldata
    with pytest.raises(TransactionFailed):
        sender.transact(
            None, init_code(ECHO_REVERT_RUNTIME), gas=54_000
        )  # intrinsic gas ~53.4k, code deposit needs more


def _transfers(count: int, to: str, gas: int | None = 21_000) -> list[TxRequest]:
    return [TxRequest(to=to, data=b"", gas=gas, value=i + 1) for i in range(count)]


def _send_many_in_background(
    sender: TxSender, txs: list[TxRequest], timeout: float
) -> tuple[threading.Thread, dict[str, Any]]:
    """`send_many` on a thread (not yet started); its receipts or error land in the dict."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["receipts"] = sender.send_many(txs, timeout=timeout)
        except BaseException as exc:  # reported to the main thread
            outcome["error"] = exc

    return threading.Thread(target=run), outcome


@contextlib.contextmanager
def _automine_off(rpc: Rpc) -> Iterator[None]:
    """Blocks are mined only by `evm_mine` inside; automine is back on however it is left."""
    rpc.call("evm_setAutomine", [False])
    try:
        yield
    finally:
        rpc.call("evm_setAutomine", [True])


def test_send_many_mines_500_pipelined_transfers(rpc: Rpc, fresh_account: Factory) -> None:
    sender = TxSender(rpc, fresh_account())
    target = fresh_account(0).address
    seen: list[tuple[int, int]] = []
    receipts = sender.send_many(
        _transfers(500, target), progress=lambda done, total: seen.append((done, total))
    )
    assert len(receipts) == 500 and all(r.ok for r in receipts)
    assert rpc.get_balance(target) == sum(range(1, 501))
    assert sender.next_nonce() == 500
    assert seen[-1] == (500, 500)
    assert [r.block_number for r in receipts] == sorted(r.block_number for r in receipts)


def test_send_many_estimates_missing_gas(rpc: Rpc, fresh_account: Factory) -> None:
    sender = TxSender(rpc, fresh_account())
    receipts = sender.send_many(_transfers(3, fresh_account(0).address, gas=None))
    assert [r.gas_used for r in receipts] == [21_000] * 3


def test_send_many_continues_after_single_sends(rpc: Rpc, fresh_account: Factory) -> None:
    sender = TxSender(rpc, fresh_account())
    sender.transact(fresh_account(0).address, b"", gas=21_000)
    assert len(sender.send_many(_transfers(5, fresh_account(0).address))) == 5
    sender.transact(fresh_account(0).address, b"", gas=21_000)
    assert sender.next_nonce() == 7


def test_send_many_raises_the_first_failure_after_mining_all(
    rpc: Rpc, fresh_account: Factory, echo_revert: str
) -> None:
    sender = TxSender(rpc, fresh_account())
    target = fresh_account(0).address
    txs = [
        TxRequest(target, gas=21_000, value=1),
        TxRequest(echo_revert, _error_string("second fails"), gas=100_000),
        TxRequest(target, gas=21_000, value=1),
    ]
    with pytest.raises(RevertedWithReason, match="second fails"):
        sender.send_many(txs)
    assert rpc.get_balance(target) == 2
    receipts = TxSender(rpc, fresh_account()).send_many(txs, raise_on_failure=False)
    assert [r.status for r in receipts] == [1, 0, 1]


def test_dropped_transaction_is_rebroadcast_and_the_gap_heals(
    rpc: Rpc, devnet: Any, fresh_account: Factory
) -> None:
    account = fresh_account()
    target = fresh_account(0).address
    sender = TxSender(Rpc(devnet.rpc_url), account, rebroadcast_after=0.2)
    worker, outcome = _send_many_in_background(sender, _transfers(60, target), timeout=30)
    with _automine_off(rpc):
        worker.start()
        pool = _wait_for_pool(rpc, account.address, 60)
        dropped = pool["30"]["hash"]
        assert rpc.call("anvil_dropTransaction", [dropped]) == dropped
        rpc.call("evm_mine", [])  # mines nonces 0..29; 31..59 wait behind the gap
    worker.join(30)
    assert not worker.is_alive()
    assert "error" not in outcome, outcome.get("error")
    receipts: list[Receipt] = outcome["receipts"]
    assert len(receipts) == 60 and all(r.ok for r in receipts)
    assert rpc.get_balance(target) == sum(range(1, 61))
    assert receipts[30].tx_hash == dropped


@pytest.mark.parametrize(
    ("to", "data", "fees"),
    [
        ("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", b"", {"gasPrice": 7}),
        (None, bytes(range(256)) * 3, {"gasPrice": 10**9}),
        (
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            b"\x7f",
            {"maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9},
        ),
        (None, b"\x00" * 70, {"maxFeePerGas": 0, "maxPriorityFeePerGas": 0}),
    ],
    ids=["legacy-transfer", "legacy-create", "eip1559-call", "eip1559-create-zero-fee"],
)
def test_fast_signing_is_byte_identical_to_eth_account(
    to: str | None, data: bytes, fees: dict[str, int]
) -> None:
    from eth_account import Account

    from ledger.chain.sender import _TxSigner

    account = Account.from_key(b"\x42" * 32)
    for nonce, value in [(0, 0), (1, 1), (300, 10**21)]:
        tx: dict[str, Any] = {
            "chainId": 31337,
            "nonce": nonce,
            "gas": 90_000,
            "value": value,
            "data": data,
            **fees,
        }
        if "maxFeePerGas" in fees:
            tx["type"] = 2
        if to is not None:
            tx["to"] = to
        expected = account.sign_transaction(tx)
        raw, tx_hash = _TxSigner(bytes(account.key)).sign(
            chain_id=31337, nonce=nonce, to=to, value=value, data=data, gas=90_000, fees=fees
        )
        assert raw == bytes(expected.raw_transaction)
        assert tx_hash == bytes(expected.hash)


def test_sign_without_sending_is_what_send_would_submit(
    rpc: Rpc, fresh_account: Factory
) -> None:
    from eth_account import Account

    account = fresh_account()
    sender = TxSender(rpc, account)
    target = fresh_account(0).address
    fees = {"maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9}
    signed = sender.sign(TxRequest(target, b"\x01", gas=30_000, value=9), nonce=0, fees=fees)
    expected = Account.sign_transaction(
        {"chainId": rpc.chain_id, "nonce": 0, "gas": 30_000, "value": 9, "data": b"\x01",
         "to": target, "type": 2, **fees},
        account.key,
    )
    assert signed == SignedTx(
        raw=bytes(expected.raw_transaction), tx_hash="0x" + bytes(expected.hash).hex(), nonce=0
    )
    assert rpc.get_balance(target) == 0  # nothing was sent
    rpc.call("eth_sendRawTransaction", ["0x" + signed.raw.hex()])
    assert sender.wait(signed.tx_hash).ok
    with pytest.raises(InputError):
        sender.sign(TxRequest(target), nonce=1, fees=fees)  # no gas limit
    with pytest.raises(InputError):
        sender.sign(TxRequest(target, gas=21_000), nonce=1, fees={"maxFeePerGas": 1})


def _wait_until_pool_is_empty(rpc: Rpc) -> None:
    # Anvil makes a receipt visible before it prunes the mined transaction from its pool, and
    # `evm_revert` leaves the pool alone: a revert in between leaves the pending nonce counting
    # transactions the reverted chain never saw (see the gap test below).
    deadline = time.monotonic() + 10
    while rpc.call("txpool_status", []) != {"pending": "0x0", "queued": "0x0"}:
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_sender_stays_right_after_a_chain_revert(rpc: Rpc, fresh_account: Factory) -> None:
    sender = TxSender(rpc, fresh_account())
    target = fresh_account(0).address
    snapshot = rpc.call("evm_snapshot", [])
    sender.transact(target, b"", gas=21_000, value=5)
    sender.send_many(_transfers(3, target))
    assert sender.next_nonce() == 4
    _wait_until_pool_is_empty(rpc)
    assert rpc.call("evm_revert", [snapshot]) is True
    receipt = sender.transact(target, b"", gas=21_000, value=7)
    assert receipt.ok
    assert rpc.get_balance(target) == 7
    assert sender.next_nonce() == 1


def _wait_for_pool(rpc: Rpc, address: str, count: int) -> dict[str, Any]:
    pool: dict[str, Any] = {}
    deadline = time.monotonic() + 10
    while len(pool) < count and time.monotonic() < deadline:
        pool = rpc.call("txpool_content", [])["pending"].get(address.lower(), {})
        time.sleep(0.01)
    assert len(pool) == count
    return pool


def test_nonce_taken_by_another_transaction_fails_fast(
    rpc: Rpc, devnet: Any, fresh_account: Factory
) -> None:
    account = fresh_account()
    target = fresh_account(0).address
    sender = TxSender(Rpc(devnet.rpc_url), account, rebroadcast_after=0.1)
    worker, outcome = _send_many_in_background(sender, _transfers(2, target), timeout=20)
    with _automine_off(rpc):
        worker.start()
        pool = _wait_for_pool(rpc, account.address, 2)
        for entry in pool.values():
            rpc.call("anvil_dropTransaction", [entry["hash"]])
        # Another transaction of the same account takes nonce 0 and is mined.
        TxSender(rpc, account).send(target, b"", gas=21_000, value=100)
        rpc.call("evm_mine", [])
    worker.join(20)
    assert not worker.is_alive()
    assert isinstance(outcome.get("error"), NonceGap)
    assert "nonce 0" in str(outcome["error"])


def test_send_many_keeps_at_most_max_in_flight_unmined(
    rpc: Rpc, devnet: Any, fresh_account: Factory
) -> None:
    account = fresh_account()
    target = fresh_account(0).address
    sender = TxSender(Rpc(devnet.rpc_url), account, max_in_flight=10)
    worker, outcome = _send_many_in_background(sender, _transfers(35, target), timeout=20)
    largest_pool = 0
    with _automine_off(rpc):
        worker.start()
        deadline = time.monotonic() + 20
        while worker.is_alive() and time.monotonic() < deadline:
            pool = rpc.call("txpool_content", [])["pending"].get(account.address.lower(), {})
            largest_pool = max(largest_pool, len(pool))
            if pool:
                time.sleep(0.02)  # let the rest of a broadcast chunk arrive
                rpc.call("evm_mine", [])
            time.sleep(0.005)
    worker.join(20)
    assert "error" not in outcome, outcome.get("error")
    assert len(outcome["receipts"]) == 35
    assert 0 < largest_pool <= 10
    assert rpc.get_balance(target) == sum(range(1, 36))


def test_transaction_behind_a_nonce_gap_nobody_fills_is_still_mined(
    rpc: Rpc, fresh_account: Factory
) -> None:
    # Another sender's nonce-0 transaction is pooled, so this sender signs nonce 1; then the
    # pool loses nonce 0. Without gap recovery nonce 1 would wait forever.
    account = fresh_account()
    target = fresh_account(0).address
    sender = TxSender(rpc, account, rebroadcast_after=0.1)
    with _automine_off(rpc):
        lost = TxSender(rpc, account).send(target, b"", gas=21_000, value=1)
        tx_hash = sender.send(target, b"", gas=21_000, value=2)
        assert rpc.call("anvil_dropTransaction", [lost]) == lost
    rpc.call("evm_mine", [])  # automine only reacts to new transactions
    receipt = sender.wait(tx_hash, timeout=20)
    assert receipt.ok and receipt.tx_hash == tx_hash  # mined as signed, not re-signed
    assert rpc.get_balance(target) == 2  # the lost transfer stayed lost
    assert int(rpc.call("eth_getTransactionCount", [account.address, "latest"]), 16) == 2


def test_send_many_behind_a_nonce_gap_nobody_fills_is_still_mined(
    rpc: Rpc, devnet: Any, fresh_account: Factory
) -> None:
    account = fresh_account()
    target = fresh_account(0).address
    sender = TxSender(Rpc(devnet.rpc_url), account, rebroadcast_after=0.1)
    worker, outcome = _send_many_in_background(sender, _transfers(3, target), timeout=20)
    with _automine_off(rpc):
        lost = TxSender(rpc, account).send(target, b"", gas=21_000, value=100)
        worker.start()  # signs nonces 1..3: the pending count includes nonce 0
        _wait_for_pool(rpc, account.address, 4)
        assert rpc.call("anvil_dropTransaction", [lost]) == lost
    rpc.call("evm_mine", [])
    worker.join(20)
    assert not worker.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert [r.ok for r in outcome["receipts"]] == [True] * 3
    assert rpc.get_balance(target) == 1 + 2 + 3
