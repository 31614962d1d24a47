"""The one parser for JSON that comes from outside: files, standard input, HTTP bodies and
JSON-RPC replies (and, through `ledger.sdjwt._json`, every JWT and disclosure).

Why: py_ecc, which the Ethereum libraries import, raises Python's recursion limit to 100,000,
so the json module's recursive C scanner overflows the C stack (SIGSEGV, no message) on about
65,000 levels of `[` before its own guard fires; and a 100,000-digit integer makes `int()`
raise a ValueError nobody expects. Nothing here recurses over the input before its depth is
known to be within the limit.

Limits (each refusal is a `ledger.errors.JsonRejected` subclass, also a ValueError):

- size: `DEFAULT_MAX_BYTES` (16 MiB), a parameter of every function — `JsonTooLarge`;
  `load` and `load_file` read no more than the limit plus one byte;
- nesting: `MAX_DEPTH` (128) levels of arrays and objects — `JsonTooDeep`;
- number literals: `MAX_NUMBER_CHARS` (256) characters — `JsonNumberTooLong`;
- an object may not repeat a member name — `JsonDuplicateKey`;
- UTF-8 only, and no escape for a lone surrogate (`"\\ud800"`) — `JsonNotUtf8`;
- RFC 8259 grammar: no NaN or Infinity, no trailing data, no empty document, no number beyond
  the range of a double (`1e400`) — `NotJson`.

The limits sit far above any document the ledger writes (a credential is at most 256 KB; claims
nest at most 64 levels, see `ledger.sdjwt._reconstruct.MAX_DEPTH`; a uint256 has 78 digits) and
far below what would hurt: 128 levels leave any recursive consumer of the value room under
Python's default recursion limit of 1,000.

How: orjson parses first (C, its own depth limit is 1,024, no recursion risk). If writing the
value back gives the very same bytes, the text is compact JSON as orjson writes it: no repeated
name (it would be written once), every number in its short form (integers beyond 64 bits come
back as floats and fail the comparison), valid UTF-8; only the depth is left to check, and a
text shorter than twice `MAX_DEPTH`, or with no more brackets than that, needs no scan. Any
other text takes the strict path: decode the UTF-8, measure the bracket depth outside strings
in one linear pass (a regular expression removes the strings, `bytes.translate` keeps the
brackets, `itertools.accumulate` sums them), refuse if too deep, and only then run the json
module's scanner, whose hooks refuse repeated names, NaN and Infinity, long numbers (before
`int()` sees them) and infinite floats.
"""

from __future__ import annotations

import json
import os
import re
from array import array
from itertools import accumulate
from json.decoder import JSONDecodeError
from typing import IO, Any

import orjson

from ledger.errors import (
    JsonDuplicateKey,
    JsonNotUtf8,
    JsonNumberTooLong,
    JsonTooDeep,
    JsonTooLarge,
    NotJson,
)

__all__ = ["DEFAULT_MAX_BYTES", "MAX_DEPTH", "MAX_NUMBER_CHARS", "load", "load_file", "loads"]

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 128
MAX_NUMBER_CHARS = 256

_orjson_loads = orjson.loads
_orjson_dumps = orjson.dumps
_ORJSON_ERRORS = (orjson.JSONDecodeError, orjson.JSONEncodeError)
_WHITESPACE = " \t\n\r"

