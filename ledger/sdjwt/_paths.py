"""Claim paths: `address.locality`, `nationalities[1]`, `a.b[0].c`."""

from __future__ import annotations

import re
from functools import lru_cache

from ledger.errors import UnknownClaimPath

Path = tuple[str | int, ...]

_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")


@lru_cache(maxsize=4096)
def parse_path(text: str) -> Path:
    """Parse a dotted claim path into keys (str) and array indexes (int)."""
    out: list[str | int] = []
    for part in text.split("."):
        m = _SEGMENT.fullmatch(part)
        if m is None:
            raise UnknownClaimPath(f"malformed claim path {text!r}")
        out.append(m.group(1))
        out.extend(int(i) for i in _INDEX.findall(m.group(2)))
    return tuple(out)


@lru_cache(maxsize=16384)
def format_path(path: Path) -> str:
    """The dotted text of a path (inverse of `parse_path` for names without `.`, `[`, `]`)."""
    text = ""
    for seg in path:
        if isinstance(seg, int):
            text += f"[{seg}]"
        else:
            text += ("." if text else "") + seg
    return text
