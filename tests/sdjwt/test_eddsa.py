"""EdDSA (Ed25519) keys, optional beside the ES256 default."""

from __future__ import annotations

from typing import Any

import pytest
from jwcrypto.jwk import JWK

from ledger._b64 import b64e
from ledger.errors import InvalidJwk, KeyBindingSignatureInvalid, UnsupportedAlgorithm
from ledger.sdjwt import (
    Ed25519SigningKey,
    UnsafeDeterministicRandom,
    create_presentation,
    issue_sd_jwt_vc,
    verify_presentation,
    verifying_key_from_jwk,
)
from ledger.sdjwt.jws import parse_compact
from tests.sdjwt._harness import AUDIENCE, HOLDER_KEY, ISSUER, ISSUER_KEY, NONCE, NOW, VCT

ED_ISSUER = Ed25519SigningKey.generate(rng=UnsafeDeterministicRandom("ed-issuer"))
ED_HOLDER = Ed25519SigningKey.generate(rng=UnsafeDeterministicRandom("ed-holder"))


def _round_trip(issuer: Any, holder: Any) -> Any:
    compact = issue_sd_jwt_vc(
        {"given_name": "Erika", "age": 61},
        signing_key=issuer,
        issuer=ISSUER,
        vct=VCT,
        holder_jwk=holder.public_jwk,
        status_idx=0,
        status_uri="u",
        now=NOW,
    ).compact
    presentation = create_presentation(
        compact, disclose=["age"], holder_key=holder, audience=AUDIENCE, nonce=NONCE, now=NOW
    )
    return presentation, verify_presentation(
        presentation,
        issuer_key_resolver=issuer.public_key,
        expected_audience=AUDIENCE,
        expected_nonce=NONCE,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("issuer", "holder"),
    [(ED_ISSUER, ED_HOLDER), (ED_ISSUER, HOLDER_KEY), (ISSUER_KEY, ED_HOLDER)],
    ids=["eddsa-eddsa", "eddsa-es256", "es256-eddsa"],
)
def test_eddsa_issuers_and_holders_round_trip(issuer: Any, holder: Any) -> None:
    presentation, result = _round_trip(issuer, holder)
    assert result.claims["age"] == 61 and "given_name" not in result.claims
    assert parse_compact(presentation.split("~")[0]).unverified_header["alg"] == issuer.alg
    assert result.holder_jwk == holder.public_jwk


def test_eddsa_thumbprint_matches_jwcrypto() -> None:
    assert ED_ISSUER.kid == JWK(**ED_ISSUER.public_jwk).thumbprint()


def test_eddsa_private_jwk_round_trips() -> None:
    again = Ed25519SigningKey.from_private_jwk(ED_HOLDER.to_private_jwk())
    assert again.public_jwk == ED_HOLDER.public_jwk
    with pytest.raises(InvalidJwk):
        Ed25519SigningKey.from_private_jwk(
            {**ED_ISSUER.public_jwk, "d": ED_HOLDER.to_private_jwk()["d"]}
        )


def test_alg_must_match_the_key_type() -> None:
    presentation, _ = _round_trip(ED_ISSUER, ED_HOLDER)
    with pytest.raises(UnsupportedAlgorithm):  # an EdDSA JWT checked with an ES256 key
        verify_presentation(
            presentation,
            issuer_key_resolver=ISSUER_KEY.public_key,
            expected_audience=AUDIENCE,
            expected_nonce=NONCE,
            now=NOW,
        )


def test_kb_by_another_ed25519_key_is_refused() -> None:
    presentation, _ = _round_trip(ED_ISSUER, ED_HOLDER)
    other = Ed25519SigningKey.generate()
    sd_jwt = presentation[: presentation.rindex("~") + 1]
    kb = presentation.rsplit("~", 1)[1]
    header, payload, _ = kb.split(".")
    forged = (
        sd_jwt + header + "." + payload + "." + b64e(other.sign(f"{header}.{payload}".encode()))
    )
    with pytest.raises(KeyBindingSignatureInvalid):
        verify_presentation(
            forged,
            issuer_key_resolver=ED_ISSUER.public_key,
            expected_audience=AUDIENCE,
            expected_nonce=NONCE,
            now=NOW,
        )


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "OKP", "crv": "X25519", "x": "AA"},
        {"kty": "OKP", "crv": "Ed25519"},
        {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
    ],
)
def test_invalid_okp_jwks_are_refused(jwk: dict[str, str]) -> None:
    with pytest.raises(InvalidJwk):
        verifying_key_from_jwk(jwk)
