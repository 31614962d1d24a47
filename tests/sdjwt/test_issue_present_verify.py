"""Issuer, holder and verifier behaviours beyond the vector suite."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import pytest

from ledger._b64 import b64d, b64e
from ledger.errors import (
    ConfigError,
    HolderKeyMismatch,
    InvalidClaims,
    InvalidJwk,
    KeyBindingMissing,
    MalformedSerialization,
    MissingClaim,
    ProtectedClaimDisclosed,
    UnknownClaimPath,
    UnknownIssuerKey,
)
from ledger.sdjwt import (
    IssuedCredential,
    UnsafeDeterministicRandom,
    list_claim_paths,
    unsafe_create_presentation_without_key_binding,
    unverified_claims,
    unverified_header_and_payload,
    verify_credential,
)
from ledger.sdjwt import disclosures as disclosures_module
from ledger.sdjwt._json import loads
from ledger.sdjwt.jws import parse_compact
from tests.sdjwt._harness import (
    AUDIENCE,
    HOLDER_KEY,
    ISSUER,
    ISSUER_KEY,
    NONCE,
    NOW,
    OTHER_KEY,
    STATUS_URI,
    VCT,
    build_crafted,
    present,
    user_claims,
    verify,
)
from tests.sdjwt._harness import issue as harness_issue

PERSON: dict[str, Any] = {
    "given_name": "Erika",
    "family_name": "Mustermann",
    "cpr": "1208631234",
    "address": {"locality": "Odense", "country": "DK"},
    "nationalities": ["DK", "DE"],
}


def issue(claims: dict[str, Any] = PERSON, **kw: Any) -> IssuedCredential:
    return harness_issue(claims, **kw)


def test_issued_credential_carries_the_sd_jwt_vc_envelope_in_plaintext() -> None:
    cred = issue()
    header, payload = unverified_header_and_payload(cred.compact)
    assert header == {"alg": "ES256", "typ": "dc+sd-jwt", "kid": ISSUER_KEY.kid}
    assert payload["iss"] == ISSUER and payload["vct"] == VCT
    assert payload["iat"] == NOW - 10 and payload["exp"] == NOW + 3600
    assert payload["cnf"] == {"jwk": HOLDER_KEY.public_jwk}
    assert payload["status"] == {"status_list": {"idx": 42, "uri": STATUS_URI}}
    assert payload["_sd_alg"] == "sha-256"
    assert not set(PERSON) & set(payload)  # every user claim is hidden


def test_anchor_digest_is_sha256_of_the_issuer_jwt() -> None:
    cred = issue()
    assert cred.compact.startswith(cred.issuer_jwt + "~")
    assert cred.digest == hashlib.sha256(cred.issuer_jwt.encode("ascii")).digest()
    result = verify(present(cred.compact, ["given_name"]))
    assert result.issuer_jwt_digest == cred.digest


def test_disclosures_are_listed_with_their_paths() -> None:
    cred = issue()
    paths = {d.path for d in cred.disclosures}
    assert {"given_name", "address", "address.locality", "nationalities[1]"} <= paths
    assert all(d.disclosure.encoded in cred.compact for d in cred.disclosures)


def test_each_listed_disclosure_decodes_to_its_claim_and_has_the_rfc_digest() -> None:
    cred = issue()
    for item in cred.disclosures:
        disc = item.disclosure
        assert json.loads(b64d(disc.encoded)) == (
            [disc.salt, disc.value] if disc.name is None else [disc.salt, disc.name, disc.value]
        )
        assert disc.digest == b64e(hashlib.sha256(disc.encoded.encode("ascii")).digest())
    assert cred.compact == cred.issuer_jwt + "~" + "".join(
        item.disclosure.encoded + "~" for item in cred.disclosures
    )


def test_a_caller_changing_a_parsed_header_does_not_change_the_next_parse() -> None:
    compact = issue().compact
    parse_compact(compact.split("~")[0]).unverified_header["typ"] = "changed"
    assert parse_compact(compact.split("~")[0]).unverified_header["typ"] == "dc+sd-jwt"
    verify(present(compact, ["given_name"]))


@pytest.mark.parametrize("number", [2**64, -(2**63) - 1, 10**40, 2**64 - 1, -(2**63), 0.1, 1e300])
def test_numbers_beyond_64_bits_and_floats_round_trip(number: float) -> None:
    claims = {"n": number, "in_array": [number], "plain": number}
    cred = issue(claims, disclosable=["n", "in_array[0]"])
    result = verify(present(cred.compact, ["n", "in_array[0]"]))
    assert user_claims(result.claims) == claims


def test_salts_are_128_bits_and_unique() -> None:
    cred = issue()
    salts = [d.disclosure.salt for d in cred.disclosures]
    assert len(set(salts)) == len(salts)
    assert all(len(b64d(s)) >= 16 for s in salts)  # at least 128 bits


def test_salts_stay_unique_across_credentials_and_pool_refills() -> None:
    creds = [issue(rng=None) for _ in range(130)]  # > 1024 salts: the pool refills twice or more
    salts = [d.disclosure.salt for cred in creds for d in cred.disclosures]
    assert len(salts) > 1024
    assert len(set(salts)) == len(salts)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_reuses_the_parents_pooled_salts() -> None:
    issue(rng=None)  # the parent's pool now holds unused salts
    assert disclosures_module._pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether it inherited any salt
        os.write(write, str(len(disclosures_module._pool)).encode())
        os._exit(0)
    os.close(write)
    inherited = int(os.read(read, 16))
    os.close(read)
    os.waitpid(pid, 0)
    assert inherited == 0


def test_digests_are_sorted_so_their_order_reveals_nothing() -> None:
    cred = issue(decoys=3)
    payload = unverified_header_and_payload(cred.compact)[1]
    assert payload["_sd"] == sorted(payload["_sd"])
    assert len(payload["_sd"]) == len(PERSON) + 3  # the top-level claims + three decoys


def test_default_decoys_come_from_the_injected_rng() -> None:
    a = issue(rng=UnsafeDeterministicRandom(9)).compact
    b = issue(rng=UnsafeDeterministicRandom(9)).compact
    payload_a = unverified_header_and_payload(a)[1]
    payload_b = unverified_header_and_payload(b)[1]
    assert payload_a == payload_b  # same rng, same salts and decoys
    assert issue().compact != issue().compact  # production salts differ


def test_verified_result_reports_issuer_holder_status_and_kb() -> None:
    result = verify(present(issue().compact, ["address.locality"]))
    assert result.issuer == ISSUER and result.vct == VCT and result.kid == ISSUER_KEY.kid
    assert result.holder_jwk == HOLDER_KEY.public_jwk
    assert (result.status.idx, result.status.uri) == (42, STATUS_URI)
    assert (result.iat, result.exp) == (NOW - 10, NOW + 3600)
    assert result.kb is not None
    assert (result.kb.aud, result.kb.nonce, result.kb.iat) == (AUDIENCE, NONCE, NOW)
    assert user_claims(result.claims) == {"address": {"locality": "Odense"}}


def test_disclosing_a_parent_reveals_its_whole_subtree() -> None:
    result = verify(present(issue().compact, ["address", "nationalities"]))
    assert user_claims(result.claims) == {
        "address": {"locality": "Odense", "country": "DK"},
        "nationalities": ["DK", "DE"],
    }


def test_unknown_claim_path_is_refused_by_the_holder() -> None:
    with pytest.raises(UnknownClaimPath):
        present(issue().compact, ["address.street"])
    with pytest.raises(UnknownClaimPath):
        present(issue().compact, ["nationalities[5]"])
    with pytest.raises(UnknownClaimPath):
        present(issue().compact, ["bad..path"])


def test_issuer_refuses_unknown_disclosable_paths_and_reserved_claims() -> None:
    with pytest.raises(UnknownClaimPath):
        issue(disclosable=["nope"])
    with pytest.raises(UnknownClaimPath):
        issue(disclosable=[["given_name"]])
    with pytest.raises(InvalidClaims):
        issue(disclosable=["vct"])
    with pytest.raises(InvalidClaims):
        issue({**PERSON, "vct": "other"})
    with pytest.raises(InvalidClaims):
        issue({"a": {"_sd": 1}})
    with pytest.raises(InvalidClaims):
        issue({"a": {"...": 1}})
    with pytest.raises(InvalidClaims):
        issue({"a": object()})
    with pytest.raises(InvalidClaims):
        issue({"a": float("nan")})
    # Nested and not disclosable too: nothing non-finite may reach the encoder (orjson would
    # write it as null).
    for bad in ({"a": {"b": [1, float("inf")]}}, {"a": [{"b": float("-inf")}]}):
        with pytest.raises(InvalidClaims):
            issue(bad, disclosable=[])
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(200):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(InvalidClaims):
        issue({"deep": deep})
    with pytest.raises(InvalidJwk):
        issue(holder_jwk={"kty": "EC"})


def test_wallet_can_list_paths_and_read_its_own_claims() -> None:
    compact = issue().compact
    paths = list_claim_paths(compact)
    assert {"given_name", "address.locality", "nationalities[1]", "vct"} <= set(paths)
    assert user_claims(unverified_claims(compact)) == PERSON


def test_wallet_import_verifies_the_holder_binding() -> None:
    compact = issue().compact
    result = verify_credential(
        compact,
        issuer_key_resolver=ISSUER_KEY.public_key,
        expected_holder_jwk=HOLDER_KEY.public_jwk,
        now=NOW,
    )
    assert user_claims(result.claims) == PERSON and result.kb is None
    with pytest.raises(HolderKeyMismatch):
        verify_credential(
            compact,
            issuer_key_resolver=ISSUER_KEY.public_key,
            expected_holder_jwk=OTHER_KEY.public_jwk,
            now=NOW,
        )
    with pytest.raises(MalformedSerialization):
        verify_credential(
            present(compact, []),
            issuer_key_resolver=ISSUER_KEY.public_key,
            expected_holder_jwk=HOLDER_KEY.public_jwk,
            now=NOW,
        )


def test_resolver_gets_kid_and_iss_before_verification() -> None:
    seen: list[tuple[str, str]] = []

    def resolver(kid: str, iss: str) -> Any:
        seen.append((kid, iss))
        return ISSUER_KEY.public_key

    verify(present(issue().compact, []), issuer_key_resolver=resolver)
    assert seen == [(ISSUER_KEY.kid, ISSUER)]


def test_resolver_errors_propagate() -> None:
    def resolver(kid: str, iss: str) -> Any:
        raise UnknownIssuerKey(kid)

    with pytest.raises(UnknownIssuerKey):
        verify(present(issue().compact, []), issuer_key_resolver=resolver)


def test_stripping_the_kb_jwt_does_not_downgrade_the_check() -> None:
    presentation = present(issue().compact, ["given_name"])
    stripped = presentation[: presentation.rindex("~") + 1]
    with pytest.raises(KeyBindingMissing):
        verify(stripped)
    unbound = unsafe_create_presentation_without_key_binding(issue().compact, disclose=[])
    with pytest.raises(KeyBindingMissing):
        verify(unbound)


def test_holder_cannot_present_with_a_key_other_than_cnf() -> None:
    with pytest.raises(HolderKeyMismatch):
        present(issue().compact, ["given_name"], holder_key=OTHER_KEY)


def test_key_binding_needs_audience_and_nonce_configured() -> None:
    with pytest.raises(ConfigError):
        verify(present(issue().compact, []), expected_nonce=None)


def test_kb_sd_hash_covers_the_exact_presented_string() -> None:
    presentation = present(issue().compact, ["given_name"])
    sd_jwt, kb = presentation[: presentation.rindex("~") + 1], presentation.rsplit("~", 1)[1]
    kb_payload = loads(b64d(kb.split(".")[1]))
    assert kb_payload["sd_hash"] == verify(presentation).kb.sd_hash
    assert b64d(kb_payload["sd_hash"]) == hashlib.sha256(sd_jwt.encode()).digest()


def _signed(header: dict[str, Any], payload_json: str, key: Any) -> str:
    signing_input = b64e(json.dumps(header).encode()) + "." + b64e(payload_json.encode())
    return signing_input + "." + b64e(key.sign(signing_input.encode()))


def test_a_number_beyond_the_double_range_is_malformed_json_not_a_crash() -> None:
    # 1e400 parses to inf in Python; int(inf) used to escape as OverflowError.
    payload = (
        f'{{"iss":"{ISSUER}","iat":{NOW},"exp":1e400,"vct":"{VCT}",'
        f'"cnf":{{"jwk":{json.dumps(HOLDER_KEY.public_jwk)}}}}}'
    )
    jwt = _signed({"alg": "ES256", "typ": "dc+sd-jwt"}, payload, ISSUER_KEY)
    with pytest.raises(MalformedSerialization):
        verify(jwt + "~", require_key_binding=False)
    sd_jwt = issue().issuer_jwt + "~"
    sd_hash = b64e(hashlib.sha256(sd_jwt.encode()).digest())
    kb_payload = f'{{"iat":1e400,"aud":"{AUDIENCE}","nonce":"{NONCE}","sd_hash":"{sd_hash}"}}'
    kb = _signed({"alg": "ES256", "typ": "kb+jwt"}, kb_payload, HOLDER_KEY)
    with pytest.raises(MalformedSerialization):
        verify(sd_jwt + kb)


def test_issuer_refuses_sd_alg_below_the_top_level() -> None:
    with pytest.raises(InvalidClaims):
        issue({"address": {"_sd_alg": "sha-256"}})
    with pytest.raises(InvalidClaims):
        issue({"_sd_alg": "sha-256"})


def test_vct_integrity_stays_plaintext_when_everything_else_is_disclosable() -> None:
    integrity = "sha256-WRL5ca_xGgX3c1VLmXfh-9cLlJNXN-TsMk-PmKjZ5t0"
    cred = issue({"given_name": "Erika", "vct#integrity": integrity})
    assert unverified_header_and_payload(cred.compact)[1]["vct#integrity"] == integrity
    assert verify(present(cred.compact, [])).claims["vct#integrity"] == integrity
    with pytest.raises(InvalidClaims):
        issue({"given_name": "Erika", "vct#integrity": integrity}, disclosable=["vct#integrity"])


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("iss", MissingClaim),  # the issuer key is looked up by the plaintext iss, before §7.1
        ("nbf", ProtectedClaimDisclosed),
        ("exp", ProtectedClaimDisclosed),
        ("cnf", ProtectedClaimDisclosed),
        ("vct", ProtectedClaimDisclosed),
        ("vct#integrity", ProtectedClaimDisclosed),
        ("status", ProtectedClaimDisclosed),
        ("_sd_alg", ProtectedClaimDisclosed),
    ],
)
def test_registered_claims_that_must_stay_plaintext_are_refused_as_disclosures(
    name: str, error: type[Exception]
) -> None:
    # SD-JWT VC draft-18 §3.2.2.2 (and `_sd_alg`, RFC 9901 §4.1.1); the claim is removed from
    # the plaintext so that the refusal is not a mere name collision.
    case = {
        "remove_claims": [name],
        "disclosures": {"x": ["cHJvdGVjdGVkY2xhaW1zYWx0", name, "value"]},
        "payload": {"_sd": ["@x"]},
        "kb": None,
    }
    with pytest.raises(error):
        verify(build_crafted(case), require_key_binding=False)


@pytest.mark.parametrize(
    ("payload", "disclosure"),
    [
        ({"cnf": {"_sd": ["@x"]}}, ["aW5zaWRlY25mc2FsdHNhbHQx", "jwk", HOLDER_KEY.public_jwk]),
        (
            {"status": {"status_list": {"idx": 3, "uri": STATUS_URI, "_sd": ["@x"]}}},
            ["aW5zaWRlc3RhdHVzc2FsdHNh", "note", "x"],
        ),
        (
            {"cnf": {"jwk": HOLDER_KEY.public_jwk, "x5c": [{"...": "@x"}]}},
            ["c2FsdHNhbHRzYWx0c2FsdA", "a"],
        ),
    ],
    ids=["cnf.jwk", "status.status_list.note", "cnf.x5c[0]"],
)
@pytest.mark.parametrize("key_binding", [True, False])
def test_nothing_inside_cnf_or_status_may_be_disclosed(
    payload: dict[str, Any], disclosure: list[Any], key_binding: bool
) -> None:
    # The verifier takes the holder key from the signed `cnf` before it reads disclosures, so a
    # disclosed part of `cnf` (or of `status`) is refused, never used.
    case = {"disclosures": {"x": disclosure}, "payload": payload}
    if not key_binding:
        case["kb"] = None
    with pytest.raises(ProtectedClaimDisclosed):
        verify(build_crafted(case), require_key_binding=key_binding)


@pytest.mark.parametrize("name", ["iat", "sub"])
def test_iat_and_sub_may_be_disclosed(name: str) -> None:
    case = {
        "remove_claims": [name],
        "disclosures": {"x": ["ZGlzY2xvc2FibGVjbGFpbXNh", name, NOW - 50]},
        "payload": {"_sd": ["@x"]},
    }
    result = verify(build_crafted(case))
    assert result.claims[name] == NOW - 50 and result.disclosed_paths == (name,)
