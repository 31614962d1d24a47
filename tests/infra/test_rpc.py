from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount

from ledger.chain.devnet import Devnet, free_port
from ledger.chain.rpc import Rpc
from ledger.chain.sender import Receipt, TxSender
from ledger.errors import ContractReverted, RpcError, RpcUnavailable

from ._evm import ECHO_REVERT_RUNTIME, init_code


@pytest.fixture(scope="module")
def echo_deploy(rpc: Rpc, dev_accounts: list[LocalAccount]) -> Receipt:
    sender = TxSender(rpc, dev_accounts[7])
    return sender.transact(None, init_code(ECHO_REVERT_RUNTIME), gas=200_000)


@pytest.fixture(scope="module")
def echo_revert(echo_deploy: Receipt) -> str:
    assert echo_deploy.contract_address is not None
    return echo_deploy.contract_address


def test_chain_id_is_fetched_once_and_cached() -> None:
    with Devnet(chain_id=4242) as net:
        client = Rpc(net.rpc_url)
        assert client.chain_id == 4242
        net.stop()
        assert client.chain_id == 4242  # no round trip: the node is gone
        with pytest.raises(RpcUnavailable):
            client.block_number()


def test_unreachable_endpoint_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RpcUnavailable) as caught:
        Rpc(url, timeout=2).call("eth_chainId", [])
    assert url in str(caught.value)
    assert caught.value.reason.startswith("nothing is listening there;")


def test_a_host_that_does_not_resolve_is_said_so() -> None:
    with pytest.raises(RpcUnavailable) as caught:
        Rpc("http://no-such-host.invalid:8545", timeout=2).call("eth_chainId", [])
    assert caught.value.reason.startswith("the host name does not resolve")


def test_unsupported_url_scheme_is_rejected() -> None:
    with pytest.raises(RpcUnavailable):
        Rpc("ws://127.0.0.1:8545")


def test_batch_returns_results_in_request_order(rpc: Rpc) -> None:
    rpc.call("evm_mine", [])
    results = rpc.batch(
        [
            ("eth_chainId", []),
            ("eth_blockNumber", []),
            ("eth_getBalance", ["0x00000000000000000000000000000000001e55e7", "latest"]),
            ("eth_chainId", []),
        ]
    )
    assert results[0] == results[3] == hex(31337)
    assert int(results[1], 16) == rpc.block_number()
    assert results[2] == "0x0"


def test_batch_item_errors_raise_by_default(rpc: Rpc) -> None:
    with pytest.raises(RpcError) as caught:
        rpc.batch([("eth_chainId", []), ("no_such_method", [])])
    assert caught.value.code == -32601


def test_batch_item_errors_can_be_returned_in_place(rpc: Rpc) -> None:
    results = rpc.batch([("no_such_method", []), ("eth_chainId", [])], raise_errors=False)
    assert isinstance(results[0], RpcError)
    assert results[1] == hex(31337)


def test_empty_batch_sends_nothing(rpc: Rpc) -> None:
    assert rpc.batch([]) == []


def test_unknown_method_raises_rpc_error_with_code(rpc: Rpc) -> None:
    with pytest.raises(RpcError) as caught:
        rpc.call("no_such_method", [])
    assert caught.value.code == -32601


def test_eth_call_returns_raw_data_and_reverts_carry_revert_data(
    rpc: Rpc, echo_revert: str
) -> None:
    assert rpc.eth_call(echo_revert, b"") == b""
    payload = bytes.fromhex("deadbeef") + bytes(32)
    with pytest.raises(ContractReverted) as caught:
        rpc.eth_call(echo_revert, payload)
    assert caught.value.data == payload


def test_calls_at_a_recent_past_block_see_the_old_state(
    rpc: Rpc, echo_revert: str, echo_deploy: Receipt
) -> None:
    before = echo_deploy.block_number - 1
    assert rpc.get_code(echo_revert) == ECHO_REVERT_RUNTIME
    assert rpc.get_code(echo_revert, block=before) == b""
    # No code there yet, so the call that reverts now succeeded then.
    assert rpc.eth_call(echo_revert, b"\x01", block=before) == b""


def test_connection_is_reused_and_recovers_after_close(rpc: Rpc) -> None:
    first = rpc.block_number()
    rpc.close()
    assert rpc.block_number() >= first


def test_web3_convenience_uses_the_same_endpoint(rpc: Rpc) -> None:
    w3 = rpc.web3()
    assert w3.eth.chain_id == rpc.chain_id
    assert w3.eth.block_number == rpc.block_number()


def test_web3_for_proof_of_authority_networks_reads_blocks(rpc: Rpc) -> None:
    w3 = rpc.web3(poa=True)
    assert "proof_of_authority" in w3.middleware_onion
    assert "proof_of_authority" not in rpc.web3().middleware_onion
    assert w3.eth.get_block("latest")["number"] == rpc.block_number()
