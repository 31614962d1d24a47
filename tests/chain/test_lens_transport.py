"""The lens transport (`ledger.chain.lens`, `ledger.chain.lens_pipe`): many checks in one
JSON-RPC batch, request bodies kept under the node's limit, the hand decoder against eth_abi,
and the pipelined connection."""

from __future__ import annotations

import pytest
from chain_helpers import CAPACITY, LIST_ID, World, random32
from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address

from ledger.chain import lens
from ledger.chain.lens import CheckRequest, CredentialCheck, check_calldata, decode_check
from ledger.chain.lens_pipe import LensPipe
from ledger.chain.records import AgencyStatus


def _request(world: World, digest: bytes, index: int) -> CheckRequest:
    return CheckRequest(digest, world.kid, LIST_ID, index)


def _anchored(world: World) -> bytes:
    digest = random32()
    world.issuer.anchor(digest, world.type_id)
    return digest


def test_many_checks_span_several_lens_calls_in_one_batch(world: World) -> None:
    digest = _anchored(world)
    requests = [
        _request(world, digest if i % 3 == 0 else random32(), i % CAPACITY)
        for i in range(lens.BATCH_CHUNK + 7)
    ]
    answers = world.reader.lens.check_many(requests)
    assert [a.anchored for a in answers] == [i % 3 == 0 for i in range(len(requests))]
    assert answers[0].status_known and answers[0].issuer == world.issuer.address


def test_checks_too_large_for_one_request_body_are_split_into_batches(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = _anchored(world)
    requests = [_request(world, digest if i % 2 else random32(), i) for i in range(30)]
    chain = world.reader
    batches: list[int] = []
    real_batch = chain.rpc.batch

    def counting_batch(calls: list[tuple[str, list[object]]], **kwargs: bool) -> list[object]:
        batches.append(len(calls))
        return real_batch(calls, **kwargs)

    monkeypatch.setattr(chain.rpc, "batch", counting_batch)
    monkeypatch.setattr(lens, "BATCH_CHUNK", 4)
    monkeypatch.setattr(lens, "MAX_BATCH_BYTES", 3000)
    answers = chain.lens.check_many(requests)
    assert [a.anchored for a in answers] == [i % 2 == 1 for i in range(30)]
    assert sum(batches) == 8 and len(batches) > 1


def test_check_decoder_agrees_with_the_generic_abi_decoder(world: World) -> None:
    chain = world.reader
    request = _request(world, _anchored(world), 5)
    raw = chain.rpc.eth_call(chain.lens.address, check_calldata(request))
    # ILedgerLens.CredentialCheck, decoded word by word by eth_abi.
    types = ["bool", "address", "uint32", "uint64", "uint32", "bool", "bool", "address"]
    types += ["uint64", "bool", "uint8", "uint8", "bool", "uint64", "uint64"]
    values = list(abi_decode(types, raw))
    for i in (1, 7):
        values[i] = None if int(values[i], 16) == 0 else to_checksum_address(values[i])
    values[11] = AgencyStatus(values[11])
    assert decode_check(raw) == CredentialCheck(*values)
    assert decode_check(raw).anchored and decode_check(raw).issuer == world.issuer.address


def test_lens_pipe_answers_and_recovers_from_a_dropped_connection(world: World) -> None:
    chain = world.reader
    request = _request(world, _anchored(world), 5)
    pipe = LensPipe(chain.lens)
    try:
        assert pipe.send(request)
        first = pipe.receive()
        assert first is not None and first.anchored and first.issuer == world.issuer.address
        assert pipe.send(request)
        assert pipe.send(request)  # the unread answer is drained first
        assert pipe.receive() == first
        assert pipe.receive() is None  # nothing pending
        assert pipe._sock is not None
        pipe._sock.close()  # the connection is gone: send reconnects
        assert pipe.send(request)
        assert pipe.receive() == first
    finally:
        pipe.close()
