"""Keys as JWKs: P-256 (ES256) signing keys, public keys, RFC 7638 thumbprints; Ed25519 too.

Public key objects are cached by their coordinates, because loading (and validating) a point is a
sizeable share of a signature verification.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Generic, TypeVar

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ledger._b64 import b64d, b64e, b64e_sha256
from ledger._rand import RandomSource
from ledger.errors import InvalidJwk, InvalidSignature, VerificationError

ES256 = "ES256"
_CURVE = ec.SECP256R1()
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
# Order of the P-256 group.
_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _coord(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise InvalidJwk(f"JWK member {name!r} missing")
    raw = b64d(value, InvalidJwk)
    if len(raw) != 32:
        raise InvalidJwk(f"JWK member {name!r} must encode 32 bytes")
    return raw


def _der_integer(big_endian: bytes) -> bytes:
    value = big_endian.lstrip(b"\0")
    if not value or value[0] & 0x80:
        value = b"\0" + value
    return b"\x02" + bytes((len(value),)) + value


def _der_signature(raw: bytes) -> bytes:
    """A 64-byte r||s signature as the DER `ECDSA-Sig-Value` that `cryptography` verifies. Written
    out, as it is twice as fast as `encode_dss_signature` (integers converted both ways)."""
    body = _der_integer(raw[:32]) + _der_integer(raw[32:])
    return b"\x30" + bytes((len(body),)) + body


class PublicKey:
    """A P-256 public key that verifies ES256 signatures. Build with `public_key_from_jwk`/`_xy`."""

    __slots__ = ("_jwk", "_key", "_kid", "_x", "_y")

    alg = ES256

    def __init__(self, key: ec.EllipticCurvePublicKey, x: bytes, y: bytes) -> None:
        self._key = key
        self._x = x
        self._y = y
        self._jwk = {"kty": "EC", "crv": "P-256", "x": b64e(x), "y": b64e(y)}
        self._kid = b64e(_thumbprint_xy(x, y))

    @property
    def public_xy(self) -> tuple[bytes, bytes]:
        """The 32-byte big-endian x and y coordinates."""
        return self._x, self._y

    @property
    def jwk(self) -> dict[str, str]:
        """The public JWK (kty, crv, x, y); a fresh dict each time."""
        return dict(self._jwk)

    @property
    def thumbprint(self) -> bytes:
        """The raw 32-byte RFC 7638 SHA-256 thumbprint."""
        return _thumbprint_xy(self._x, self._y)

    @property
    def kid(self) -> str:
        """The base64url form of the thumbprint, as used in the JWT header `kid`."""
        return self._kid

    def verify(
        self,
        signature: bytes,
        signing_input: bytes,
        error: type[VerificationError] = InvalidSignature,
    ) -> None:
        """Check a raw r||s ES256 signature over `signing_input`, raising `error` if it fails."""
        if len(signature) != 64:
            raise error("ES256 signature must be 64 bytes")
        try:
            self._key.verify(_der_signature(signature), signing_input, _ECDSA_SHA256)
        except _CryptoInvalidSignature:
            raise error("signature does not verify") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and (self._x, self._y) == (other._x, other._y)

    def __hash__(self) -> int:
        return hash((self._x, self._y))

    def __repr__(self) -> str:
        return f"PublicKey(kid={self.kid!r})"


@lru_cache(maxsize=4096)
def public_key_from_xy(x: bytes, y: bytes) -> PublicKey:
    """Load a P-256 public key from 32-byte x and y (e.g. from the on-chain key registry)."""
    if len(x) != 32 or len(y) != 32:
        raise InvalidJwk("P-256 coordinates must be 32 bytes each")
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, b"\x04" + x + y)
    except ValueError as exc:
        raise InvalidJwk("not a point on P-256") from exc
    return PublicKey(key, x, y)


_BY_JWK: dict[tuple[Any, Any], PublicKey] = {}
_BY_JWK_MAX = 4096


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """Load a public key from a JWK (`kty` EC, `crv` P-256). Private members are ignored."""
    if type(jwk) is not dict and not isinstance(jwk, Mapping):
        raise InvalidJwk("JWK must be a JSON object")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise InvalidJwk("only EC P-256 keys are supported")
    cache_key = (jwk.get("x"), jwk.get("y"))
    if type(cache_key[0]) is not str or type(cache_key[1]) is not str:
        raise InvalidJwk("JWK members 'x' and 'y' must be strings")
    key = _BY_JWK.get(cache_key)
    if key is None:
        key = public_key_from_xy(_coord(jwk, "x"), _coord(jwk, "y"))
        if len(_BY_JWK) >= _BY_JWK_MAX:
            _BY_JWK.clear()
        _BY_JWK[cache_key] = key
    return key


@lru_cache(maxsize=4096)
def _thumbprint_xy(x: bytes, y: bytes) -> bytes:
    canonical = f'{{"crv":"P-256","kty":"EC","x":"{b64e(x)}","y":"{b64e(y)}"}}'
    return hashlib.sha256(canonical.encode("ascii")).digest()


def jwk_thumbprint(jwk: Mapping[str, Any]) -> bytes:
    """The raw 32-byte RFC 7638 SHA-256 thumbprint of a P-256 JWK."""
    key = public_key_from_jwk(jwk)
    return key.thumbprint


_Public = TypeVar("_Public", bound="PublicKey | Ed25519PublicKey")


class _KeyPair(Generic[_Public]):
    """What a signing key tells about itself, all read from its public half `_public`.

    The ES256 and EdDSA signing keys share these; `__slots__` stays empty so that each subclass
    keeps its own slots and no instance grows a `__dict__`.
    """

    __slots__ = ()

    _public: _Public

    @property
    def public_key(self) -> _Public:
        """The matching public key."""
        return self._public

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public JWK (kty, crv, x, and for P-256 y)."""
        return self._public.jwk

    @property
    def thumbprint(self) -> bytes:
        """The raw 32-byte RFC 7638 thumbprint (for P-256, the on-chain `bytes32 kid`)."""
        return self._public.thumbprint

    @property
    def kid(self) -> str:
        """The base64url thumbprint, used as the JWT header `kid`."""
        return self._public.kid


