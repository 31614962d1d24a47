"""Interop with the reference implementation (sd-jwt 0.10.4, test-only dependency), both ways."""

from __future__ import annotations

import time
from typing import Any

import pytest
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from ledger.sdjwt import (
    verify_credential,
)
from tests.sdjwt._harness import (
    AUDIENCE,
    HOLDER_KEY,
    ISSUER,
    ISSUER_KEY,
    NONCE,
    STATUS_URI,
    VCT,
    issue,
    present,
    user_claims,
    verify,
)

REF_ISSUER_KEY = JWK(**ISSUER_KEY.to_private_jwk())
REF_ISSUER_PUBLIC = JWK(**ISSUER_KEY.public_jwk)
REF_HOLDER_KEY = JWK(**HOLDER_KEY.to_private_jwk())

PERSON: dict[str, Any] = {
    "given_name": "Erika",
    "family_name": "Mustermann",
    "birthdate": "1963-08-12",
    "address": {"street_address": "Heidevej 17", "locality": "København", "country": "DK"},
    "nationalities": ["DK", "DE"],
    "degrees": [{"type": "BSc", "year": 2001}, {"type": "MSc", "year": 2003}],
}

# (our claim paths, the reference's claims_to_disclose, the claims the verifier should see)
SELECTIONS: list[tuple[list[str], Any, dict[str, Any]]] = [
    ([], {}, {}),
    (["given_name"], {"given_name": True}, {"given_name": "Erika"}),
    (
        ["address.locality", "nationalities[1]"],
        {"address": {"locality": True}, "nationalities": [False, True]},
        {"address": {"locality": "København"}, "nationalities": ["DE"]},
    ),
    (
        ["degrees[1].type", "birthdate"],
        {"degrees": [False, {"type": True}], "birthdate": True},
        {"degrees": [{"type": "MSc"}], "birthdate": "1963-08-12"},
    ),
    (
        list(PERSON),
        {
            "given_name": True,
            "family_name": True,
            "birthdate": True,
            "address": {"street_address": True, "locality": True, "country": True},
            "nationalities": [True, True],
            "degrees": [{"type": True, "year": True}, {"type": True, "year": True}],
        },
        PERSON,
    ),
]


def _sd(value: Any) -> Any:
    """Mark every object member and array element selectively disclosable, recursively."""
    if isinstance(value, dict):
        return {SDObj(k): _sd(v) for k, v in value.items()}
    if isinstance(value, list):
        return [SDObj(_sd(v)) for v in value]
    return value


def _reference_issue(decoys: bool) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "iat": now - 5,
        "exp": now + 3600,
        "vct": VCT,
        "status": {"status_list": {"idx": 9, "uri": STATUS_URI}},
        **_sd(PERSON),
    }
    issuer = SDJWTIssuer(
        claims,
        REF_ISSUER_KEY,
        REF_HOLDER_KEY,
        add_decoy_claims=decoys,
        extra_header_parameters={"typ": "dc+sd-jwt", "kid": ISSUER_KEY.kid},
    )
    return str(issuer.sd_jwt_issuance)


def _ours_issue() -> str:
    return issue(PERSON, status_idx=9, now=None, exp=int(time.time()) + 3600).compact


def _reference_verify(presentation: str) -> dict[str, Any]:
    verifier = SDJWTVerifier(presentation, lambda iss, header: REF_ISSUER_PUBLIC, AUDIENCE, NONCE)
    return dict(verifier.get_verified_payload())


def _reference_present(compact: str, selection: Any) -> str:
    holder = SDJWTHolder(compact)
    holder.create_presentation(selection, NONCE, AUDIENCE, REF_HOLDER_KEY)
    return str(holder.sd_jwt_presentation)


def _ours_present(compact: str, paths: list[str]) -> str:
    return present(compact, paths, now=None)


def _ours_verify(presentation: str) -> dict[str, Any]:
    return verify(presentation, now=None).claims  # type: ignore[no-any-return]


@pytest.mark.parametrize(("paths", "ref_selection", "expected"), SELECTIONS)
def test_reference_verifies_what_we_issue_and_present(
    paths: list[str], ref_selection: Any, expected: dict[str, Any]
) -> None:
    claims = _reference_verify(_ours_present(_ours_issue(), paths))
    assert user_claims(claims) == expected


@pytest.mark.parametrize("decoys", [False, True])
@pytest.mark.parametrize(("paths", "ref_selection", "expected"), SELECTIONS)
def test_we_verify_what_the_reference_issues_and_presents(
    paths: list[str], ref_selection: Any, expected: dict[str, Any], decoys: bool
) -> None:
    claims = _ours_verify(_reference_present(_reference_issue(decoys), ref_selection))
    assert user_claims(claims) == expected


@pytest.mark.parametrize(("paths", "ref_selection", "expected"), SELECTIONS)
def test_our_holder_presents_a_reference_credential_to_both_verifiers(
    paths: list[str], ref_selection: Any, expected: dict[str, Any]
) -> None:
    presentation = _ours_present(_reference_issue(decoys=True), paths)
    assert user_claims(_ours_verify(presentation)) == expected
    assert user_claims(_reference_verify(presentation)) == expected


@pytest.mark.parametrize(("paths", "ref_selection", "expected"), SELECTIONS)
def test_reference_holder_presents_our_credential_to_both_verifiers(
    paths: list[str], ref_selection: Any, expected: dict[str, Any]
) -> None:
    presentation = _reference_present(_ours_issue(), ref_selection)
    assert user_claims(_ours_verify(presentation)) == expected
    assert user_claims(_reference_verify(presentation)) == expected


def test_our_wallet_imports_a_reference_credential() -> None:
    result = verify_credential(
        _reference_issue(decoys=True),
        issuer_key_resolver=ISSUER_KEY.public_key,
        expected_holder_jwk=HOLDER_KEY.public_jwk,
    )
    assert user_claims(result.claims) == PERSON
    assert result.status is not None and result.status.idx == 9
