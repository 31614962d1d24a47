"""Verify SD-JWT VC presentations and credentials (RFC 9901 §7, SD-JWT VC, KB-JWT)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

from ledger._b64 import b64e_sha256
from ledger._claim_paths import format_path
from ledger.errors import (
    ConfigError,
    CredentialExpired,
    CredentialNotYetValid,
    HolderKeyMismatch,
    IssuedInFuture,
    KeyBindingAudienceMismatch,
    KeyBindingExpired,
    KeyBindingFromFuture,
    KeyBindingMissing,
    KeyBindingNonceMismatch,
    KeyBindingSdHashMismatch,
    KeyBindingSignatureInvalid,
    MalformedSerialization,
    MissingClaim,
    UnsupportedSdAlgorithm,
)
from ledger.sdjwt._compact import DEFAULT_MAX_SIZE, split_compact
from ledger.sdjwt._names import DIGEST_ALG_KEY
from ledger.sdjwt._reconstruct import reconstruct
from ledger.sdjwt.disclosures import SD_ALG, parse_disclosures
from ledger.sdjwt.holder import KB_JWT_TYP
from ledger.sdjwt.issuer import SD_JWT_VC_TYP
from ledger.sdjwt.jwk import (
    Ed25519PublicKey,
    PublicKey,
    VerifyingKey,
    verifying_key_from_jwk,
)
from ledger.sdjwt.jws import parse_compact
from ledger.sdjwt.results import KeyBindingInfo, StatusReference, VerifiedPresentation

LEGACY_SD_JWT_VC_TYP = "vc+sd-jwt"
"""The `typ` of SD-JWT VC drafts before -06 (to November 2024). The draft RECOMMENDS that
verifiers and holders accept it beside `dc+sd-jwt` for a transitional period (§3.2.1);
`accept_legacy_typ=False` refuses it."""

IssuerKeyResolver = Callable[[str, str], VerifyingKey]
"""Called with (kid, iss) from the unverified issuer JWT; returns the key or raises."""


def _num(payload: Mapping[str, Any], name: str, required: bool) -> int | None:
    value = payload.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise MissingClaim(f"claim {name!r} must be a number")
    return int(value)


def _str(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str):
        raise MissingClaim(f"claim {name!r} must be a string")
    return value


def _status(payload: Mapping[str, Any]) -> StatusReference | None:
    """`status.status_list`, or None. `status` may name other mechanisms only (Token Status List
    draft §6.1); a credential without a status list reference is the caller's policy to refuse."""
    status = payload.get("status")
    if status is None:
        return None
    if not isinstance(status, dict):
        raise MissingClaim("status must be an object")
    ref = status.get("status_list")
    if ref is None:
        return None
    if not isinstance(ref, dict):
        raise MissingClaim("status.status_list must be an object")
    idx, uri = ref.get("idx"), ref.get("uri")
    if not isinstance(idx, int) or isinstance(idx, bool) or idx < 0 or not isinstance(uri, str):
        raise MissingClaim("status.status_list needs a non-negative int idx and a string uri")
    return StatusReference(idx, uri)


def _holder_key(payload: Mapping[str, Any]) -> VerifyingKey | None:
    """The holder key of the signed `cnf.jwk` (RFC 7800), or None without `cnf`. `cnf` is never
    selectively disclosable, so the signed payload has it or the credential has none."""
    cnf = payload.get("cnf")
    if cnf is None:
        return None
    if not isinstance(cnf, dict):
        raise MissingClaim("cnf must be an object (RFC 7800)")
    holder_jwk = cnf.get("jwk")
    return None if holder_jwk is None else verifying_key_from_jwk(holder_jwk)