# A JSON string, or everything after a quote that is never closed. Each byte can be matched
# one way only, so the scan is linear; an unclosed string runs to the end and ends the scan.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # as signed bytes: +1, +1, -1, -1
_CHUNK = 1 << 16
# A \u escape of a surrogate (the scanner joins a valid pair into one character).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def loads(data: bytes | bytearray | memoryview | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Parse one JSON document within the limits (see the module docstring).

    Raises a `JsonRejected` subclass: `JsonTooLarge`, `JsonTooDeep`, `JsonNumberTooLong`,
    `JsonDuplicateKey`, `JsonNotUtf8` or `NotJson`.
    """
    if isinstance(data, str):
        if len(data) > max_bytes:  # as UTF-8 it is at least as long
            raise JsonTooLarge(_too_large(len(data), max_bytes, "characters"))
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise JsonNotUtf8(f"not Unicode text: a lone surrogate at character {exc.start:,}") \
                from None
    elif not isinstance(data, bytes):
        data = bytes(data)
    if len(data) > max_bytes:
        raise JsonTooLarge(_too_large(len(data), max_bytes, "bytes"))
    try:
        value = _orjson_loads(data)
        # Valid JSON nested d levels deep is at least 2d bytes long: short texts (JWT headers,
        # disclosures) need no depth check at all.
        if _orjson_dumps(value) == data and (
            len(data) <= 2 * MAX_DEPTH or not _deeper_than(data, MAX_DEPTH)
        ):
            return value
    except _ORJSON_ERRORS:
        pass
    return _strict(data)


def load(fp: IO[bytes] | IO[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Parse the JSON document read from `fp` (standard input, a request body), reading no more
    than `max_bytes` + 1 bytes (or characters, from a text stream)."""
    data = fp.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise JsonTooLarge(f"more than the limit of {max_bytes:,} bytes")
    return loads(data, max_bytes=max_bytes)


def load_file(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Parse the JSON file at `path`, reading no more than `max_bytes` + 1 bytes. A file that
    cannot be opened or read raises the `OSError` of `open` (`FileNotFoundError` ...)."""
    with open(path, "rb") as fh:
        return load(fh, max_bytes=max_bytes)


# -- the strict path ---------------------------------------------------------------------------


def _too_large(size: int, limit: int, unit: str) -> str:
    return f"{size:,} {unit}, over the limit of {limit:,} bytes"


def _deeper_than(data: bytes, limit: int) -> bool:
    """Whether arrays and objects in `data` nest deeper than `limit`: one linear pass, no
    recursion. Brackets inside strings do not count (a text with no more brackets than `limit`
    in all is not even scanned)."""
    if len(data) <= limit or data.count(b"[") + data.count(b"{") <= limit:
        return False
    steps = array("b", _STRING.sub(b"", data).translate(_STEPS, _NOT_BRACKETS))
    depth = 0
    for start in range(0, len(steps), _CHUNK):
        chunk = steps[start : start + _CHUNK]
        if max(accumulate(chunk, initial=depth)) > limit:
            return True
        depth += sum(chunk)
    return False


def _shown(name: str) -> str:
    return repr(name) if len(name) <= 40 else repr(name[:40]) + "..."


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise JsonDuplicateKey(f"an object repeats the member name {_shown(name)}")
            seen.add(name)
    return obj


def _number_length(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonNumberTooLong(
            f"a number of {len(text):,} characters, over the limit of {MAX_NUMBER_CHARS}"
        )


def _int(text: str) -> int:
    _number_length(text)
    return int(text)


def _float(text: str) -> float:
    _number_length(text)
    value = float(text)
    if value - value != 0.0:  # inf (1e400) or -inf
        raise NotJson(f"the number {text} is beyond the range of a double")
    return value


def _constant(name: str) -> Any:
    raise NotJson(f"{name} is not JSON")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object, parse_int=_int, parse_float=_float, parse_constant=_constant
)
_UNICODE_CHECK = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def _strict(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonNotUtf8(f"not UTF-8 text: byte {exc.start:,} is invalid") from None
    if not text.strip(_WHITESPACE):
        raise NotJson("an empty document")
    if _deeper_than(data, MAX_DEPTH):
        raise JsonTooDeep(f"nested deeper than the limit of {MAX_DEPTH} levels")
    try:
        value = _DECODER.decode(text)
    except JSONDecodeError as exc:
        raise NotJson(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # only if the caller has used up nearly all of the recursion limit
        raise JsonTooDeep("nested too deeply for the space left on the stack") from None
    if _SURROGATE_ESCAPE.search(text):
        try:
            _UNICODE_CHECK.encode(value).encode("utf-8")
        except UnicodeEncodeError:
            raise JsonNotUtf8("a string escape stands for half a surrogate pair") from None
    return value
