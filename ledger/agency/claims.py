"""The on-chain claim bit mask: which of a credential type's claim names a request covers.

Claim paths themselves (``address.locality``, ``nationalities[1]``, ``nationalities[*]``, DCQL
path arrays) are parsed and formatted by `ledger._claim_paths`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger._claim_paths import PathElement, format_claim_path, parse_claim_path
from ledger.errors import ClaimNotInType

__all__ = ["claim_mask", "claim_names_in"]


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