def _verify(
    text: str,
    issuer_key: IssuerKeyResolver | VerifyingKey,
    *,
    require_key_binding: bool,
    expected_audience: str | None,
    expected_nonce: str | None,
    expected_holder: VerifyingKey | None,
    now: int | None,
    clock_skew: int,
    max_kb_age: int,
    max_size: int,
    accept_legacy_typ: bool,
) -> VerifiedPresentation:
    # Policy first: whether a KB-JWT is required never depends on the input (RFC 9901 §7.3).
    if require_key_binding and (expected_audience is None or expected_nonce is None):
        raise ConfigError("key binding needs expected_audience and expected_nonce")
    now_s = int(time.time()) if now is None else int(now)
    parts = split_compact(text, max_size)
    if require_key_binding and not parts.kb_jwt:
        raise KeyBindingMissing("this verifier requires a Key Binding JWT")

    # 1. The issuer-signed JWT: header, key, signature.
    jws = parse_compact(parts.issuer_jwt)
    if accept_legacy_typ:
        jws.check_header(SD_JWT_VC_TYP, LEGACY_SD_JWT_VC_TYP)
    else:
        jws.check_header(SD_JWT_VC_TYP)
    header, unverified_payload = jws.unverified_header, jws.unverified_payload
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise MissingClaim("header kid must be a string")
    iss = _str(unverified_payload, "iss")
    key = (
        issuer_key
        if isinstance(issuer_key, (PublicKey, Ed25519PublicKey))
        else issuer_key(kid or "", iss)
    )
    payload = jws.verify(key)
    holder = _holder_key(payload)

    # 2. The KB-JWT's signature, right after the issuer's: back to back, the second P-256
    # verification finds the curve's tables still in the CPU cache (1-2% of a verification).
    # Its claims are checked in step 5, in RFC 9901 §7.3 order.
    kb_payload: dict[str, Any] | None = None
    if require_key_binding and holder is not None:
        kb = parse_compact(parts.kb_jwt)
        kb.check_header(KB_JWT_TYP)
        kb_payload = kb.verify(holder, KeyBindingSignatureInvalid)

    # 3. Disclosures (RFC 9901 §7.1).
    sd_alg = payload.get(DIGEST_ALG_KEY, SD_ALG)
    if sd_alg != SD_ALG:
        raise UnsupportedSdAlgorithm(f"_sd_alg {sd_alg!r} is not supported")
    claims, used = reconstruct(payload, parse_disclosures(parts.disclosures))

    # 4. Validity period and SD-JWT VC claims.
    iat = _num(claims, "iat", True)
    assert iat is not None
    exp = _num(claims, "exp", False)
    nbf = _num(claims, "nbf", False)
    if iat > now_s + clock_skew:
        raise IssuedInFuture("credential iat is in the future")
    if exp is not None and now_s >= exp + clock_skew:
        raise CredentialExpired("credential has expired")
    if nbf is not None and nbf > now_s + clock_skew:
        raise CredentialNotYetValid("credential is not valid yet")
    vct = _str(claims, "vct")
    status = _status(claims)
    if expected_holder is not None and holder != expected_holder:
        raise HolderKeyMismatch("the credential is bound to another holder key")

    # 5. Key Binding JWT (RFC 9901 §7.3).
    kb_info: KeyBindingInfo | None = None
    if require_key_binding:
        if kb_payload is None:
            raise MissingClaim("key binding requires cnf.jwk in the credential")
        kb_iat = _num(kb_payload, "iat", True)
        assert kb_iat is not None
        if kb_iat > now_s + clock_skew:
            raise KeyBindingFromFuture("KB-JWT iat is in the future")
        if kb_iat < now_s - max_kb_age - clock_skew:
            raise KeyBindingExpired("KB-JWT is too old")
        kb_exp, kb_nbf = _num(kb_payload, "exp", False), _num(kb_payload, "nbf", False)
        if kb_exp is not None and now_s >= kb_exp + clock_skew:
            raise KeyBindingExpired("KB-JWT has expired")
        if kb_nbf is not None and kb_nbf > now_s + clock_skew:
            raise KeyBindingFromFuture("KB-JWT is not valid yet")
        aud, nonce, sd_hash = (
            kb_payload.get("aud"),
            kb_payload.get("nonce"),
            kb_payload.get("sd_hash"),
        )
        if aud != expected_audience or not isinstance(aud, str):
            raise KeyBindingAudienceMismatch("KB-JWT aud is not this verifier")
        if not isinstance(nonce, str) or not hmac.compare_digest(
            nonce.encode(), str(expected_nonce).encode()
        ):
            raise KeyBindingNonceMismatch("KB-JWT nonce is not the expected nonce")
        expected_hash = b64e_sha256(parts.sd_jwt.encode("ascii"))
        if sd_hash != expected_hash:
            raise KeyBindingSdHashMismatch("KB-JWT sd_hash does not match the presentation")
        kb_info = KeyBindingInfo(kb_iat, aud, nonce, sd_hash)

    return VerifiedPresentation(
        claims=claims,
        disclosed_paths=tuple(format_path(p) for p, _ in used),
        issuer=iss,
        vct=vct,
        kid=kid,
        holder_jwk=None if holder is None else holder.jwk,
        status=status,
        iat=iat,
        exp=exp,
        issuer_jwt_digest=hashlib.sha256(parts.issuer_jwt.encode("ascii")).digest(),
        kb=kb_info,
    )


