"""Keys: JWKs, RFC 7638 thumbprints, storage round trips, ES256 signatures."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jwcrypto.jwk import JWK

from ledger._b64 import b64d, b64e
from ledger.errors import InvalidJwk, InvalidSignature, VerificationError
from ledger.sdjwt import (
    SigningKey,
    UnsafeDeterministicRandom,
    jwk_thumbprint,
    public_key_from_jwk,
    public_key_from_xy,
)
from ledger.sdjwt.jwk import _P256_N, _der_signature


def test_thumbprint_matches_jwcrypto_rfc7638() -> None:
    key = SigningKey.generate()
    expected = JWK(**key.public_jwk).thumbprint()  # base64url SHA-256 per RFC 7638
    assert key.kid == expected
    assert b64e(key.thumbprint) == expected and len(key.thumbprint) == 32
    assert jwk_thumbprint(key.public_jwk) == key.thumbprint


def test_thumbprint_ignores_extra_members() -> None:
    key = SigningKey.generate()
    assert jwk_thumbprint({**key.public_jwk, "kid": "x", "use": "sig"}) == key.thumbprint


def test_private_jwk_round_trips() -> None:
    key = SigningKey.generate()
    again = SigningKey.from_private_jwk(key.to_private_jwk())
    assert again.public_jwk == key.public_jwk and again.kid == key.kid


def test_private_jwk_with_foreign_public_part_is_refused() -> None:
    a, b = SigningKey.generate(), SigningKey.generate()
    with pytest.raises(InvalidJwk):
        SigningKey.from_private_jwk({**b.public_jwk, "d": a.to_private_jwk()["d"]})


def test_seeded_generation_is_deterministic() -> None:
    a = SigningKey.generate(rng=UnsafeDeterministicRandom(5))
    b = SigningKey.generate(rng=UnsafeDeterministicRandom(5))
    assert a.public_jwk == b.public_jwk


def test_public_xy_round_trips_through_the_registry_form() -> None:
    key = SigningKey.generate()
    x, y = key.public_xy
    assert len(x) == len(y) == 32
    assert public_key_from_xy(x, y) == key.public_key
    assert public_key_from_jwk(key.public_jwk) == key.public_key


def test_es256_signature_is_raw_r_s_and_verifies() -> None:
    key = SigningKey.generate()
    sig = key.sign(b"hello")
    assert len(sig) == 64
    key.public_key.verify(sig, b"hello")
    with pytest.raises(InvalidSignature):
        key.public_key.verify(sig, b"hellO")
    with pytest.raises(InvalidSignature):
        key.public_key.verify(sig[:63], b"hello")


@pytest.mark.parametrize(
    ("r", "s"),
    [(1, 1), (0x7F << 248, 0x80 << 248), (0x80, 0xFF << 248), (1 << 200, (1 << 256) - 1), (0, 0)],
)
def test_signature_der_form_matches_the_library_encoder(r: int, s: int) -> None:
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert _der_signature(raw) == encode_dss_signature(r, s)


@pytest.mark.parametrize("r_s", [(0, 1), (1, 0), (_P256_N, 1), (1, _P256_N)])
def test_signature_with_r_or_s_out_of_range_is_refused(r_s: tuple[int, int]) -> None:
    key = SigningKey.generate()
    raw = r_s[0].to_bytes(32, "big") + r_s[1].to_bytes(32, "big")
    with pytest.raises(InvalidSignature):
        key.public_key.verify(raw, b"hello")


def test_signatures_whose_r_or_s_has_leading_zero_bytes_verify() -> None:
    key = SigningKey.generate(rng=UnsafeDeterministicRandom(9))
    found = set()
    for i in range(4000):
        message = i.to_bytes(4, "big")
        sig = key.sign(message)
        for half, name in ((sig[:32], "r"), (sig[32:], "s")):
            if half[0] == 0:
                found.add(name)
                key.public_key.verify(sig, message)
        if found == {"r", "s"}:
            return
    pytest.fail(f"no signature with a leading zero byte in both r and s (found {found})")


@pytest.mark.parametrize(
    "jwk",
    [
        {},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "P-256", "x": b64e(b"\x01" * 32)},
        {"kty": "EC", "crv": "P-256", "x": b64e(b"\x01" * 31), "y": b64e(b"\x01" * 32)},
        {"kty": "EC", "crv": "P-256", "x": b64e(b"\x01" * 32), "y": b64e(b"\x01" * 32)},
        {"kty": "EC", "crv": "P-256", "x": "not base64!", "y": b64e(b"\x01" * 32)},
        {"kty": "EC", "crv": "P-256", "x": ["a"], "y": {"b": 1}},
    ],
)
def test_invalid_jwk_is_refused(jwk: dict[str, str]) -> None:
    with pytest.raises(InvalidJwk):
        public_key_from_jwk(jwk)


def test_invalid_jwk_is_a_verification_error() -> None:
    assert issubclass(InvalidJwk, VerificationError)


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xfe", bytes(range(256))])
def test_base64url_round_trips_without_padding(data: bytes) -> None:
    text = b64e(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert b64d(text) == data
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize(
    "text", ["A", "AB=", "AB+C", "AB/C", "A B", "AAA=", "é", "AB", "AAB", "AAAAAB", "AAAAAAB"]
)
def test_base64url_rejects_padding_foreign_characters_and_non_canonical_forms(text: str) -> None:
    # "AB", "AAB", ...: spare bits set in the last character, so they would decode to the same
    # bytes as "AA", "AAA", ... (a second spelling of one signature or disclosure).
    with pytest.raises(VerificationError):
        b64d(text)
