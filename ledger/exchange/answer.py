"""The source's answer: an SD-JWT VC holding only the requested claims, addressed to the
requester.

The answer is an SD-JWT VC (``typ`` ``dc+sd-jwt``) signed by the source's registered P-256 key
(``kid`` = its thumbprint, as the issuer's credentials), with ``iss`` the source's did:pkh,
``aud`` the requester's address, ``vct``, ``iat``, a short ``exp`` and ``jti`` = the receipt id.
Its claims are the requested claims only, in plain view (no disclosures: the requester asked for
exactly these and is entitled to all of them), so the compact form is the issuer JWT and one
``~``.

No holder binding (``cnf``) and no status: the answer is not a credential the requester presents
onwards, it is evidence addressed to one requester, valid for minutes, whose digest the source's
access receipt commits to. The requester verifies it with the project's SD-JWT verifier and the
chain (`ledger.exchange.requester`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ledger._claim_paths import parse_claim_path
from ledger.errors import ClaimPathInvalid, OverAsking
from ledger.sdjwt import SigningKey
from ledger.sdjwt.jws import encoded_header, sign_with_header

__all__ = ["ANSWER_TYP", "select_claims", "sign_answer"]

ANSWER_TYP = "dc+sd-jwt"

_MISSING = object()


def _get(value: Any, path: Sequence[str]) -> Any:
    for element in path:
        if not isinstance(value, Mapping) or element not in value:
            return _MISSING
        value = value[element]
    return value


def _put(out: dict[str, Any], path: Sequence[str], value: Any) -> None:
    node = out
    for element in path[:-1]:
        node = node.setdefault(element, {})
    node[path[-1]] = value


def select_claims(record_claims: Mapping[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """The claims at `paths` (``age_over_18``, ``address.municipality``), nested as in the
    record, and nothing else. A path that names no value is `OverAsking` (the type has no such
    claim); array elements and wildcards are not answered one by one (`OverAsking`)."""
    out: dict[str, Any] = {}
    for text in paths:
        try:
            path = parse_claim_path(text)
        except ClaimPathInvalid:
            raise OverAsking(f"claim {text!r} is not a claim path") from None
        names = [e for e in path if isinstance(e, str)]
        if len(names) != len(path):
            raise OverAsking(f"claim {text!r}: ask for the whole array, not its elements")
        value = _get(record_claims, names)
        if value is _MISSING:
            raise OverAsking(f"claim {text!r} is not a claim of the register")
        _put(out, names, value)
    return out


def sign_answer(
    claims: Mapping[str, Any],
    *,
    signing_key: SigningKey,
    issuer: str,
    vct: str,
    audience: str,
    receipt_id: str,
    now: int,
    lifetime: int,
) -> str:
    """The compact answer SD-JWT VC (issuer JWT + ``~``)."""
    payload: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "jti": receipt_id,
        "vct": vct,
    }
    payload.update(claims)
    header = encoded_header(
        (("alg", signing_key.alg), ("typ", ANSWER_TYP), ("kid", signing_key.kid))
    )
    return sign_with_header(header, payload, signing_key) + "~"