def verify_presentation(
    presentation: str,
    *,
    issuer_key_resolver: IssuerKeyResolver | VerifyingKey,
    expected_audience: str | None,
    expected_nonce: str | None,
    require_key_binding: bool = True,
    now: int | None = None,
    clock_skew: int = 60,
    max_kb_age: int = 300,
    max_size: int = DEFAULT_MAX_SIZE,
    accept_legacy_typ: bool = True,
) -> VerifiedPresentation:
    """Verify a presentation: the issuer's signature and the KB-JWT's (with the holder key of the
    signed `cnf`), then the SD-JWT layer (RFC 9901 §7.1), SD-JWT VC claims and the KB-JWT's
    claims.

    `issuer_key_resolver` gets `(kid, iss)` from the not-yet-verified issuer JWT and returns the
    issuer's key (or raises); a `PublicKey` may be passed directly. Key binding is required by
    default; with `require_key_binding=False` a KB-JWT, if present, is ignored and `kb` is None.
    The issuer JWT's `typ` is `dc+sd-jwt`, or `vc+sd-jwt` unless `accept_legacy_typ` is False
    (see `LEGACY_SD_JWT_VC_TYP`). Raises a `VerificationError` subclass naming the failed check.
    """
    return _verify(
        presentation,
        issuer_key_resolver,
        require_key_binding=require_key_binding,
        expected_audience=expected_audience,
        expected_nonce=expected_nonce,
        expected_holder=None,
        now=now,
        clock_skew=clock_skew,
        max_kb_age=max_kb_age,
        max_size=max_size,
        accept_legacy_typ=accept_legacy_typ,
    )


def verify_credential(
    compact: str,
    *,
    issuer_key_resolver: IssuerKeyResolver | VerifyingKey,
    expected_holder_jwk: Mapping[str, str],
    now: int | None = None,
    clock_skew: int = 60,
    max_size: int = DEFAULT_MAX_SIZE,
    accept_legacy_typ: bool = True,
) -> VerifiedPresentation:
    """Verify an issued SD-JWT VC (no KB-JWT) for wallet import: all disclosures must be valid
    and its `cnf` must be `expected_holder_jwk`. `accept_legacy_typ` as for
    `verify_presentation`."""
    parts = split_compact(compact, max_size)
    if parts.kb_jwt:
        raise MalformedSerialization("an issued credential ends with '~', with no KB-JWT")
    return _verify(
        compact,
        issuer_key_resolver,
        require_key_binding=False,
        expected_audience=None,
        expected_nonce=None,
        expected_holder=verifying_key_from_jwk(expected_holder_jwk),
        now=now,
        clock_skew=clock_skew,
        max_kb_age=0,
        max_size=max_size,
        accept_legacy_typ=accept_legacy_typ,
    )
