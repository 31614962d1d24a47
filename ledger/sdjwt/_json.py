"""Strict JSON for JOSE: parsing through the bounded parser for untrusted JSON (no duplicate
member names, no NaN/Infinity, bounded size, nesting and number length; see
`ledger.untrusted_json`), with the failure mapped to the caller's `VerificationError`.

Serialisation uses orjson, and the C encoder of the stdlib `json` module directly for what
orjson refuses: the Python wrappers around it cost as much as the encoding itself for the
small documents of an SD-JWT.
"""

from __future__ import annotations

from json.encoder import c_encode_basestring, c_make_encoder  # type: ignore[attr-defined]
from typing import Any

import orjson

from ledger.errors import JsonRejected, MalformedSerialization, VerificationError
from ledger.untrusted_json import loads as _untrusted_loads

_orjson_dumps = orjson.dumps


def _default(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# (markers, default, encoder, indent, key_separator, item_separator, sort_keys, skipkeys,
# allow_nan): compact, UTF-8 kept, no NaN; no circular-reference markers (RecursionError instead).
_encode = c_make_encoder(None, _default, c_encode_basestring, None, ":", ",", False, False, False)


def loads(data: bytes, error: type[VerificationError] = MalformedSerialization) -> Any:
    """Parse UTF-8 JSON strictly, mapping every refusal (duplicates, NaN, depth, size, number
    length, encoding) to `error`, with the parser's specific `JsonRejected` as its cause.

    Compact JSON as orjson writes it, which is what an SD-JWT carries, takes the parser's fast
    path: one orjson parse and one orjson write.
    """
    try:
        return _untrusted_loads(data)
    except JsonRejected as exc:
        raise error(f"invalid JSON ({exc})") from exc


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
