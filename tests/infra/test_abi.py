from __future__ import annotations

import pickle
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

from ledger import errors
from ledger.chain.abi import ContractAbi, combined_error_decoder, load_artifact
from ledger.chain.rpc import Rpc
from ledger.chain.sender import TxSender
from ledger.errors import (
    AbiError,
    ArtifactMissing,
    ConfigError,
    ContractRevert,
    RevertedWithPanic,
    RevertedWithReason,
)

from ._evm import LOG2_RUNTIME, init_code

OWNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

ABI: list[dict[str, Any]] = [
    {
        "type": "constructor",
        "inputs": [{"name": "owner", "type": "address"}, {"name": "limit", "type": "uint64"}],
    },
    {
        "type": "function",
        "name": "transfer",
        "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}],
    },
    {
        "type": "function",
        "name": "record",
        "inputs": [{"name": "id", "type": "uint32"}],
        "outputs": [
            {
                "name": "rec",
                "type": "tuple",
                "components": [
                    {"name": "owner", "type": "address"},
                    {"name": "tags", "type": "bytes32[]"},
                ],
            },
            {"name": "others", "type": "address[]"},
        ],
    },
    {"type": "function", "name": "ping", "inputs": [], "outputs": []},
    {"type": "function", "name": "ping", "inputs": [{"name": "x", "type": "uint8"}]},
    {
        "type": "error",
        "name": "DemoNotAllowed",
        "inputs": [
            {"name": "who", "type": "address"},
            {"name": "credentialType", "type": "uint32"},
        ],
    },
    {"type": "error", "name": "DemoUnmapped", "inputs": [{"name": "digest", "type": "bytes32"}]},
    {
        "type": "event",
        "name": "Transferred",
        "anonymous": False,
        "inputs": [
            {"name": "from", "type": "address", "indexed": True},
            {"name": "amount", "type": "uint256", "indexed": False},
            {"name": "memo", "type": "string", "indexed": False},
        ],
    },
]

OTHER_ABI: list[dict[str, Any]] = [
    {"type": "error", "name": "OtherFailed", "inputs": [{"name": "n", "type": "uint8"}]},
]


class DemoNotAllowed(ContractRevert):
    """Stands in for a class the contracts layer adds to ledger.errors."""


@pytest.fixture
def demo_error_class(monkeypatch: pytest.MonkeyPatch) -> type[ContractRevert]:
    monkeypatch.setattr(errors, "DemoNotAllowed", DemoNotAllowed, raising=False)
    return DemoNotAllowed


def _selector(signature: str) -> bytes:
    return keccak(signature.encode())[:4]


def test_selectors_match_solidity() -> None:
    abi = ContractAbi(ABI)
    assert abi.selector("transfer").hex() == "a9059cbb"
    assert abi.selector("record") == _selector("record(uint32)")


def test_call_encoding_matches_eth_abi() -> None:
    data = ContractAbi(ABI).encode_call("transfer", [OWNER, 5])
    assert data == bytes.fromhex("a9059cbb") + encode(["address", "uint256"], [OWNER, 5])


def test_overloads_resolve_by_argument_count_or_signature() -> None:
    abi = ContractAbi(ABI)
    assert abi.encode_call("ping", []) == _selector("ping()")
    assert abi.encode_call("ping", [3])[:4] == _selector("ping(uint8)")
    assert abi.encode_call("ping(uint8)", [3]) == abi.encode_call("ping", [3])


def test_bad_calls_raise_abi_errors() -> None:
    abi = ContractAbi(ABI)
    with pytest.raises(AbiError):
        abi.encode_call("nope", [])
    with pytest.raises(AbiError):
        abi.encode_call("transfer", [OWNER])
    with pytest.raises(AbiError):
        abi.encode_call("transfer", [OWNER, -1])
    with pytest.raises(AbiError):
        abi.decode_result("transfer", b"\x01")


def test_tuple_results_decode_with_checksummed_addresses() -> None:
    abi = ContractAbi(ABI)
    tags = [b"\x01" * 32, b"\x02" * 32]
    raw = encode(["(address,bytes32[])", "address[]"], [(OWNER.lower(), tags), [OWNER.lower()]])
    (rec, others) = abi.decode_result("record", raw)
    assert rec == (OWNER, tuple(tags))
    assert others == (OWNER,)


def test_constructor_arguments_are_encoded() -> None:
    abi = ContractAbi(ABI)
    assert abi.encode_constructor([OWNER, 9]) == encode(["address", "uint64"], [OWNER, 9])
    with pytest.raises(AbiError):
        abi.encode_constructor([OWNER])


def test_event_topic_is_keccak_of_signature() -> None:
    assert ContractAbi(ABI).topic("Transferred") == keccak(b"Transferred(address,uint256,string)")
    with pytest.raises(AbiError):
        ContractAbi(ABI).topic("Nope")


