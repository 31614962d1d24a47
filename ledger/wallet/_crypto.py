"""Key derivation and authenticated encryption for the wallet store and its backups.

Internal module. Argon2id (RFC 9106) derives a 256-bit key from the passphrase; AES-256-GCM with
a fresh random 96-bit nonce per write encrypts every record. Associated data binds a ciphertext
to its place (store id, record kind, record id), so a ciphertext moved elsewhere fails its tag.

Why Argon2id rather than scrypt: both are memory-hard and both are in `cryptography`; Argon2id is
the current recommendation of RFC 9106 and OWASP, and its parallelism (lanes) uses both cores of
the reference machine, so the same ~0.1 s unlock buys 64 MiB of memory hardness where scrypt gets
32 MiB (measured: scrypt N=2^15,r=8 ≈ 0.11 s; Argon2id m=64 MiB,t=3,p=4 ≈ 0.11 s).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from ledger._rand import Rng
from ledger.errors import InputError

KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
MAX_MEMORY_KIB = 4 * 1024 * 1024  # 4 GiB
TAG_BYTES = 16


__all__ = [
    "DEFAULT_KDF",
    "KEY_BYTES",
    "NONCE_BYTES",
    "SALT_BYTES",
    "InvalidTag",
    "KdfParams",
    "aad",
    "canonical_json",
    "derive_key",
    "seal",
    "unseal",
]


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters (stored beside the salt so they can be raised later).

    `memory_kib` is the memory cost in KiB, `iterations` the time cost, `lanes` the parallelism.
    """

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def __post_init__(self) -> None:
        if self.lanes < 1 or self.iterations < 1 or self.memory_kib < 8 * self.lanes:
            raise InputError(f"invalid Argon2id parameters: {self}")
        # Upper bounds: parameters are read from files, and absurd ones would hang or exhaust
        # memory before the passphrase could even be checked.
        if self.memory_kib > MAX_MEMORY_KIB or self.iterations > 100 or self.lanes > 64:
            raise InputError(f"Argon2id parameters beyond sane limits: {self}")

    def to_json(self) -> dict[str, Any]:
        """The parameters as a JSON object, with the algorithm name."""
        return {
            "alg": "argon2id",
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "lanes": self.lanes,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> KdfParams:
        """Parse parameters written by `to_json`; raise InputError on anything else."""
        if not isinstance(obj, Mapping):
            raise InputError(f"KDF parameters must be an object, not {type(obj).__name__}")
        if obj.get("alg") != "argon2id":
            raise InputError(f"unsupported KDF {obj.get('alg')!r}")
        try:
            return cls(int(obj["memory_kib"]), int(obj["iterations"]), int(obj["lanes"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed KDF parameters: {exc}") from exc


# RFC 9106 §4 "second recommended option": 64 MiB, t=3, p=4 — about 0.11 s on the reference box.
DEFAULT_KDF = KdfParams()


def derive_key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    """Derive the 256-bit wallet key from `passphrase` (UTF-8, NFC not applied) and `salt`."""
    kdf = Argon2id(
        salt=salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(passphrase.encode("utf-8"))


def aad(*parts: str | bytes) -> bytes:
    """Unambiguous associated data: each part length-prefixed (4 bytes, big-endian)."""
    out = bytearray()
    for part in parts:
        raw = part.encode("utf-8") if isinstance(part, str) else part
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def seal(key: bytes, plaintext: bytes, associated: bytes, rng: Rng) -> bytes:
    """AES-256-GCM encrypt under a fresh random nonce; return nonce || ciphertext || tag."""
    nonce = rng(NONCE_BYTES)
    if len(nonce) != NONCE_BYTES:
        raise InputError("rng returned the wrong number of bytes")
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def unseal(key: bytes, blob: bytes, associated: bytes) -> bytes:
    """Decrypt a `seal` output. Raises `InvalidTag` if anything (key, data, aad) differs."""
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise InvalidTag()
    return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated)


def canonical_json(obj: Any) -> bytes:
    """Deterministic compact JSON bytes (sorted keys, UTF-8)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
