"""Strict base64url without padding (RFC 7515 §2), on binascii for speed."""

from __future__ import annotations

import binascii

from ledger.errors import MalformedSerialization, VerificationError

# To the standard alphabet; '+', '/' and '=' become '!' so strict decoding rejects them.
_FROM_URL = bytes.maketrans(b"-_+/=", b"+/!!!")
_TO_URL = bytes.maketrans(b"+/", b"-_")


def b64e(data: bytes) -> str:
    """Encode bytes as unpadded base64url text."""
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_TO_URL).decode()


def b64d(text: str, error: type[VerificationError] = MalformedSerialization) -> bytes:
    """Decode unpadded base64url text, rejecting padding and foreign characters with `error`."""
    try:
        raw = text.encode("ascii").translate(_FROM_URL)
        return binascii.a2b_base64(raw + b"=" * (-len(raw) % 4), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError) as exc:
        raise error("invalid base64url") from exc
