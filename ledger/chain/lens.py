"""The LedgerLens: everything a verifier needs about a credential, in one `eth_call`.

The one home of the on-chain credential check (the verifier's hot path and the wallet's
import check): the request and answer types (`CheckRequest`, `CredentialCheck`), their wire
form (`check_calldata` / `check_many_calldata`, encoded by hand with prebuilt selectors;
`decode_check`, a fixed-size answer decoded by ABI name through a layout computed once from
the ABI), and `Lens.check_one` / `Lens.check_many`. The pipelined transport that overlaps
the round trip with local work is `ledger.chain.lens_pipe.LensPipe`.
What a verifier expects of the answer, and how it judges it, is policy:
`ledger.agency.chain_checks`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from ledger.chain.core import ChainCore, ContractClient
from ledger.chain.deploy import contract_abi
from ledger.chain.named import camel, output_params
from ledger.chain.records import ZERO32, AgencyStatus, checksum
from ledger.errors import AbiError, ChainError

__all__ = [
    "BATCH_CHUNK",
    "LENS_CHECK_WORDS",
    "MAX_BATCH_BYTES",
    "CheckRequest",
    "CredentialCheck",
    "Lens",
    "check_calldata",
    "check_many_calldata",
    "decode_check",
    "decode_check_many",
]

#: Requests per `checkCredentials` eth_call (each check costs ~50k gas of the 30M call cap).
BATCH_CHUNK = 200
#: Request body size above which `Lens.check_many` starts another JSON-RPC batch.
MAX_BATCH_BYTES = 1_000_000


@dataclass(frozen=True)
class CheckRequest:
    """One credential for the LedgerLens (root = ZERO32 and no proof for single anchors;
    verifier None skips the verifier check)."""

    digest: bytes
    kid: bytes
    list_id: int
    status_index: int
    root: bytes = ZERO32
    proof: tuple[bytes, ...] = ()
    verifier: str | None = None
    purpose_digest: bytes = ZERO32
    claim_mask: int = 0


@dataclass(frozen=True)
class CredentialCheck:
    """LedgerLens answer (see ILedgerLens.CredentialCheck; fields by its member names)."""

    anchored: bool
    issuer: str | None
    type_id: int
    anchored_at: int
    batch_count: int
    issuer_accredited_at_anchor: bool
    key_valid_at_anchor: bool
    key_agency: str | None
    key_revoked_at: int
    status_known: bool
    status: int
    issuer_agency_status: AgencyStatus
    verifier_authorized: bool
    block_number: int
    block_timestamp: int


# ILedgerLens.CredentialCheck is 15 static words.
LENS_CHECK_WORDS = 15


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _addr_word(address: str | None) -> bytes:
    return bytes(12) + (bytes.fromhex(address[2:]) if address else bytes(20))


def _uint(word: bytes) -> int:
    return int.from_bytes(word, "big")


def _bool(word: bytes) -> bool:
    return any(word)


def _address(word: bytes) -> str | None:
    return checksum(word[12:])


def _agency_status(word: bytes) -> AgencyStatus:
    return AgencyStatus(int.from_bytes(word, "big"))


_Layout = tuple[tuple[int, int, Callable[[bytes], Any]], ...]


@lru_cache(maxsize=1)
def _layout() -> _Layout:
    """(start, end, word decoder) of each word of `CredentialCheck`: the dataclass's fields must
    be the ABI struct's members by name and in order (`AbiError` otherwise), so the decoded
    words can be passed positionally."""
    (struct,) = output_params(contract_abi("LedgerLens"), "checkCredential")
    by_name = {str(c["name"]): str(c["type"]) for c in struct["components"]}
    names = [f.name for f in fields(CredentialCheck)]
    if [camel(n) for n in names] != list(by_name) or len(names) != LENS_CHECK_WORDS:
        raise AbiError(f"CredentialCheck {names} does not match ILedgerLens {list(by_name)}")
    layout: list[tuple[int, int, Callable[[bytes], Any]]] = []
    for i, name in enumerate(names):
        kind = by_name[camel(name)]
        word: Callable[[bytes], Any]
        if name == "issuer_agency_status":
            word = _agency_status
        elif kind == "address":
            word = _address
        elif kind == "bool":
            word = _bool
        elif kind.startswith("uint"):
            word = _uint
        else:
            raise AbiError(f"ILedgerLens.CredentialCheck.{camel(name)}: unexpected type {kind}")
        layout.append((32 * i, 32 * i + 32, word))
    return tuple(layout)


def decode_check(data: bytes, offset: int = 0) -> CredentialCheck:
    """Decode one ABI-encoded CredentialCheck (15 static words) starting at `offset`.

    Address checksums are cached (`records.checksum`): the verifier decodes one per credential.
    """
    return CredentialCheck(*[word(data[offset + a : offset + b]) for a, b, word in _layout()])


def decode_check_many(raw: bytes, expected: int) -> list[CredentialCheck]:
    """Decode a `checkCredentials` answer (an offset word, the length, 15 words per item),
    which must hold `expected` answers (`ChainError` otherwise)."""
    count = int.from_bytes(raw[32:64], "big")
    if count != expected:
        raise ChainError(f"lens answered {count} checks for {expected} requests")
    return [decode_check(raw, 64 + i * 32 * LENS_CHECK_WORDS) for i in range(count)]


@lru_cache(maxsize=1)
def _selectors() -> tuple[bytes, bytes]:
    abi = contract_abi("LedgerLens")
    return abi.selector("checkCredential"), abi.selector("checkCredentials")


def check_calldata(request: CheckRequest) -> bytes:
    """Calldata of `LedgerLens.checkCredential(request)`, encoded by hand."""
    proof = request.proof
    head = b"".join(
        (
            _selectors()[0],
            request.digest,
            request.root,
            _word(9 * 32),
            request.kid,
            _word(request.list_id),
            _word(request.status_index),
            _addr_word(request.verifier),
            request.purpose_digest,
            _word(request.claim_mask),
            _word(len(proof)),
        )
    )
    return head + b"".join(proof)


def check_many_calldata(requests: Sequence[CheckRequest]) -> bytes:
    """Calldata of `LedgerLens.checkCredentials(requests)`, encoded by hand: each struct's
    encoding is `checkCredential`'s argument encoding (the same tuple)."""
    bodies = [check_calldata(r)[4:] for r in requests]
    offsets = []
    position = 32 * len(bodies)
    for body in bodies:
        offsets.append(_word(position))
        position += len(body)
    return b"".join((_selectors()[1], _word(32), _word(len(bodies)), *offsets, *bodies))


