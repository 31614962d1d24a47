"""Compact JWS (RFC 7515) with a strict algorithm allow-list: ES256 and EdDSA, never `none`."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from ledger._b64 import b64d, b64e
from ledger.errors import (
    InvalidSignature,
    MalformedSerialization,
    UnexpectedTokenType,
    UnsupportedAlgorithm,
    VerificationError,
)
from ledger.sdjwt import _json
from ledger.sdjwt.jwk import AnySigningKey, VerifyingKey

ALLOWED_ALGS = frozenset({"ES256", "EdDSA"})


@lru_cache(maxsize=256)
def encoded_header(members: tuple[tuple[str, str], ...]) -> str:
    """The first segment of a compact JWS with these string-valued header members, `alg` first;
    cached, as a signer repeats its header."""
    return b64e(_json.dumps(dict(members)))


def sign_compact(header: dict[str, Any], payload: dict[str, Any], key: AnySigningKey) -> str:
    """Serialize and sign a compact JWS; `alg` is set from the key."""
    members = (("alg", key.alg), *header.items())
    # Only all-string headers are cached: as cache keys, 1 and True (or 1.0) would be one header.
    if all(type(value) is str for value in header.values()):
        return sign_with_header(encoded_header(members), payload, key)
    return sign_with_header(b64e(_json.dumps(dict(members))), payload, key)


def sign_with_header(header_segment: str, payload: dict[str, Any], key: AnySigningKey) -> str:
    """Sign a compact JWS whose header is already encoded (`encoded_header`), naming `key.alg`."""
    signing_input = header_segment + "." + b64e(_json.dumps(payload))
    return signing_input + "." + b64e(key.sign(signing_input.encode("ascii")))


def _same_media_type(actual: Any, typ: str) -> bool:
    """Whether header `typ` names the media type `typ` (lower case, no `application/`).

    RFC 7515 §4.1.9: media types are case-insensitive and `application/` may be written or
    omitted, so `application/dc+sd-jwt` and `DC+SD-JWT` are the same type as `dc+sd-jwt`.
    """
    if type(actual) is not str:
        return False
    text: str = actual.lower()
    if text.startswith("application/"):
        text = text[len("application/") :]
    return text == typ


class UnverifiedJws(NamedTuple):
    """A compact JWS split and decoded, its signature NOT checked. (A named tuple: two are built
    per verification, and it is several times cheaper to build than a frozen dataclass.)"""

    unverified_header: dict[str, Any]
    unverified_payload: dict[str, Any]
    signing_input: bytes
    signature: bytes

    def check_header(self, typ: str, *also: str) -> None:
        """Check `alg` is allowed, no `crit` extension is asked for, and `typ` names `typ` (or
        one of the media types `also`)."""
        alg = self.unverified_header.get("alg")
        if alg not in ALLOWED_ALGS:
            raise UnsupportedAlgorithm(f"alg {alg!r} is not allowed")
        if "crit" in self.unverified_header:
            raise UnsupportedAlgorithm("critical header extensions are not supported")
        actual = self.unverified_header.get("typ")
        if actual != typ and not any(_same_media_type(actual, t) for t in (typ, *also)):
            names = " or ".join(repr(t) for t in (typ, *also))
            raise UnexpectedTokenType(f"typ must be {names}, got {actual!r}")

    def verify(
        self, key: VerifyingKey, error: type[VerificationError] = InvalidSignature
    ) -> dict[str, Any]:
        """Check the signature with `key`; return the (now verified) payload."""
        if self.unverified_header.get("alg") != key.alg:
            raise UnsupportedAlgorithm("alg does not match the key type")
        key.verify(self.signature, self.signing_input, error)
        return self.unverified_payload


@lru_cache(maxsize=256)
def _decoded_header(segment: str) -> dict[str, Any]:
    """A header segment decoded; cached, as every JWS of one signer repeats its header. Callers
    copy the result (it is shared)."""
    header = _json.loads(b64d(segment))
    if not isinstance(header, dict):
        raise MalformedSerialization("JWS header and payload must be JSON objects")
    return header


def parse_compact(token: str) -> UnverifiedJws:
    """Split and decode a compact JWS whose header and payload are JSON objects. Unverified."""
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedSerialization("a compact JWS has three parts")
    header = dict(_decoded_header(parts[0]))
    payload = _json.loads(b64d(parts[1]))
    if not isinstance(payload, dict):
        raise MalformedSerialization("JWS header and payload must be JSON objects")
    return UnverifiedJws(
        header, payload, (parts[0] + "." + parts[1]).encode("ascii"), b64d(parts[2])
    )
