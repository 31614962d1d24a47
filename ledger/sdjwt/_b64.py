"""Strict base64url without padding (RFC 7515 §2)."""

from __future__ import annotations

import base64
import binascii
import re

from ledger.errors import MalformedSerialization, VerificationError

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64e(data: bytes) -> str:
    """Encode bytes as unpadded base64url text."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str, error: type[VerificationError] = MalformedSerialization) -> bytes:
    """Decode unpadded base64url text, rejecting padding and foreign characters with `error`."""
    if len(text) % 4 == 1 or _B64URL.fullmatch(text) is None:
        raise error("invalid base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - guarded by the regex
        raise error("invalid base64url") from exc