def test_event_emitted_on_chain_decodes(rpc: Rpc, dev_accounts: list[LocalAccount]) -> None:
    abi = ContractAbi(ABI)
    sender = TxSender(rpc, dev_accounts[6])
    emitter = sender.transact(None, init_code(LOG2_RUNTIME), gas=200_000).contract_address
    assert emitter is not None
    calldata = (
        abi.topic("Transferred")
        + bytes(12)
        + bytes.fromhex(OWNER[2:])
        + encode(["uint256", "string"], [77, "rent"])
    )
    receipt = sender.transact(emitter, calldata, gas=100_000)
    (log,) = receipt.logs
    event = abi.decode_event(log)
    assert event.name == "Transferred"
    assert event.args == {"from": OWNER, "amount": 77, "memo": "rent"}
    assert event.address == emitter


def test_foreign_log_is_rejected() -> None:
    with pytest.raises(AbiError):
        ContractAbi(ABI).decode_event({"topics": ["0x" + "00" * 32], "data": "0x"})


def test_custom_error_decodes_into_the_ledger_error_of_the_same_name(
    demo_error_class: type[ContractRevert],
) -> None:
    data = _selector("DemoNotAllowed(address,uint32)") + encode(["address", "uint32"], [OWNER, 3])
    error = ContractAbi(ABI).decode_revert(data)
    assert type(error) is demo_error_class
    assert isinstance(error, ContractRevert)
    assert error.values == {"who": OWNER, "credentialType": 3}
    assert error.who == OWNER  # type: ignore[attr-defined]
    assert error.data == data
    assert str(error) == f"DemoNotAllowed(who={OWNER}, credentialType=3)"


def test_decoded_errors_survive_pickling(demo_error_class: type[ContractRevert]) -> None:
    data = _selector("DemoNotAllowed(address,uint32)") + encode(["address", "uint32"], [OWNER, 3])
    error = ContractAbi(ABI).decode_revert(data)
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is demo_error_class and clone.values == error.values


def test_custom_error_without_a_ledger_class_falls_back_to_contract_revert() -> None:
    data = _selector("DemoUnmapped(bytes32)") + b"\xab" * 32
    error = ContractAbi(ABI).decode_revert(data)
    assert type(error) is ContractRevert
    assert error.error_name == "DemoUnmapped"
    assert str(error) == "DemoUnmapped(digest=0x" + "ab" * 32 + ")"


def test_a_decoded_error_explains_itself_in_words(demo_error_class: type[ContractRevert]) -> None:
    data = _selector("DemoNotAllowed(address,uint32)") + encode(["address", "uint32"], [OWNER, 3])
    error = ContractAbi(ABI).decode_revert(data)
    summary = " ".join((demo_error_class.__doc__ or "").split()).rstrip(".")
    assert summary
    assert error.explained() == f"{summary}: DemoNotAllowed(who={OWNER}, credentialType=3)"
    unmapped = ContractAbi(ABI).decode_revert(_selector("DemoUnmapped(bytes32)") + bytes(32))
    assert unmapped.explained() == str(unmapped)  # no class, no words to add


def test_unknown_selector_keeps_the_raw_data() -> None:
    error = ContractAbi(ABI).decode_revert(bytes.fromhex("12345678") + bytes(32))
    assert type(error) is ContractRevert
    assert error.error_name == "UnknownError_0x12345678"
    assert error.data == bytes.fromhex("12345678") + bytes(32)


def test_error_string_and_panic_decode() -> None:
    abi = ContractAbi(ABI)
    reason = abi.decode_revert(_selector("Error(string)") + encode(["string"], ["nope"]))
    assert isinstance(reason, RevertedWithReason) and reason.reason == "nope"
    panic = abi.decode_revert(_selector("Panic(uint256)") + encode(["uint256"], [0x11]))
    assert isinstance(panic, RevertedWithPanic) and panic.code == 0x11
    assert "overflow" in str(panic)


def test_combined_decoder_knows_errors_of_every_abi(
    demo_error_class: type[ContractRevert],
) -> None:
    decoder = combined_error_decoder([ContractAbi(ABI), ContractAbi(OTHER_ABI)])
    other = decoder(_selector("OtherFailed(uint8)") + encode(["uint8"], [4]))
    assert isinstance(other, ContractRevert) and other.values == {"n": 4}
    demo = decoder(
        _selector("DemoNotAllowed(address,uint32)") + encode(["address", "uint32"], [OWNER, 1])
    )
    assert type(demo) is demo_error_class


def test_missing_artifact_tells_how_to_build_it() -> None:
    with pytest.raises(ArtifactMissing) as caught:
        load_artifact("NoSuchContractAnywhere")
    assert isinstance(caught.value, ConfigError)
    assert "scripts/compile" in str(caught.value)
