"""Strict JSON for JOSE: no duplicate member names, no NaN/Infinity (nor numbers that overflow to
it), bounded nesting.

Uses the C scanner and encoder of the stdlib `json` module directly: the Python wrappers around
them cost as much as the parsing itself for the small documents of an SD-JWT.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.decoder import JSONDecodeError
from json.encoder import c_encode_basestring, c_make_encoder  # type: ignore[attr-defined]
from json.scanner import c_make_scanner  # type: ignore[attr-defined]
from typing import Any

import orjson

from ledger.errors import MalformedSerialization, VerificationError

_WHITESPACE = " \t\n\r"
_orjson_dumps = orjson.dumps
_orjson_loads = orjson.loads


def _pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(items)
    if len(obj) != len(items):
        raise ValueError("duplicate JSON member name")
    return obj


def _constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _finite(text: str) -> float:
    # A float literal beyond the double range (1e400) parses to inf: refuse it like `Infinity`.
    value = float(text)
    if value - value != 0.0:
        raise ValueError(f"number {text} is out of range")
    return value


def _default(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_finite)
_scan: Callable[[str, int], tuple[Any, int]] = c_make_scanner(_DECODER)
# (markers, default, encoder, indent, key_separator, item_separator, sort_keys, skipkeys,
# allow_nan): compact, UTF-8 kept, no NaN; no circular-reference markers (RecursionError instead).
_encode = c_make_encoder(None, _default, c_encode_basestring, None, ":", ",", False, False, False)


def loads(data: bytes, error: type[VerificationError] = MalformedSerialization) -> Any:
    """Parse UTF-8 JSON strictly, mapping every failure (duplicates, NaN, depth) to `error`.

    Fast path: a document that orjson parses and writes back byte for byte is compact JSON as
    orjson writes it, which never repeats a member name, holds no NaN and no number that does
    not survive the round trip; both parsers read it alike. Anything else (other spacing,
    escapes, number forms, duplicates, errors) goes through the strict stdlib scanner below.
    """
    try:
        value = _orjson_loads(data)
        if _orjson_dumps(value) == data:
            return value
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        pass
    try:
        text = data.decode("utf-8")
        if text[:1] in _WHITESPACE:  # also the empty document; the scanner wants a value at 0
            return _DECODER.decode(text)
        value, end = _scan(text, 0)
        if end != len(text) and text[end:].strip(_WHITESPACE):
            raise JSONDecodeError("extra data", text, end)
        return value
    except (ValueError, RecursionError, StopIteration) as exc:  # UnicodeDecodeError: ValueError
        raise error("invalid JSON") from exc


def _stdlib_dumps(value: Any) -> bytes:
    try:
        return "".join(_encode(value, 0)).encode()
    except RecursionError as exc:
        raise ValueError("value nested too deeply") from exc


def dumps(value: Any) -> bytes:
    """Serialize compactly as UTF-8 (orjson; the stdlib encoder for what orjson refuses, such as
    integers beyond 64 bits). Finite numbers only: orjson would write NaN as null, so callers
    refuse non-finite floats first, as the issuer does for claims."""
    try:
        return _orjson_dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        return _stdlib_dumps(value)
