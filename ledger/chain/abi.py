"""Contract ABI machinery, generic over compiled artifacts.

- `load_artifact(name)` reads `ledger/chain/artifacts/<name>.json` (written by scripts/compile).
- `ContractAbi` precomputes selectors and topics and encodes calls / decodes results, events
  and reverts with eth-abi.
- Custom errors decode into the class of `ledger.errors` with the same name as the Solidity
  error (each a `ContractRevert` subclass, generated into `ledger.errors.contracts` by
  scripts/compile for every error of the artifacts), falling back to `ContractRevert` itself.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from eth_abi.abi import decode as _abi_decode
from eth_abi.abi import encode as _abi_encode
from eth_abi.exceptions import DecodingError, EncodingError
from eth_utils.address import to_checksum_address

from ledger import errors as _errors
from ledger._keccak import keccak256
from ledger.errors import (
    AbiError,
    ArtifactMissing,
    ChainError,
    ContractRevert,
    RevertedWithPanic,
    RevertedWithReason,
)

__all__ = [
    "Artifact",
    "ContractAbi",
    "DecodedEvent",
    "ErrorDecoder",
    "combined_error_decoder",
    "load_artifact",
]

_ERROR_STRING = bytes.fromhex("08c379a0")
_PANIC = bytes.fromhex("4e487b71")

PANIC_REASONS = {
    0x00: "generic compiler panic",
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "bad storage byte array encoding",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to a zero-initialised function pointer",
}


@dataclass(frozen=True)
class Artifact:
    """A compiled contract as committed under ledger/chain/artifacts/."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes
    compiler_version: str
    settings: dict[str, Any]
    source_digest: str


def _hex(value: Any) -> bytes:
    text = str(value or "")
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


