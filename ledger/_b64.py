"""Strict base64url without padding (RFC 7515 §2), on binascii for speed: the one base64url
codec of the package (JWS, disclosures, JWKs, key ids, status lists, request nonces)."""

from __future__ import annotations

import binascii
import hashlib

from ledger.errors import LedgerError, MalformedSerialization

# To the standard alphabet; '+', '/' and '=' become '!' so strict decoding rejects them.
_FROM_URL = bytes.maketrans(b"-_+/=", b"+/!!!")
_TO_URL = bytes.maketrans(b"+/", b"-_")
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_PADDING = (b"", b"===", b"==", b"=")  # by len % 4 (1 is invalid either way)
# By len % 4, the byte values a last character may have: the bits it carries beyond the data must
# be zero (canonical form), so that no two strings decode to the same bytes (no malleable
# signatures or disclosures). Other bytes are refused by the decoder anyway.
_CANONICAL_LAST: tuple[frozenset[int], ...] = (
    frozenset(_ALPHABET),
    frozenset(),
    frozenset(c for i, c in enumerate(_ALPHABET) if not i & 0xF),
    frozenset(c for i, c in enumerate(_ALPHABET) if not i & 0x3),
)


def b64e(data: bytes) -> str:
    """Encode bytes as unpadded base64url text."""
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_TO_URL).decode()


def b64e_bytes(data: bytes) -> bytes:
    """Encode bytes as unpadded base64url, as ASCII bytes."""
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_TO_URL)


def b64e_sha256(data: bytes) -> str:
    """The base64url SHA-256 digest of `data` (43 characters): disclosure digests, `sd_hash`,
    thumbprints."""
    return (
        binascii.b2a_base64(hashlib.sha256(data).digest(), newline=False)[:43]
        .translate(_TO_URL)
        .decode()
    )


def b64e_with_sha256(data: bytes) -> tuple[str, str]:
    """(`data` as base64url text, `b64e_sha256` of that text): a disclosure and its digest."""
    encoded = b64e_bytes(data)
    return encoded.decode(), b64e_sha256(encoded)


def b64d(text: str, error: type[LedgerError] = MalformedSerialization) -> bytes:
    """Decode canonical unpadded base64url; anything else (padding, foreign characters, non-zero
    spare bits) raises `error`."""
    try:
        return b64d_ascii(text.encode("ascii"), error)
    except (UnicodeEncodeError, AttributeError) as exc:
        raise error("invalid base64url") from exc


def b64d_ascii(data: bytes, error: type[LedgerError] = MalformedSerialization) -> bytes:
    """`b64d` for text already encoded as ASCII bytes."""
    rest = len(data) & 3
    try:
        decoded = binascii.a2b_base64(data.translate(_FROM_URL) + _PADDING[rest], strict_mode=True)
    except binascii.Error as exc:
        raise error("invalid base64url") from exc
    if data and data[-1] not in _CANONICAL_LAST[rest]:
        raise error("non-canonical base64url")
    return decoded
