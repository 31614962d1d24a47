"""Token Status List (draft-ietf-oauth-status-list): bit-packed statuses and Status List Tokens.

Entries of 1, 2, 4 or 8 bits, packed least-significant bit first, DEFLATE in ZLIB format,
base64url. Status values: 0 valid, 1 invalid (revoked), 2 suspended.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger._b64 import b64d, b64e
from ledger.errors import (
    CredentialExpired,
    CredentialNotYetValid,
    IssuedInFuture,
    MissingClaim,
    OversizedInput,
    StatusListError,
)
from ledger.sdjwt._compact import DEFAULT_MAX_SIZE
from ledger.sdjwt.jwk import AnySigningKey, Ed25519PublicKey, PublicKey, VerifyingKey
from ledger.sdjwt.jws import parse_compact, sign_compact
from ledger.sdjwt.verifier import IssuerKeyResolver

STATUS_LIST_TYP = "statuslist+jwt"
VALID, INVALID, SUSPENDED = 0, 1, 2
ALLOWED_BITS = (1, 2, 4, 8)
DEFAULT_MAX_BYTES = 16 * 1024 * 1024  # decompressed; refuses zlib bombs


class StatusList:
    """A mutable list of `size` statuses of `bits` bits each."""

    __slots__ = ("_bits", "_buf", "_size")

    def __init__(self, bits: int, size: int) -> None:
        if bits not in ALLOWED_BITS:
            raise StatusListError(f"bits must be one of {ALLOWED_BITS}")
        if size < 0:
            raise StatusListError("size must be >= 0")
        self._bits = bits
        self._size = size
        self._buf = bytearray((size * bits + 7) // 8)

    @classmethod
    def from_bytes(cls, bits: int, raw: bytes) -> StatusList:
        """A list over the uncompressed packed bytes (size = all entries the bytes hold)."""
        out = cls(bits, 0)
        out._buf = bytearray(raw)
        out._size = len(raw) * 8 // bits
        return out

    @property
    def bits(self) -> int:
        """Bits per entry."""
        return self._bits

    @property
    def size(self) -> int:
        """Number of entries."""
        return self._size

    def _locate(self, idx: int) -> tuple[int, int]:
        if not isinstance(idx, int) or not 0 <= idx < self._size:
            raise StatusListError(f"index {idx!r} outside the list of {self._size}")
        bit = idx * self._bits
        return bit >> 3, bit & 7

    def get(self, idx: int) -> int:
        """The status at `idx`."""
        byte, shift = self._locate(idx)
        return (self._buf[byte] >> shift) & ((1 << self._bits) - 1)

    def set(self, idx: int, value: int) -> None:
        """Set the status at `idx` to `value` (0 .. 2**bits - 1)."""
        mask = (1 << self._bits) - 1
        if not isinstance(value, int) or not 0 <= value <= mask:
            raise StatusListError(f"status {value!r} does not fit in {self._bits} bits")
        byte, shift = self._locate(idx)
        self._buf[byte] = (self._buf[byte] & ~(mask << shift)) | (value << shift)

    def to_bytes(self) -> bytes:
        """The uncompressed packed bytes."""
        return bytes(self._buf)

    def encode(self) -> dict[str, Any]:
        """The JSON `status_list` object: `{"bits": n, "lst": base64url(zlib(bytes))}`."""
        return {"bits": self._bits, "lst": b64e(zlib.compress(bytes(self._buf), 9))}

    @classmethod
    def decode(cls, obj: Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES) -> StatusList:
        """Parse a JSON `status_list` object; refuses more than `max_bytes` decompressed."""
        if not isinstance(obj, Mapping):
            raise StatusListError("status_list must be an object")
        bits, lst = obj.get("bits"), obj.get("lst")
        if bits not in ALLOWED_BITS or isinstance(bits, bool) or not isinstance(lst, str):
            raise StatusListError("status_list needs bits in (1, 2, 4, 8) and a string lst")
        try:
            inflater = zlib.decompressobj()
            raw = inflater.decompress(b64d(lst, StatusListError), max_bytes)
            if inflater.unconsumed_tail or not inflater.eof:
                raise StatusListError("status list too large or truncated")
        except zlib.error as exc:
            raise StatusListError("status list is not valid zlib data") from exc
        return cls.from_bytes(int(bits), raw)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StatusList) and (self._bits, self._size, self._buf) == (
            other._bits,
            other._size,
            other._buf,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StatusList(bits={self._bits}, size={self._size})"


def issue_status_list_token(
    status_list: StatusList,
    *,
    signing_key: AnySigningKey,
    uri: str,
    issuer: str | None = None,
    now: int | None = None,
    exp: int | None = None,
    ttl: int | None = None,
) -> str:
    """Sign a Status List Token (JWT, `typ` statuslist+jwt) with `sub` = `uri`."""
    payload: dict[str, Any] = {"sub": uri, "iat": int(time.time()) if now is None else int(now)}
    if issuer is not None:
        payload["iss"] = issuer
    if exp is not None:
        payload["exp"] = int(exp)
    if ttl is not None:
        if ttl <= 0:
            raise StatusListError("ttl must be positive")
        payload["ttl"] = int(ttl)
    payload["status_list"] = status_list.encode()
    header = {"typ": STATUS_LIST_TYP, "kid": signing_key.kid}
    return sign_compact(header, payload, signing_key)


@dataclass(frozen=True, slots=True)
class VerifiedStatusList:
    """A Status List Token that passed its checks."""

    status_list: StatusList
    uri: str
    issuer: str | None
    iat: int
    exp: int | None
    ttl: int | None


def verify_status_list_token(
    token: str,
    *,
    issuer_key_resolver: IssuerKeyResolver | VerifyingKey,
    expected_uri: str,
    expected_issuer: str | None = None,
    now: int | None = None,
    clock_skew: int = 60,
    max_size: int = DEFAULT_MAX_SIZE * 64,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> VerifiedStatusList:
    """Verify a Status List Token: typ, alg, signature, `sub` == `expected_uri`, iat/exp/nbf."""
    if not isinstance(token, str) or len(token) > max_size:
        raise OversizedInput("status list token too large")
    jws = parse_compact(token)
    jws.check_header(STATUS_LIST_TYP)
    iss = jws.unverified_payload.get("iss")
    if iss is not None and not isinstance(iss, str):
        raise MissingClaim("iss must be a string")
    kid = jws.unverified_header.get("kid")
    key = (
        issuer_key_resolver
        if isinstance(issuer_key_resolver, (PublicKey, Ed25519PublicKey))
        else issuer_key_resolver(kid if isinstance(kid, str) else "", iss or "")
    )
    payload = jws.verify(key)
    if payload.get("sub") != expected_uri:
        raise StatusListError("status list token sub is not the expected uri")
    if expected_issuer is not None and iss != expected_issuer:
        raise StatusListError("status list token iss is not the expected issuer")
    now_s = int(time.time()) if now is None else int(now)
    # NumericDates (RFC 7519 §2) and `ttl` are JSON numbers, not necessarily integers.
    iat, exp, nbf, ttl = (_number(payload, name) for name in ("iat", "exp", "nbf", "ttl"))
    if iat is None:
        raise MissingClaim("status list token needs iat")
    if iat > now_s + clock_skew:
        raise IssuedInFuture("status list token iat is in the future")
    if exp is not None and now_s >= exp + clock_skew:
        raise CredentialExpired("status list token has expired")
    if nbf is not None and nbf > now_s + clock_skew:
        raise CredentialNotYetValid("status list token is not valid yet")
    if ttl is not None and ttl <= 0:
        raise StatusListError("ttl must be positive")
    lst = StatusList.decode(payload.get("status_list"), max_bytes=max_bytes)  # type: ignore[arg-type]
    return VerifiedStatusList(
        lst, expected_uri, iss, int(iat), _int_or_none(exp), _int_or_none(ttl)
    )


def _number(payload: Mapping[str, Any], name: str) -> int | float | None:
    value = payload.get(name)
    if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        raise MissingClaim(f"{name} must be a number")
    return value


def _int_or_none(value: int | float | None) -> int | None:
    # Fractions are rounded down: for `ttl` and `exp`, holding a token longer is the unsafe side.
    return None if value is None else int(value)
