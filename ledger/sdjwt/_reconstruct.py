"""Rebuild claims from a signed payload and disclosures, with every RFC 9901 §7.1 check.

Shared by the verifier (strict, on presented data) and the holder (on its own credential).
Works in place on freshly parsed JSON (the payload and the disclosure values are consumed).
"""

from __future__ import annotations

from typing import Any

from ledger._claim_paths import Path
from ledger.errors import (
    ClaimNameCollision,
    DuplicateDigest,
    InvalidSdStructure,
    MalformedDisclosure,
    ProtectedClaimDisclosed,
    ReservedClaimName,
    UnreferencedDisclosure,
)
from ledger.sdjwt._names import (
    DIGEST_ALG_KEY,
    PROTECTED_CLAIMS,
    RESERVED_NAMES,
    SD_DIGESTS_KEY,
    SD_LIST_PREFIX,
)
from ledger.sdjwt.disclosures import Disclosure

MAX_DEPTH = 64


class _Walk:
    __slots__ = ("by_digest", "seen", "used")

    def __init__(self, by_digest: dict[str, Disclosure]) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.used: list[tuple[Path, Disclosure]] = []

    def _mark(self, digest: Any) -> Disclosure | None:
        if type(digest) is not str:
            raise InvalidSdStructure("digests must be strings")
        if digest in self.seen:
            raise DuplicateDigest("a digest appears more than once")
        self.seen.add(digest)
        return self.by_digest.get(digest)

    def value(self, value: Any, path: Path, depth: int) -> Any:
        kind = type(value)
        if kind is dict:
            return self.obj(value, path, depth + 1)
        if kind is list:
            return self.array(value, path, depth + 1)
        return value

    def obj(self, obj: dict[str, Any], path: Path, depth: int) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise InvalidSdStructure("claims nested too deeply")
        digests = obj.pop(SD_DIGESTS_KEY, None)
        if depth == 1:
            obj.pop(DIGEST_ALG_KEY, None)
        elif DIGEST_ALG_KEY in obj:
            raise InvalidSdStructure("_sd_alg may appear only at the top level")  # RFC 9901 §4.1.1
        if SD_LIST_PREFIX in obj:  # only {"...": digest} array elements may use it (RFC 9901 §4.1)
            raise InvalidSdStructure("'...' is not a claim name outside an array digest")
        for key, val in obj.items():
            kind = type(val)
            if kind is dict:
                self.obj(val, (*path, key), depth + 1)
            elif kind is list:
                self.array(val, (*path, key), depth + 1)
        if digests is None:
            return obj
        if type(digests) is not list:
            raise InvalidSdStructure("_sd must be an array")
        for digest in digests:
            disc = self._mark(digest)
            if disc is None:
                continue  # a decoy, or a disclosure the holder withheld
            name = disc.name
            if name is None:
                raise MalformedDisclosure("an array-element disclosure is referenced from _sd")
            if name in RESERVED_NAMES or (name == DIGEST_ALG_KEY and depth != 1):
                raise ReservedClaimName(f"a disclosure may not name a claim {name!r}")
            if name in obj:
                raise ClaimNameCollision(f"disclosed claim {name!r} already present")
            if depth == 1 and name in PROTECTED_CLAIMS:
                raise ProtectedClaimDisclosed(f"claim {name!r} must not be selectively disclosed")
            if depth > 1 and path[0] in PROTECTED_CLAIMS:
                raise ProtectedClaimDisclosed(f"nothing inside {path[0]!r} may be disclosed")
            child = (*path, name)
            self.used.append((child, disc))
            obj[name] = self.value(disc.value, child, depth)
        return obj

    def array(self, arr: list[Any], path: Path, depth: int) -> list[Any]:
        if depth > MAX_DEPTH:
            raise InvalidSdStructure("claims nested too deeply")
        out: list[Any] = []
        changed = False
        for item in arr:
            kind = type(item)
            if kind is dict and SD_LIST_PREFIX in item:
                changed = True
                if len(item) != 1:
                    raise InvalidSdStructure("an array digest object has exactly one member")
                disc = self._mark(item[SD_LIST_PREFIX])
                if disc is None:
                    continue
                if disc.name is not None:
                    raise MalformedDisclosure("an object-property disclosure is used in an array")
                if path[0] in PROTECTED_CLAIMS:
                    raise ProtectedClaimDisclosed(f"nothing inside {path[0]!r} may be disclosed")
                child = (*path, len(out))
                self.used.append((child, disc))
                out.append(self.value(disc.value, child, depth))
            elif kind is dict:
                out.append(self.obj(item, (*path, len(out)), depth + 1))
            elif kind is list:
                out.append(self.array(item, (*path, len(out)), depth + 1))
            else:
                out.append(item)
        if changed:
            arr[:] = out
        return arr


def reconstruct(
    payload: dict[str, Any], disclosures: list[Disclosure]
) -> tuple[dict[str, Any], list[tuple[Path, Disclosure]]]:
    """Return (claims, [(path, disclosure) used]) — raising on any §7.1 violation.

    Consumes `payload` and the disclosure values: the claims are built in place.
    """
    by_digest: dict[str, Disclosure] = {}
    for disc in disclosures:
        if disc.digest in by_digest:
            raise DuplicateDigest("the same disclosure is presented twice")
        by_digest[disc.digest] = disc
    walk = _Walk(by_digest)
    claims = walk.obj(payload, (), 1)
    if len(walk.used) != len(by_digest):
        raise UnreferencedDisclosure("a disclosure is not referenced by the signed payload")
    return claims, walk.used
