"""Disclosures (RFC 9901 §4.2): salted `[salt, name, value]` / `[salt, value]` and their digests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from ledger._b64 import b64d_ascii, b64e, b64e_sha256, b64e_with_sha256
from ledger._rand import SYSTEM_RANDOM, RandomSource
from ledger.errors import MalformedDisclosure
from ledger.sdjwt import _json

SALT_BYTES = 18  # 144 bits (>= 128, RFC 9901 §9.3): exactly 24 base64url characters
SD_ALG = "sha-256"


def digest_of(encoded: str) -> str:
    """The base64url SHA-256 digest over a disclosure's ASCII form (RFC 9901 §4.2.3)."""
    return b64e_sha256(encoded.encode("ascii"))


class Disclosure(NamedTuple):
    """One disclosure: for an object property (`name` set) or an array element (`name` None).

    Immutable (a named tuple: cheaper to build than a frozen dataclass, and there are many).
    """

    encoded: str
    salt: str
    name: str | None
    value: Any
    digest: str


_dumps = _json.dumps
_loads = _json.loads


def encode_disclosure(name: str | None, value: Any, salt: str) -> tuple[str, str]:
    """The base64url disclosure `[salt, name, value]` (`[salt, value]` for an array element,
    `name` None) and its digest. `value` holds finite numbers only (see `_json.dumps`)."""
    return b64e_with_sha256(_dumps([salt, value] if name is None else [salt, name, value]))


def decoy_digest(salt: str) -> str:
    """A digest over a fresh random salt, indistinguishable from a real one (RFC 9901 §4.2.5)."""
    return digest_of(salt)


_SALT_BLOCK = 32  # salts per draw from the random source
_SALT_CHARS = SALT_BYTES * 4 // 3


def salts(rng: RandomSource) -> Iterator[str]:
    """Base64url salts of 144 random bits, drawing bytes from `rng` in blocks, only as needed.

    18 bytes encode to exactly 24 characters, so a block is encoded once and sliced.
    """
    while True:
        yield from _salt_list(rng.token_bytes(SALT_BYTES * _SALT_BLOCK))


def _salt_list(random_bytes: bytes) -> list[str]:
    """Random bytes as salts: encoded once, then sliced every 24 characters."""
    block = b64e(random_bytes)
    return [block[pos : pos + _SALT_CHARS] for pos in range(0, len(block), _SALT_CHARS)]


_POOL_SALTS = 512
_pool: list[str] = []
# A forked child must never hand out salts its parent also holds (they would link credentials).
os.register_at_fork(after_in_child=_pool.clear)


def _pooled_salt() -> str:
    while True:
        try:
            return _pool.pop()
        except IndexError:
            _pool.extend(_salt_list(SYSTEM_RANDOM.token_bytes(SALT_BYTES * _POOL_SALTS)))


def salt_source(rng: RandomSource) -> Callable[[], str]:
    """Where an issuance takes its salts: for the system random source, a process-wide pool
    filled 512 at a time (one `getrandom` call per 512 salts, not one per credential); for a
    seeded test source, `salts(rng)`, so that its output stays reproducible."""
    return _pooled_salt if rng is SYSTEM_RANDOM else salts(rng).__next__


def parse_disclosure(encoded: str) -> Disclosure:
    """Decode one disclosure string; raises MalformedDisclosure. The digest is of `encoded`."""
    return parse_disclosures((encoded,))[0]


def parse_disclosures(encoded: Iterable[str]) -> list[Disclosure]:
    """`parse_disclosure` for each string, in one loop (the verifier's hot path)."""
    out = []
    for text in encoded:
        try:
            data = text.encode("ascii")
        except (UnicodeEncodeError, AttributeError):
            raise MalformedDisclosure("a disclosure is ASCII text") from None
        array = _loads(b64d_ascii(data, MalformedDisclosure), MalformedDisclosure)
        # JSON gives exact lists and strs, so `type(...) is` checks suffice.
        if type(array) is not list or not array or type(array[0]) is not str:
            raise MalformedDisclosure("a disclosure is a JSON array starting with a string salt")
        size = len(array)
        if size == 3:
            name = array[1]
            if type(name) is not str:
                raise MalformedDisclosure("a disclosure's claim name must be a string")
        elif size == 2:
            name = None
        else:
            raise MalformedDisclosure("a disclosure has two or three elements")
        out.append(Disclosure(text, array[0], name, array[-1], b64e_sha256(data)))
    return out
