"""Claim paths as strings and as DCQL path arrays, and the on-chain claim bit mask.

A claim path string names a claim inside an SD-JWT VC payload: ``address.locality`` is
``["address", "locality"]``, ``nationalities[1]`` is ``["nationalities", 1]`` and
``nationalities[*]`` is ``["nationalities", None]`` (DCQL's "every element").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ledger.errors import ClaimNotInType, ClaimPathInvalid

PathElement = str | int | None
ClaimPath = tuple[PathElement, ...]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_INDEX = re.compile(r"\[(\d+|\*)\]")


def parse_claim_path(text: str) -> ClaimPath:
    """Parse ``a.b[2].c`` into ``("a", "b", 2, "c")``; raise `ClaimPathInvalid` if malformed."""
    if not isinstance(text, str) or not text:
        raise ClaimPathInvalid(f"empty claim path: {text!r}")
    out: list[PathElement] = []
    pos = 0
    expect_name = True
    while pos < len(text):
        if expect_name:
            m = _NAME.match(text, pos)
            if m is None:
                raise ClaimPathInvalid(f"claim path {text!r}: expected a name at offset {pos}")
            out.append(m.group(0))
            pos = m.end()
            expect_name = False
            continue
        m = _INDEX.match(text, pos)
        if m is not None:
            out.append(None if m.group(1) == "*" else int(m.group(1)))
            pos = m.end()
            continue
        if text[pos] == "." and pos + 1 < len(text):
            pos += 1
            expect_name = True
            continue
        raise ClaimPathInvalid(f"claim path {text!r}: unexpected {text[pos]!r} at offset {pos}")
    return tuple(out)


def format_claim_path(path: Sequence[PathElement]) -> str:
    """Format ``("a", "b", 2)`` as ``a.b[2]``; the inverse of `parse_claim_path`."""
    if not path or not isinstance(path[0], str):
        raise ClaimPathInvalid(f"claim path must start with a name: {list(path)!r}")
    parts: list[str] = []
    for element in path:
        if isinstance(element, bool):
            raise ClaimPathInvalid(f"claim path element {element!r} is not a name or index")
        if isinstance(element, str):
            if _NAME.fullmatch(element) is None:
                raise ClaimPathInvalid(f"claim name {element!r} is not a plain identifier")
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


def claim_mask(
    requested: Sequence[str | Sequence[PathElement]], type_claim_names: Sequence[str]
) -> int:
    """Bit mask over a credential type's claim names covering the requested claim paths.

    Bit ``i`` is set when ``type_claim_names[i]`` is requested. A requested path is covered by the
    claim name that is its longest prefix (``address.locality`` is covered by ``address`` unless
    the type lists ``address.locality`` itself). A path no claim name covers raises
    `ClaimNotInType`.
    """
    names = [parse_claim_path(n) for n in type_claim_names]
    mask = 0
    for item in requested:
        path = parse_claim_path(item) if isinstance(item, str) else tuple(item)
        best = -1
        best_len = 0
        for i, name in enumerate(names):
            if len(name) > best_len and path[: len(name)] == name:
                best, best_len = i, len(name)
        if best < 0:
            shown = item if isinstance(item, str) else format_claim_path(path)
            raise ClaimNotInType(f"claim {shown!r} is not one of the type's claims")
        mask |= 1 << best
    return mask


def claim_names_in(mask: int, type_claim_names: Sequence[str]) -> list[str]:
    """The type's claim names whose bits are set in `mask` (the inverse of `claim_mask`)."""
    return [name for i, name in enumerate(type_claim_names) if mask >> i & 1]