class SigningKey(_KeyPair[PublicKey]):
    """A P-256 private key signing ES256. Keep it secret; store with `to_private_jwk`."""

    __slots__ = ("_key", "_public")

    alg = ES256

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(key.curve, ec.SECP256R1):
            raise InvalidJwk("only P-256 signing keys are supported")
        self._key = key
        nums = key.public_key().public_numbers()
        self._public = public_key_from_xy(nums.x.to_bytes(32, "big"), nums.y.to_bytes(32, "big"))

    @classmethod
    def generate(cls, *, rng: RandomSource | None = None) -> SigningKey:
        """A fresh key. `rng` is for deterministic tests only; production leaves it to the OS."""
        if rng is None:
            return cls(ec.generate_private_key(_CURVE))
        scalar = 1 + int.from_bytes(rng.token_bytes(40), "big") % (_P256_N - 1)
        return cls(ec.derive_private_key(scalar, _CURVE))

    @classmethod
    def from_private_jwk(cls, jwk: Mapping[str, Any]) -> SigningKey:
        """Load from a private JWK (with `d`); checks that `x`/`y` match `d`."""
        public = public_key_from_jwk(jwk)
        d = jwk.get("d")
        if not isinstance(d, str):
            raise InvalidJwk("private JWK member 'd' missing")
        scalar = int.from_bytes(b64d(d, InvalidJwk), "big")
        if not 0 < scalar < _P256_N:
            raise InvalidJwk("private scalar out of range")
        key = cls(ec.derive_private_key(scalar, _CURVE))
        if key.public_key != public:
            raise InvalidJwk("private JWK's public part does not match 'd'")
        return key

    def to_private_jwk(self) -> dict[str, str]:
        """The private JWK (includes `d`). Handle as a secret."""
        d = self._key.private_numbers().private_value.to_bytes(32, "big")
        return {**self._public.jwk, "d": b64e(d)}

    @property
    def public_xy(self) -> tuple[bytes, bytes]:
        """The 32-byte x and y coordinates, as the on-chain key registry stores them."""
        return self._public.public_xy

    def sign(self, signing_input: bytes) -> bytes:
        """Sign with ES256 and return the raw 64-byte r||s signature."""
        r, s = decode_dss_signature(self._key.sign(signing_input, _ECDSA_SHA256))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"


# ---------------------------------------------------------------------------------------------
# Ed25519 (EdDSA, RFC 8037): optional alongside the ES256 default.
# ---------------------------------------------------------------------------------------------

EDDSA = "EdDSA"


