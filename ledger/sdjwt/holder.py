"""The holder's side: inspect an issued credential and build presentations with a KB-JWT."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from ledger._b64 import b64e_sha256
from ledger._claim_paths import Path, format_path, parse_path
from ledger.errors import HolderKeyMismatch, UnknownClaimPath
from ledger.sdjwt._compact import DEFAULT_MAX_SIZE, split_compact
from ledger.sdjwt._reconstruct import reconstruct
from ledger.sdjwt.disclosures import Disclosure, parse_disclosures
from ledger.sdjwt.jwk import AnySigningKey, verifying_key_from_jwk
from ledger.sdjwt.jws import parse_compact, sign_compact

KB_JWT_TYP = "kb+jwt"


def _open(compact: str) -> tuple[str, dict[str, Any], list[tuple[Path, Disclosure]]]:
    parts = split_compact(compact, max_size=max(DEFAULT_MAX_SIZE, len(compact)))
    jws = parse_compact(parts.issuer_jwt)
    discs = parse_disclosures(parts.disclosures)
    claims, used = reconstruct(jws.unverified_payload, discs)
    return parts.issuer_jwt, claims, used


def unverified_claims(compact: str) -> dict[str, Any]:
    """All claims of a credential, reconstructed. The issuer signature is NOT checked."""
    return _open(compact)[1]


def unverified_header_and_payload(compact: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The issuer JWT's header and raw payload, NOT verified (to look up `kid`/`iss` first)."""
    jws = parse_compact(split_compact(compact).issuer_jwt)
    return jws.unverified_header, jws.unverified_payload


def _all_paths(value: Any, path: Path, out: list[Path]) -> None:
    if isinstance(value, dict):
        for key, val in value.items():
            out.append((*path, key))
            _all_paths(val, (*path, key), out)
    elif isinstance(value, list):
        for i, val in enumerate(value):
            out.append((*path, i))
            _all_paths(val, (*path, i), out)


def list_claim_paths(compact: str) -> list[str]:
    """Every claim path in the credential (plaintext and selectively disclosable), for display."""
    claims = _open(compact)[1]
    out: list[Path] = []
    _all_paths(claims, (), out)
    return [format_path(p) for p in out]


def _select(compact: str, disclose: Iterable[str]) -> tuple[str, list[str], dict[str, Any]]:
    jwt, claims, used = _open(compact)
    existing: list[Path] = []
    _all_paths(claims, (), existing)
    known = set(existing)
    wanted: list[Path] = []
    for text in disclose:
        path = parse_path(text)
        if path not in known:
            raise UnknownClaimPath(f"the credential has no claim at {text!r}")
        wanted.append(path)
    chosen: list[str] = []
    for dpath, disc in used:
        for want in wanted:
            n = min(len(dpath), len(want))
            if dpath[:n] == want[:n]:  # an ancestor of, or at or below, a wanted path
                chosen.append(disc.encoded)
                break
    return jwt, chosen, claims


def unsafe_create_presentation_without_key_binding(compact: str, *, disclose: Iterable[str]) -> str:
    """A presentation with no KB-JWT. UNSAFE: anyone holding it can replay it."""
    jwt, chosen, _ = _select(compact, disclose)
    return jwt + "~" + "".join(d + "~" for d in chosen)


def create_presentation(
    compact: str,
    *,
    disclose: Iterable[str],
    holder_key: AnySigningKey,
    audience: str,
    nonce: str,
    now: int | None = None,
) -> str:
    """Present the claims at the `disclose` paths (parents come along) with a Key Binding JWT.

    Disclosing a path reveals that claim and everything beneath it. The KB-JWT binds the
    presentation to `audience` and `nonce`, signed by `holder_key`, which must be the
    credential's `cnf` key (HolderKeyMismatch otherwise).
    """
    jwt, chosen, claims = _select(compact, disclose)
    cnf = claims.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if jwk is None or verifying_key_from_jwk(jwk) != holder_key.public_key:
        raise HolderKeyMismatch("holder_key is not the key this credential is bound to (cnf)")
    sd_jwt = jwt + "~" + "".join(d + "~" for d in chosen)
    payload = {
        "iat": int(time.time()) if now is None else int(now),
        "aud": audience,
        "nonce": nonce,
        "sd_hash": b64e_sha256(sd_jwt.encode("ascii")),
    }
    return sd_jwt + sign_compact({"typ": KB_JWT_TYP}, payload, holder_key)
