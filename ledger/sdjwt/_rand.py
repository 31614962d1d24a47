"""Injectable randomness: `secrets` in production, a seeded source for deterministic tests."""

from __future__ import annotations

import random
import secrets
from typing import Protocol


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
