"""Disclosures (RFC 9901 §4.2): salted `[salt, name, value]` / `[salt, value]` and their digests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ledger.errors import MalformedDisclosure
from ledger.sdjwt import _json
from ledger.sdjwt._b64 import b64d, b64e
from ledger.sdjwt._rand import RandomSource

SALT_BYTES = 16  # 128 bits, RFC 9901 §9.3
SD_ALG = "sha-256"
RESERVED_NAMES = frozenset({"_sd", "..."})


def digest_of(encoded: str) -> str:
    """The base64url SHA-256 digest over a disclosure's ASCII form (RFC 9901 §4.2.3)."""
    return b64e(hashlib.sha256(encoded.encode("ascii")).digest())


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One disclosure: for an object property (`name` set) or an array element (`name` None)."""

    encoded: str
    salt: str
    name: str | None
    value: Any
    digest: str


def make_disclosure(name: str | None, value: Any, rng: RandomSource) -> Disclosure:
    """Create a disclosure with a fresh 128-bit salt from `rng`."""
    salt = b64e(rng.token_bytes(SALT_BYTES))
    array = [salt, value] if name is None else [salt, name, value]
    encoded = b64e(_json.dumps(array))
    return Disclosure(encoded, salt, name, value, digest_of(encoded))


def decoy_digest(rng: RandomSource) -> str:
    """A digest over random bytes, indistinguishable from a real one (RFC 9901 §4.2.5)."""
    return b64e(hashlib.sha256(rng.token_bytes(SALT_BYTES)).digest())


def parse_disclosure(encoded: str) -> Disclosure:
    """Decode one disclosure string; raises MalformedDisclosure. The digest is of `encoded`."""
    array = _json.loads(b64d(encoded, MalformedDisclosure), MalformedDisclosure)
    if not isinstance(array, list) or not isinstance(array[0] if array else None, str):
        raise MalformedDisclosure("a disclosure is a JSON array starting with a string salt")
    if len(array) == 3:
        name = array[1]
        if not isinstance(name, str):
            raise MalformedDisclosure("a disclosure's claim name must be a string")
        return Disclosure(encoded, array[0], name, array[2], digest_of(encoded))
    if len(array) == 2:
        return Disclosure(encoded, array[0], None, array[1], digest_of(encoded))
    raise MalformedDisclosure("a disclosure has two or three elements")
