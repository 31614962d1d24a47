"""SD-JWT VC credentials: RFC 9901 SD-JWT, SD-JWT VC, Key Binding JWT and Token Status Lists.

No chain dependency. Citizen- and agency-facing calls have no algorithm knobs: the key decides
(ES256 by default, EdDSA/Ed25519 optional), SHA-256 digests, 144-bit salts from `secrets`.

    issued = issue_sd_jwt_vc(claims, signing_key=agency_key, issuer=iss, vct=vct,
                             holder_jwk=holder.public_jwk, status_idx=i, status_uri=uri)
    issued.digest                      # sha256(issuer JWT): what goes on chain
    presentation = create_presentation(issued.compact, disclose=["address.locality"],
                                       holder_key=holder, audience=aud, nonce=nonce)
    result = verify_presentation(presentation, issuer_key_resolver=resolve,  # (kid, iss) -> key
                                 expected_audience=aud, expected_nonce=nonce)

Every failed check raises its own `ledger.errors.VerificationError` subclass.
"""

from ledger._rand import RandomSource, UnsafeDeterministicRandom
from ledger.sdjwt.disclosures import Disclosure
from ledger.sdjwt.holder import (
    create_presentation,
    list_claim_paths,
    unsafe_create_presentation_without_key_binding,
    unverified_claims,
    unverified_header_and_payload,
)
from ledger.sdjwt.issuer import issue_sd_jwt_vc
from ledger.sdjwt.jwk import (
    AnySigningKey,
    Ed25519PublicKey,
    Ed25519SigningKey,
    PublicKey,
    SigningKey,
    VerifyingKey,
    jwk_thumbprint,
    public_key_from_jwk,
    public_key_from_xy,
    verifying_key_from_jwk,
)
from ledger.sdjwt.results import (
    IssuedCredential,
    KeyBindingInfo,
    PathDisclosure,
    StatusReference,
    VerifiedPresentation,
)
from ledger.sdjwt.status_list import (
    StatusList,
    VerifiedStatusList,
    issue_status_list_token,
    verify_status_list_token,
)
from ledger.sdjwt.verifier import IssuerKeyResolver, verify_credential, verify_presentation

__all__ = [
    "AnySigningKey",
    "Disclosure",
    "Ed25519PublicKey",
    "Ed25519SigningKey",
    "IssuedCredential",
    "IssuerKeyResolver",
    "KeyBindingInfo",
    "PathDisclosure",
    "PublicKey",
    "RandomSource",
    "SigningKey",
    "StatusList",
    "StatusReference",
    "UnsafeDeterministicRandom",
    "VerifiedPresentation",
    "VerifiedStatusList",
    "VerifyingKey",
    "create_presentation",
    "issue_sd_jwt_vc",
    "issue_status_list_token",
    "jwk_thumbprint",
    "list_claim_paths",
    "public_key_from_jwk",
    "public_key_from_xy",
    "unsafe_create_presentation_without_key_binding",
    "unverified_claims",
    "unverified_header_and_payload",
    "verify_credential",
    "verify_presentation",
    "verify_status_list_token",
    "verifying_key_from_jwk",
]
