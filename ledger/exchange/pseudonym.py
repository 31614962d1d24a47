"""The per-batch pseudonym of a subject: the key of her slot in a batch's sparse Merkle tree.

    pseudonym_b = SHA-256("ledger.exchange.pseudonym.v1" || Z || batch_no as 8 bytes big-endian)

where Z is the P-256 ECDH shared secret (the x coordinate, 32 bytes) between the source's static
"log key" and the citizen's holder key (the one the source knows for her, e.g. from the person
credential it issued to her). Both sides compute the same Z: the source with its private log key
and her public holder JWK (`SourceLogKey.pseudonym`), the citizen with her private holder key
and the source's public log key (`citizen_pseudonym`). So:

- the citizen computes her slot herself: the source cannot point her at an empty slot;
- nobody else can compute it, nor link a subject's slots across batches (a new batch number
  gives an unrelated pseudonym);
- nothing about the subject is in it: the CPR number does not enter the computation.

The log key is a key of its own, not the source's signing key (a key used for ECDH should not
also sign). Publish its public JWK with the source's data service.

Subjects whose holder key the source does not know get a keyed pseudonym instead
(`fallback_pseudonym`: HMAC-SHA256(source secret, tag || subject_id || batch_no)). Only the
source can compute it, so such a subject cannot check her slot in that batch (a documented
limit). The tag, beyond the shared design's formula, keeps the secret's use here apart from any
other use of it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from ledger._b64 import b64d
from ledger._rand import RandomSource
from ledger.errors import BatchNumberInvalid, InvalidJwk, PseudonymSecretInvalid
from ledger.sdjwt.jwk import PublicKey, SigningKey, public_key_from_jwk

__all__ = [
    "FALLBACK_TAG",
    "MAX_BATCH_NO",
    "PSEUDONYM_TAG",
    "SourceLogKey",
    "check_batch_no",
    "citizen_pseudonym",
    "fallback_pseudonym",
    "pseudonym_from_shared_secret",
]

PSEUDONYM_TAG = b"ledger.exchange.pseudonym.v1"
FALLBACK_TAG = b"ledger.exchange.pseudonym-hmac.v1"
MAX_BATCH_NO = 2**64 - 1
_CURVE = ec.SECP256R1()
_ECDH = ec.ECDH()


def check_batch_no(batch_no: int) -> int:
    """`batch_no` if it is an int in 1..2**64-1, else `BatchNumberInvalid`."""
    if type(batch_no) is not int or not 1 <= batch_no <= MAX_BATCH_NO:
        raise BatchNumberInvalid(f"a batch number is an integer in 1..{MAX_BATCH_NO}")
    return batch_no


def pseudonym_from_shared_secret(shared_secret: bytes, batch_no: int) -> bytes:
    """SHA-256(PSEUDONYM_TAG || shared_secret || batch_no as 8 bytes big-endian).

    The shared secret does not depend on the batch, so a source may keep it per subject and pay
    one hash per batch instead of one ECDH; it is as secret as the log key for that subject.
    """
    if len(shared_secret) != 32:
        raise InvalidJwk("an ECDH shared secret on P-256 is 32 bytes")
    return hashlib.sha256(
        PSEUDONYM_TAG + shared_secret + check_batch_no(batch_no).to_bytes(8, "big")
    ).digest()


@lru_cache(maxsize=4096)
def _crypto_public(x: bytes, y: bytes) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, b"\x04" + x + y)


def _public(key: PublicKey | Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """A P-256 public key (validated on the curve by `public_key_from_jwk`) for cryptography."""
    public = key if isinstance(key, PublicKey) else public_key_from_jwk(key)
    return _crypto_public(*public.public_xy)


def _private(key: SigningKey) -> ec.EllipticCurvePrivateKey:
    """The cryptography private key behind a `SigningKey`, through its public JWK interface."""
    scalar = int.from_bytes(b64d(key.to_private_jwk()["d"], InvalidJwk), "big")
    return ec.derive_private_key(scalar, _CURVE)


def _ecdh(private: ec.EllipticCurvePrivateKey, public: ec.EllipticCurvePublicKey) -> bytes:
    return private.exchange(_ECDH, public)


class SourceLogKey:
    """The source's static P-256 log key: computes the pseudonyms of subjects' slots.

    Keep it secret (with it, every subject's slots can be linked across batches); store it with
    `to_private_jwk`, publish `public_jwk`.
    """

    __slots__ = ("_key", "_private")

    def __init__(self, key: SigningKey) -> None:
        self._key = key
        self._private = _private(key)

    @classmethod
    def generate(cls, *, rng: RandomSource | None = None) -> SourceLogKey:
        """A fresh log key (`rng` for deterministic tests only)."""
        return cls(SigningKey.generate(rng=rng))

    @classmethod
    def from_private_jwk(cls, jwk: Mapping[str, Any]) -> SourceLogKey:
        """Load a stored log key (a private P-256 JWK)."""
        return cls(SigningKey.from_private_jwk(jwk))

    def to_private_jwk(self) -> dict[str, str]:
        """The private JWK. Handle as a secret."""
        return self._key.to_private_jwk()

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public JWK the citizen's wallet uses to compute her pseudonyms."""
        return self._key.public_jwk

    def shared_secret(self, holder_public: PublicKey | Mapping[str, Any]) -> bytes:
        """Z, the ECDH secret with this subject's holder key (32 bytes; keep it secret)."""
        return _ecdh(self._private, _public(holder_public))

    def pseudonym(self, holder_public: PublicKey | Mapping[str, Any], batch_no: int) -> bytes:
        """The subject's slot key in batch `batch_no`, from her public holder key."""
        return pseudonym_from_shared_secret(self.shared_secret(holder_public), batch_no)

    def __repr__(self) -> str:
        return f"SourceLogKey(kid={self._key.kid!r})"


def citizen_pseudonym(
    holder_key: SigningKey, source_log_public: PublicKey | Mapping[str, Any], batch_no: int
) -> bytes:
    """The citizen's own slot key in the source's batch `batch_no`, from her private holder key
    and the source's public log key. Equal to `SourceLogKey.pseudonym` for her public key."""
    return pseudonym_from_shared_secret(
        _ecdh(_private(holder_key), _public(source_log_public)), batch_no
    )


def fallback_pseudonym(source_secret: bytes, subject_id: str, batch_no: int) -> bytes:
    """The slot key of a subject whose holder key the source does not know:
    HMAC-SHA256(source_secret, FALLBACK_TAG || subject_id || batch_no as 8 bytes). The subject
    cannot compute it, so she cannot check her slot in that batch. `source_secret` is at least
    32 random bytes the source keeps."""
    if not isinstance(source_secret, bytes) or len(source_secret) < 32:
        raise PseudonymSecretInvalid("the pseudonym secret must be at least 32 bytes")
    # The batch number has a fixed width, so the variable-length subject id before it is
    # unambiguous.
    batch = check_batch_no(batch_no).to_bytes(8, "big")
    message = FALLBACK_TAG + subject_id.encode("utf-8") + batch
    return hmac.new(source_secret, message, hashlib.sha256).digest()