class Lens(ContractClient):
    """The LedgerLens contract: `check_one` and `check_many`, prebuilt calldata, no ABI
    machinery per call. Attached as `LedgerChain.lens`."""

    CONTRACT = "LedgerLens"

    def __init__(self, core: ChainCore) -> None:
        super().__init__(core)
        self._to = core.deployment.address(self.CONTRACT)

    @property
    def url(self) -> str:
        """The JSON-RPC endpoint the lens is asked through."""
        return self._core.rpc.url

    @property
    def timeout(self) -> float:
        """Seconds to wait for a node's answer (the `Rpc`'s)."""
        return self._core.rpc.timeout

    def check_one(self, request: CheckRequest, *, block: str | int = "latest") -> CredentialCheck:
        """Everything a verifier needs about one credential, in exactly one eth_call."""
        return decode_check(self._core.rpc.eth_call(self._to, check_calldata(request), block=block))

    def check_many(
        self, requests: Sequence[CheckRequest], *, block: str | int = "latest"
    ) -> list[CredentialCheck]:
        """The answers for many requests, in order: `checkCredentials` eth_calls of up to
        `BATCH_CHUNK` requests each, all in ONE JSON-RPC batch — or, past `MAX_BATCH_BYTES` of
        request body (nodes refuse large bodies: anvil at 2 MiB, ~3,000 presentations), in as
        few batches as fit. Pass a block number to read every answer at the same block."""
        if not requests:
            return []
        tag = hex(block) if isinstance(block, int) else block
        chunks = [requests[i : i + BATCH_CHUNK] for i in range(0, len(requests), BATCH_CHUNK)]
        batches: list[list[tuple[str, list[Any]]]] = [[]]
        size = 0
        for chunk in chunks:
            data = "0x" + check_many_calldata(chunk).hex()
            if batches[-1] and size + len(data) > MAX_BATCH_BYTES:
                batches.append([])
                size = 0
            batches[-1].append(("eth_call", [{"to": self._to, "data": data}, tag]))
            size += len(data) + 100
        results = [result for batch in batches for result in self._core.rpc.batch(batch)]
        out: list[CredentialCheck] = []
        for chunk, result in zip(chunks, results, strict=True):
            out.extend(decode_check_many(bytes.fromhex(str(result)[2:]), len(chunk)))
        return out