class Ed25519PublicKey:
    """An Ed25519 public key that verifies EdDSA signatures. Build with `verifying_key_from_jwk`."""

    __slots__ = ("_jwk", "_key", "_kid", "_raw")

    alg = EDDSA

    def __init__(self, raw: bytes) -> None:
        try:
            self._key = ed25519.Ed25519PublicKey.from_public_bytes(raw)
        except ValueError as exc:
            raise InvalidJwk("not an Ed25519 public key") from exc
        self._raw = raw
        self._jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64e(raw)}
        canonical = f'{{"crv":"Ed25519","kty":"OKP","x":"{b64e(raw)}"}}'
        self._kid = b64e_sha256(canonical.encode("ascii"))

    @property
    def jwk(self) -> dict[str, str]:
        """The public JWK (kty OKP, crv Ed25519, x); a fresh dict each time."""
        return dict(self._jwk)

    @property
    def thumbprint(self) -> bytes:
        """The raw 32-byte RFC 7638 SHA-256 thumbprint."""
        return b64d(self._kid)

    @property
    def kid(self) -> str:
        """The base64url thumbprint."""
        return self._kid

    def verify(
        self,
        signature: bytes,
        signing_input: bytes,
        error: type[VerificationError] = InvalidSignature,
    ) -> None:
        """Check an EdDSA signature over `signing_input`, raising `error` if it fails."""
        try:
            self._key.verify(signature, signing_input)
        except _CryptoInvalidSignature:
            raise error("signature does not verify") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ed25519PublicKey) and self._raw == other._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return f"Ed25519PublicKey(kid={self._kid!r})"


class Ed25519SigningKey(_KeyPair[Ed25519PublicKey]):
    """An Ed25519 private key signing EdDSA. Keep it secret; store with `to_private_jwk`."""

    __slots__ = ("_key", "_public")

    alg = EDDSA

    def __init__(self, key: ed25519.Ed25519PrivateKey) -> None:
        self._key = key
        self._public = Ed25519PublicKey(key.public_key().public_bytes_raw())

    @classmethod
    def generate(cls, *, rng: RandomSource | None = None) -> Ed25519SigningKey:
        """A fresh key. `rng` is for deterministic tests only."""
        if rng is None:
            return cls(ed25519.Ed25519PrivateKey.generate())
        return cls(ed25519.Ed25519PrivateKey.from_private_bytes(rng.token_bytes(32)))

    @classmethod
    def from_private_jwk(cls, jwk: Mapping[str, Any]) -> Ed25519SigningKey:
        """Load from a private OKP JWK (with `d`); checks that `x` matches `d`."""
        public = verifying_key_from_jwk(jwk)
        d = jwk.get("d")
        if not isinstance(d, str):
            raise InvalidJwk("private JWK member 'd' missing")
        raw = b64d(d, InvalidJwk)
        if len(raw) != 32:
            raise InvalidJwk("Ed25519 private key must be 32 bytes")
        key = cls(ed25519.Ed25519PrivateKey.from_private_bytes(raw))
        if key.public_key != public:
            raise InvalidJwk("private JWK's public part does not match 'd'")
        return key

    def to_private_jwk(self) -> dict[str, str]:
        """The private JWK (includes `d`). Handle as a secret."""
        return {**self._public.jwk, "d": b64e(self._key.private_bytes_raw())}

    def sign(self, signing_input: bytes) -> bytes:
        """Sign with EdDSA (64-byte signature)."""
        return self._key.sign(signing_input)

    def __repr__(self) -> str:
        return f"Ed25519SigningKey(kid={self.kid!r})"


VerifyingKey = PublicKey | Ed25519PublicKey
"""Any public key a signature can be checked with (ES256 or EdDSA)."""
AnySigningKey = SigningKey | Ed25519SigningKey
"""Any key a JWS can be signed with (ES256 or EdDSA)."""


def verifying_key_from_jwk(jwk: Mapping[str, Any]) -> VerifyingKey:
    """Load a P-256 (EC) or Ed25519 (OKP) public key from a JWK."""
    # `type(...) is dict` first: JWKs are parsed JSON, and an ABC isinstance check is slow.
    if (type(jwk) is dict or isinstance(jwk, Mapping)) and jwk.get("kty") == "OKP":
        if jwk.get("crv") != "Ed25519":
            raise InvalidJwk("only the Ed25519 OKP curve is supported")
        x = jwk.get("x")
        if not isinstance(x, str):
            raise InvalidJwk("JWK member 'x' missing")
        raw = b64d(x, InvalidJwk)
        if len(raw) != 32:
            raise InvalidJwk("Ed25519 'x' must encode 32 bytes")
        return Ed25519PublicKey(raw)
    return public_key_from_jwk(jwk)
