"""Strict JSON for JOSE: no duplicate member names, no NaN/Infinity, bounded nesting."""

from __future__ import annotations

import json
from typing import Any

from ledger.errors import MalformedSerialization, VerificationError

_decoder_cache: dict[type[VerificationError], json.JSONDecoder] = {}


def _make_decoder(error: type[VerificationError]) -> json.JSONDecoder:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            raise error("duplicate JSON member name")
        return obj

    def constant(name: str) -> Any:
        raise error(f"non-standard JSON constant {name}")

    return json.JSONDecoder(object_pairs_hook=pairs, parse_constant=constant)


def loads(data: bytes | str, error: type[VerificationError] = MalformedSerialization) -> Any:
    """Parse JSON strictly, mapping every failure to `error`."""
    decoder = _decoder_cache.get(error)
    if decoder is None:
        decoder = _decoder_cache[error] = _make_decoder(error)
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return decoder.decode(text)
    except VerificationError:
        raise
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise error("invalid JSON") from exc


def dumps(value: Any) -> bytes:
    """Serialize compactly as UTF-8 (non-ASCII kept as UTF-8, as RFC 9901's examples do)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
