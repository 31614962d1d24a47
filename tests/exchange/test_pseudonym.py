"""The per-batch pseudonym: the source and the citizen compute the same one, nobody else can."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ledger._b64 import b64d
from ledger._rand import UnsafeDeterministicRandom
from ledger.errors import BatchNumberInvalid, InvalidJwk, PseudonymSecretInvalid
from ledger.exchange.pseudonym import (
    FALLBACK_TAG,
    MAX_BATCH_NO,
    PSEUDONYM_TAG,
    SourceLogKey,
    citizen_pseudonym,
    fallback_pseudonym,
    pseudonym_from_shared_secret,
)
from ledger.sdjwt.jwk import SigningKey

SECRET = b"s" * 32


@pytest.fixture(scope="module")
def log_key() -> SourceLogKey:
    return SourceLogKey.generate(rng=UnsafeDeterministicRandom(1))


@pytest.fixture(scope="module")
def holder() -> SigningKey:
    return SigningKey.generate(rng=UnsafeDeterministicRandom(2))


def test_source_and_citizen_compute_the_same_pseudonym(
    log_key: SourceLogKey, holder: SigningKey
) -> None:
    for batch_no in (1, 2, 77, MAX_BATCH_NO):
        by_source = log_key.pseudonym(holder.public_jwk, batch_no)
        by_citizen = citizen_pseudonym(holder, log_key.public_jwk, batch_no)
        assert by_source == by_citizen
        assert len(by_source) == 32
    # The public key objects work as well as the JWKs.
    assert log_key.pseudonym(holder.public_key, 5) == citizen_pseudonym(
        holder, SigningKey.from_private_jwk(log_key.to_private_jwk()).public_key, 5
    )


def test_the_pseudonym_is_the_shared_designs_formula(
    log_key: SourceLogKey, holder: SigningKey
) -> None:
    d = int.from_bytes(b64d(log_key.to_private_jwk()["d"]), "big")
    x, y = holder.public_xy
    z = ec.derive_private_key(d, ec.SECP256R1()).exchange(
        ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    )
    expected = hashlib.sha256(b"ledger.exchange.pseudonym.v1" + z + (9).to_bytes(8, "big"))
    assert PSEUDONYM_TAG == b"ledger.exchange.pseudonym.v1"
    assert log_key.pseudonym(holder.public_jwk, 9) == expected.digest()
    assert pseudonym_from_shared_secret(log_key.shared_secret(holder.public_jwk), 9) == (
        expected.digest()
    )


def test_another_batch_gives_another_pseudonym(log_key: SourceLogKey, holder: SigningKey) -> None:
    pseudonyms = {log_key.pseudonym(holder.public_jwk, b) for b in range(1, 51)}
    assert len(pseudonyms) == 50


def test_another_key_pair_gives_another_pseudonym(
    log_key: SourceLogKey, holder: SigningKey
) -> None:
    other_holder = SigningKey.generate(rng=UnsafeDeterministicRandom(3))
    other_source = SourceLogKey.generate(rng=UnsafeDeterministicRandom(4))
    mine = log_key.pseudonym(holder.public_jwk, 1)
    assert log_key.pseudonym(other_holder.public_jwk, 1) != mine
    assert other_source.pseudonym(holder.public_jwk, 1) != mine
    # Her own key with another source's log key, and another holder with the right log key.
    assert citizen_pseudonym(holder, other_source.public_jwk, 1) != mine
    assert citizen_pseudonym(other_holder, log_key.public_jwk, 1) != mine


def test_a_stored_log_key_loads_back(log_key: SourceLogKey, holder: SigningKey) -> None:
    again = SourceLogKey.from_private_jwk(log_key.to_private_jwk())
    assert again.pseudonym(holder.public_jwk, 3) == log_key.pseudonym(holder.public_jwk, 3)
    assert "d" not in log_key.public_jwk
    assert "kid=" in repr(log_key) and log_key.to_private_jwk()["d"] not in repr(log_key)


@pytest.mark.parametrize("batch_no", [0, -1, MAX_BATCH_NO + 1, True, 1.0, "1"])
def test_a_batch_number_out_of_range_is_refused(
    log_key: SourceLogKey, holder: SigningKey, batch_no: object
) -> None:
    with pytest.raises(BatchNumberInvalid):
        log_key.pseudonym(holder.public_jwk, batch_no)  # type: ignore[arg-type]
    with pytest.raises(BatchNumberInvalid):
        citizen_pseudonym(holder, log_key.public_jwk, batch_no)  # type: ignore[arg-type]
    with pytest.raises(BatchNumberInvalid):
        fallback_pseudonym(SECRET, "010190-1234", batch_no)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "OKP", "crv": "Ed25519", "x": "AA"},
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
        {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43},  # not on the curve
    ],
)
def test_a_holder_key_that_is_not_a_p256_point_is_refused(
    log_key: SourceLogKey, holder: SigningKey, jwk: dict[str, str]
) -> None:
    with pytest.raises(InvalidJwk):
        log_key.pseudonym(jwk, 1)
    with pytest.raises(InvalidJwk):
        citizen_pseudonym(holder, jwk, 1)


def test_the_fallback_is_a_keyed_hash_of_subject_and_batch() -> None:
    p = fallback_pseudonym(SECRET, "010190-1234", 4)
    expected = hmac.new(SECRET, FALLBACK_TAG + b"010190-1234" + (4).to_bytes(8, "big"), "sha256")
    assert p == expected.digest()
    assert fallback_pseudonym(SECRET, "010190-1234", 5) != p
    assert fallback_pseudonym(SECRET, "010190-1235", 4) != p
    assert fallback_pseudonym(b"t" * 32, "010190-1234", 4) != p


def test_a_short_fallback_secret_is_refused() -> None:
    with pytest.raises(PseudonymSecretInvalid) as info:
        fallback_pseudonym(b"s" * 31, "010190-1234", 1)
    assert "1234" not in str(info.value)