@functools.cache
def load_artifact(name: str) -> Artifact:
    """Load the artifact of contract `name`; `ArtifactMissing` if it was never compiled."""
    resource = resources.files("ledger.chain").joinpath("artifacts", f"{name}.json")
    try:
        raw = json.loads(resource.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactMissing(
            f"no compiled artifact for {name}: run `python3 scripts/compile` to build "
            "ledger/chain/artifacts/"
        ) from exc
    except ValueError as exc:
        raise ArtifactMissing(f"artifact {name}.json is not valid JSON: {exc}") from exc
    try:
        compiler = raw.get("compiler", {})
        return Artifact(
            name=str(raw.get("contractName", name)),
            abi=list(raw["abi"]),
            bytecode=_hex(raw["bytecode"]),
            deployed_bytecode=_hex(raw.get("deployedBytecode")),
            compiler_version=str(compiler.get("version", "")),
            settings=dict(compiler.get("settings", {})),
            source_digest=str(raw.get("sourceDigest", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactMissing(f"artifact {name}.json is malformed: {exc}") from exc


def _canonical_type(param: Mapping[str, Any]) -> str:
    """ABI type string of a parameter, expanding tuples: `(address,uint256)[]`."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _types(params: Sequence[Mapping[str, Any]]) -> list[str]:
    return [_canonical_type(p) for p in params]


def _signature(entry: Mapping[str, Any]) -> str:
    return f"{entry['name']}({','.join(_types(entry.get('inputs', [])))})"


def _normalise(value: Any, param: Mapping[str, Any]) -> Any:
    """Checksum addresses (eth-abi returns them lowercase), recursing into arrays and tuples."""
    kind = str(param["type"])
    if kind == "address" and isinstance(value, str):
        return to_checksum_address(value)
    if kind.endswith("]") and isinstance(value, list | tuple):
        element = dict(param)
        element["type"] = kind[: kind.rindex("[")]
        return tuple(_normalise(v, element) for v in value)
    if kind == "tuple" and isinstance(value, list | tuple):
        return tuple(_normalise(v, c) for v, c in zip(value, param["components"], strict=True))
    return value


@dataclass(frozen=True)
class _Function:
    name: str
    signature: str
    selector: bytes
    input_types: tuple[str, ...]
    outputs: tuple[Mapping[str, Any], ...]
    output_types: tuple[str, ...]


@dataclass(frozen=True)
class _Error:
    name: str
    inputs: tuple[Mapping[str, Any], ...]
    input_types: tuple[str, ...]


@dataclass(frozen=True)
class _Event:
    name: str
    topic: bytes
    inputs: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class DecodedEvent:
    """A log decoded against an ABI: event name, arguments by name, and the emitting address."""

    name: str
    args: dict[str, Any]
    address: str | None = None


class ContractAbi:
    """Encoder/decoder for one contract ABI. Pure computation; safe to share between threads."""

    def __init__(self, abi: Sequence[Mapping[str, Any]]) -> None:
        self._abi = [dict(e) for e in abi]
        self._functions: dict[str, list[_Function]] = {}
        self._by_signature: dict[str, _Function] = {}
        self._errors: dict[bytes, _Error] = {}
        self._events: dict[bytes, _Event] = {}
        self._event_names: dict[str, _Event] = {}
        self._constructor_types: tuple[str, ...] = ()
        for entry in self._abi:
            kind = entry.get("type", "function")
            if kind == "function":
                sig = _signature(entry)
                outputs = tuple(entry.get("outputs", []))
                fn = _Function(
                    name=entry["name"],
                    signature=sig,
                    selector=keccak256(sig.encode())[:4],
                    input_types=tuple(_types(entry.get("inputs", []))),
                    outputs=outputs,
                    output_types=tuple(_types(outputs)),
                )
                self._functions.setdefault(fn.name, []).append(fn)
                self._by_signature[sig] = fn
            elif kind == "error":
                inputs = tuple(entry.get("inputs", []))
                self._errors[keccak256(_signature(entry).encode())[:4]] = _Error(
                    name=entry["name"], inputs=inputs, input_types=tuple(_types(inputs))
                )
            elif kind == "event" and not entry.get("anonymous", False):
                event = _Event(
                    name=entry["name"],
                    topic=keccak256(_signature(entry).encode()),
                    inputs=tuple(entry.get("inputs", [])),
                )
                self._events[event.topic] = event
                self._event_names.setdefault(event.name, event)
            elif kind == "constructor":
                self._constructor_types = tuple(_types(entry.get("inputs", [])))

    @property
    def abi(self) -> list[dict[str, Any]]:
        """The ABI entries this object was built from."""
        return self._abi

    # -- functions ----------------------------------------------------------------------------

    def _function(self, fn: str, arg_count: int | None) -> _Function:
        if "(" in fn:
            found = self._by_signature.get(fn.replace(" ", ""))
            if found is None:
                raise AbiError(f"no function {fn} in ABI")
            return found
        candidates = self._functions.get(fn)
        if not candidates:
            raise AbiError(f"no function {fn} in ABI")
        if len(candidates) == 1:
            return candidates[0]
        matching = [c for c in candidates if arg_count is None or len(c.input_types) == arg_count]
        if len(matching) != 1:
            options = ", ".join(c.signature for c in candidates)
            raise AbiError(f"ambiguous overload {fn} ({options}): pass the full signature")
        return matching[0]

    def selector(self, fn: str, arg_count: int | None = None) -> bytes:
        """4-byte selector of function `fn` (a name or a full signature `f(uint256)`)."""
        return self._function(fn, arg_count).selector

    def encode_call(self, fn: str, args: Sequence[Any]) -> bytes:
        """Calldata for `fn(*args)`; overloads are resolved by argument count."""
        function = self._function(fn, len(args))
        if len(args) != len(function.input_types):
            raise AbiError(
                f"{function.signature} takes {len(function.input_types)} arguments, got {len(args)}"
            )
        try:
            return function.selector + _abi_encode(list(function.input_types), list(args))
        except (EncodingError, TypeError, ValueError, OverflowError) as exc:
            raise AbiError(f"cannot encode arguments for {function.signature}: {exc}") from exc

    def decode_result(self, fn: str, data: bytes) -> tuple[Any, ...]:
        """Decode the return data of `fn` into a tuple (addresses checksummed)."""
        function = self._function(fn, None)
        try:
            values = _abi_decode(list(function.output_types), data)
        except (DecodingError, ValueError, OverflowError) as exc:
            raise AbiError(f"cannot decode return data of {function.signature}: {exc}") from exc
        return tuple(_normalise(v, p) for v, p in zip(values, function.outputs, strict=True))

    def encode_constructor(self, args: Sequence[Any]) -> bytes:
        """ABI-encoded constructor arguments (append to the creation bytecode)."""
        if len(args) != len(self._constructor_types):
            raise AbiError(
                f"constructor takes {len(self._constructor_types)} arguments, got {len(args)}"
            )
        try:
            return _abi_encode(list(self._constructor_types), list(args))
        except (EncodingError, TypeError, ValueError, OverflowError) as exc:
            raise AbiError(f"cannot encode constructor arguments: {exc}") from exc

    # -- events -------------------------------------------------------------------------------

    def topic(self, event_name: str) -> bytes:
        """topic0 (keccak of the signature) of event `event_name`."""
        event = self._event_names.get(event_name)
        if event is None:
            raise AbiError(f"no event {event_name} in ABI")
        return event.topic

    def has_event(self, topic0: bytes) -> bool:
        """Whether this ABI declares the event with topic `topic0`."""
        return topic0 in self._events

    def decode_event(self, log: Mapping[str, Any]) -> DecodedEvent:
        """Decode a raw log (`topics`, `data` as hex strings or bytes) against this ABI."""
        topics = [t if isinstance(t, bytes) else _hex(t) for t in log.get("topics", [])]
        if not topics or topics[0] not in self._events:
            raise AbiError("log does not match any event of this ABI")
        event = self._events[topics[0]]
        data = log.get("data", b"")
        body = data if isinstance(data, bytes) else _hex(data)
        indexed = [p for p in event.inputs if p.get("indexed")]
        plain = [p for p in event.inputs if not p.get("indexed")]
        if len(topics) - 1 != len(indexed):
            raise AbiError(f"log of {event.name} has {len(topics) - 1} indexed topics")
        try:
            plain_values = _abi_decode(_types(plain), body)
        except (DecodingError, ValueError, OverflowError) as exc:
            raise AbiError(f"cannot decode data of event {event.name}: {exc}") from exc
        args: dict[str, Any] = {}
        topic_iter = iter(topics[1:])
        plain_iter = iter(plain_values)
        for param in event.inputs:
            if param.get("indexed"):
                kind = _canonical_type(param)
                raw = next(topic_iter)
                if kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("("):
                    value: Any = raw  # dynamic indexed values are stored as their keccak
                else:
                    value = _normalise(_abi_decode([kind], raw)[0], param)
            else:
                value = _normalise(next(plain_iter), param)
            args[str(param.get("name", ""))] = value
        address = log.get("address")
        return DecodedEvent(
            name=event.name,
            args=args,
            address=to_checksum_address(address) if isinstance(address, str) else None,
        )

    # -- errors -------------------------------------------------------------------------------

    def error_entries(self) -> dict[bytes, _Error]:
        """Custom errors of this ABI by selector (for building combined decoders)."""
        return dict(self._errors)

    def decode_revert(self, data: bytes) -> ChainError:
        """Turn raw revert data into an exception instance (not raised)."""
        return _decode_revert(self._errors, data)


def _decode_revert(table: Mapping[bytes, _Error], data: bytes) -> ChainError:
    data = bytes(data)
    selector, body = data[:4], data[4:]
    try:
        if selector == _ERROR_STRING:
            (reason,) = _abi_decode(["string"], body)
            return RevertedWithReason("Error", {"reason": reason}, data=data)
        if selector == _PANIC:
            (code,) = _abi_decode(["uint256"], body)
            return RevertedWithPanic(
                "Panic",
                {"code": code, "meaning": PANIC_REASONS.get(code, "unknown panic code")},
                data=data,
            )
        entry = table.get(selector)
        if entry is not None:
            decoded = _abi_decode(list(entry.input_types), body)
            values = {
                str(p.get("name") or f"arg{i}"): _normalise(v, p)
                for i, (v, p) in enumerate(zip(decoded, entry.inputs, strict=True))
            }
            cls = getattr(_errors, entry.name, None)
            if isinstance(cls, type) and issubclass(cls, ContractRevert):
                return cls(entry.name, values, data=data)
            return ContractRevert(entry.name, values, data=data)
    except (DecodingError, ValueError, OverflowError):
        pass
    if not data:
        return ContractRevert("revert", {}, data=data)
    return ContractRevert(f"UnknownError_0x{selector.hex()}", {}, data=data)


class ErrorDecoder:
    """Decodes revert data against the custom errors of several ABIs at once.

    Callable: `decoder(data) -> ChainError`, the shape `TxSender(decoder=...)` expects.
    """

    def __init__(self, abis: Iterable[ContractAbi]) -> None:
        self._table: dict[bytes, _Error] = {}
        for abi in abis:
            self._table.update(abi.error_entries())

    def __call__(self, data: bytes) -> ChainError:
        return _decode_revert(self._table, data)


def combined_error_decoder(abis: Iterable[ContractAbi]) -> ErrorDecoder:
    """One revert decoder across `abis` (e.g. every contract of the deployed suite)."""
    return ErrorDecoder(abis)
