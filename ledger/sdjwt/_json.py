"""Strict JSON for JOSE: no duplicate member names, no NaN/Infinity, bounded nesting."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ledger.errors import MalformedSerialization, VerificationError

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_encode = _ENCODER.encode


def _pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(items)
    if len(obj) != len(items):
        raise ValueError("duplicate JSON member name")
    return obj


def _constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


_decode: Callable[[str], Any] = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_constant=_constant
).decode


def loads(data: bytes, error: type[VerificationError] = MalformedSerialization) -> Any:
    """Parse UTF-8 JSON strictly, mapping every failure (duplicates, NaN, depth) to `error`."""
    try:
        return _decode(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise error("invalid JSON") from exc


def dumps_str(value: Any) -> str:
    """Serialize compactly (non-ASCII kept as is, as RFC 9901's examples do)."""
    try:
        return _encode(value)
    except RecursionError as exc:
        raise ValueError("value nested too deeply") from exc


def dumps(value: Any) -> bytes:
    """Serialize compactly as UTF-8."""
    return dumps_str(value).encode()
