"""Injectable randomness and time: `secrets` and the system clock in production, seeded and fixed
sources in tests. The one place that says what an `rng=` or `now=` parameter takes:

- `RandomSource` (an object with `token_bytes` and `randbelow`; the `secrets` module is one) where
  the code draws both bytes and numbers (salts, decoys, status indexes, keys);
- `Rng`, a function of a byte count, where it only draws bytes (nonces, KDF salts, AEAD nonces);
- `Clock`, a function returning Unix seconds, for a clock read more than once.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from typing import Protocol

#: A source of random bytes: `secrets.token_bytes`, `os.urandom`, or a seeded one in tests.
Rng = Callable[[int], bytes]
#: A clock in Unix seconds: `time.time`, or a fixed one in tests.
Clock = Callable[[], float]


class RandomSource(Protocol):
    """What the SD-JWT code needs from a random source; the `secrets` module is one."""

    def token_bytes(self, nbytes: int) -> bytes:
        """Return `nbytes` random bytes."""
        ...

    def randbelow(self, exclusive_upper_bound: int) -> int:
        """Return a random int in [0, exclusive_upper_bound)."""
        ...


class _Secrets:
    def token_bytes(self, nbytes: int) -> bytes:
        return secrets.token_bytes(nbytes)

    def randbelow(self, exclusive_upper_bound: int) -> int:
        return secrets.randbelow(exclusive_upper_bound)


SYSTEM_RANDOM: RandomSource = _Secrets()


class UnsafeDeterministicRandom:
    """A seeded, predictable random source. UNSAFE: for tests and vectors only, never production."""

    def __init__(self, seed: int | str | bytes = 0) -> None:
        self._r = random.Random(seed)

    def token_bytes(self, nbytes: int) -> bytes:
        """Return `nbytes` predictable bytes."""
        return self._r.randbytes(nbytes)

    def randbelow(self, exclusive_upper_bound: int) -> int:
        """Return a predictable int in [0, exclusive_upper_bound)."""
        return self._r.randrange(exclusive_upper_bound)
