"""Claim paths: the one grammar that names a claim inside an SD-JWT VC payload.

    path  = step *( "." step )
    step  = name *( "[" index "]" / "[*]" )
    index = 1*( "0" - "9" )            ; ASCII digits; leading zeros read as the number

``address.locality`` is ``("address", "locality")``, ``nationalities[1]`` is
``("nationalities", 1)`` and ``nationalities[*]`` is ``("nationalities", None)`` (DCQL's
"every element"). Two dialects of it, which differ only in what a name may be and in `[*]`:

- a *credential path* (`parse_path`, `format_path`: ledger.sdjwt and the wallet) names one value
  of a credential: a name is any non-empty text without ``.``, ``[`` or ``]`` (whatever member
  name an issuer wrote), and ``[*]`` is refused; a bad one raises `UnknownClaimPath`;
- a *request path* (`parse_claim_path`, `format_claim_path`, `path_from_json`: registered types,
  presentation requests, DCQL queries, exchange receipts) goes on chain and to other agencies: a
  name is a plain identifier (``[A-Za-z_][A-Za-z0-9_-]*``) and ``[*]`` is allowed; a bad one
  raises `ClaimPathInvalid`.

So every request path without ``[*]`` is also a credential path: the wallet resolves a requested
path with `parse_path`. Both errors are `ClaimPathError`s. A member name holding ``.``, ``[`` or
``]`` has no path (`format_path` shows it, but the text does not parse back to it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from ledger.errors import ClaimPathError, ClaimPathInvalid, UnknownClaimPath

__all__ = [
    "ClaimPath",
    "Path",
    "PathElement",
    "format_claim_path",
    "format_path",
    "parse_claim_path",
    "parse_path",
    "path_from_json",
]

Path = tuple[str | int, ...]
"""A credential path: member names (str) and array indexes (int)."""
PathElement = str | int | None
ClaimPath = tuple[PathElement, ...]
"""A request path: names, indexes, and None for ``[*]`` (every element)."""

_NAME = re.compile(r"[^.\[\]]+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_INDEX = re.compile(r"\[([0-9]+|\*)\]")


@lru_cache(maxsize=4096)
def _scan(text: str, request: bool) -> ClaimPath:
    """The elements of `text` in the request dialect (`request`) or the credential one."""
    error: type[ClaimPathError] = ClaimPathInvalid if request else UnknownClaimPath
    if not text:
        raise error(f"empty claim path: {text!r}")
    out: list[PathElement] = []
    pos = 0
    while True:
        m = _NAME.match(text, pos)
        if m is None:
            raise error(f"claim path {text!r}: expected a name at offset {pos}")
        if request and _IDENTIFIER.fullmatch(m.group(0)) is None:
            raise error(f"claim path {text!r}: {m.group(0)!r} is not a plain identifier")
        out.append(m.group(0))
        pos = m.end()
        while (m := _INDEX.match(text, pos)) is not None:
            if m.group(1) == "*":
                if not request:
                    raise error(f"claim path {text!r}: [*] names no single claim")
                out.append(None)
            else:
                try:
                    out.append(int(m.group(1)))
                except ValueError:  # beyond Python's int max-str-digits
                    raise error(f"claim path {text!r}: index too long") from None
            pos = m.end()
        if pos == len(text):
            return tuple(out)
        if text[pos] != ".":
            raise error(f"claim path {text!r}: unexpected {text[pos]!r} at offset {pos}")
        pos += 1


def parse_path(text: str) -> Path:
    """Parse a credential path (``a.b[0].c``); raise `UnknownClaimPath` if malformed."""
    if not isinstance(text, str):
        raise UnknownClaimPath(f"claim paths are strings, not {type(text).__name__}")
    return _scan(text, False)  # type: ignore[return-value]  # no None without [*]


@lru_cache(maxsize=16384)
def format_path(path: Path) -> str:
    """The text of a credential path (the inverse of `parse_path` for names without ``.[]``)."""
    text = ""
    for seg in path:
        if isinstance(seg, int):
            text += f"[{seg}]"
        else:
            text += ("." if text else "") + seg
    return text


def parse_claim_path(text: str) -> ClaimPath:
    """Parse a request path ``a.b[2].c`` into ``("a", "b", 2, "c")``; raise `ClaimPathInvalid`
    if malformed."""
    if not isinstance(text, str):
        raise ClaimPathInvalid(f"claim paths are strings, not {type(text).__name__}")
    return _scan(text, True)


def format_claim_path(path: Sequence[PathElement]) -> str:
    """Format ``("a", "b", 2)`` as ``a.b[2]``; the inverse of `parse_claim_path`."""
    if not path or not isinstance(path[0], str):
        raise ClaimPathInvalid(f"claim path must start with a name: {list(path)!r}")
    parts: list[str] = []
    for element in path:
        if isinstance(element, bool):
            raise ClaimPathInvalid(f"claim path element {element!r} is not a name or index")
        if isinstance(element, str):
            if _IDENTIFIER.fullmatch(element) is None:
                raise ClaimPathInvalid(f"claim path name {element!r} is not a plain identifier")
            parts.append(("." if parts else "") + element)
        elif element is None:
            parts.append("[*]")
        elif isinstance(element, int) and element >= 0:
            parts.append(f"[{element}]")
        else:
            raise ClaimPathInvalid(f"claim path element {element!r} is not a name or index")
    return "".join(parts)


def path_from_json(value: object) -> ClaimPath:
    """Validate a DCQL ``path`` array (names, non-negative ints, null); return it as a tuple."""
    if not isinstance(value, list) or not value:
        raise ClaimPathInvalid(f"DCQL claim path must be a non-empty array: {value!r}")
    path = tuple(value)
    format_claim_path(path)  # validates every element
    return path
