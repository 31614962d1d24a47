"""Does a presentation disclose exactly what its request asked for?

`match_claims` compares the disclosed claim paths and the verified claims with the requested
claim paths (`ledger._claim_paths` parses and formats them): nothing disclosed beyond what was
asked (or the ancestors needed to reach it), and everything asked present.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from ledger._claim_paths import ClaimPath, format_claim_path, parse_path
from ledger.errors import RequestedClaimMissing, UnknownClaimPath, UnrequestedClaimsDisclosed

__all__ = ["match_claims"]


@lru_cache(maxsize=4096)
def _parse(path: str) -> ClaimPath | None:
    """A disclosed path: a credential path (any member name the issuer wrote), None when its
    names hold `.`, `[` or `]` and the text does not parse back (then it matches no request)."""
    try:
        return parse_path(path)
    except UnknownClaimPath:
        return None


def _prefix_match(prefix: ClaimPath, path: ClaimPath) -> bool:
    """Whether `prefix` is a prefix of `path`, a None element of `prefix` matching any index."""
    if len(prefix) > len(path):
        return False
    for want, have in zip(prefix, path, strict=False):
        if want is None:
            if not isinstance(have, int):
                return False
        elif want != have:
            return False
    return True


def _present(claims: Any, path: ClaimPath) -> bool:
    node = claims
    for i, element in enumerate(path):
        if element is None:
            return (
                isinstance(node, list)
                and bool(node)
                and all(_present(item, path[i + 1 :]) for item in node)
            )
        if isinstance(element, int):
            if not isinstance(node, list) or element >= len(node):
                return False
        elif not isinstance(node, dict) or element not in node:
            return False
        node = node[element]
    return True


def match_claims(
    disclosed_paths: Sequence[str], claims: dict[str, Any], requested: Sequence[ClaimPath]
) -> None:
    """Check a presentation discloses exactly the requested claims.

    Every disclosed path must lie at or below a requested path, or be an ancestor needed to
    reach one (`UnrequestedClaimsDisclosed` otherwise); every requested path must be present
    in the verified claims (`RequestedClaimMissing` otherwise).
    """
    extra = [
        text
        for text in disclosed_paths
        if (p := _parse(text)) is None
        or not any(_prefix_match(r, p) or _prefix_match(p, r) for r in requested)
    ]
    if extra:
        raise UnrequestedClaimsDisclosed(f"disclosed but not requested: {', '.join(extra)}")
    missing = [r for r in requested if not _present(claims, r)]
    if missing:
        names = ", ".join(format_claim_path(m) for m in missing)
        raise RequestedClaimMissing(f"requested but not presented: {names}")
