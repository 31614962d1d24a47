"""Signed presentation requests: creation, JSON round trip, and every rejection path."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.agency.request import (
    PresentationRequest,
    claims_digest,
    create_request,
    purpose_digest,
    verify_request_signature,
)
from ledger.errors import (
    RequestChainMismatch,
    RequestExpired,
    RequestMalformed,
    RequestSignatureInvalid,
)

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
OTHER_REGISTRY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
CHAIN = 31337
NOW = 1_800_000_000


@pytest.fixture
def verifier() -> LocalAccount:
    account: LocalAccount = Account.from_key(bytes(range(1, 33)))
    return account


def _request(verifier: LocalAccount, **overrides: Any) -> PresentationRequest:
    args: dict[str, Any] = {
        "verifier_account": verifier,
        "vct": "https://cpr.example.dk/person/v1",
        "type_id": 1,
        "claims": ["age_over_18", "address.locality", "nationalities[1]"],
        "purpose": "Age check for a municipal youth card",
        "audience": None,
        "chain_id": CHAIN,
        "registry": REGISTRY,
        "ttl": 600,
        "now": NOW,
        "rng": random.Random(7).randbytes,
    }
    args.update(overrides)
    return create_request(**args)


def _doc(req: PresentationRequest) -> dict[str, Any]:
    return json.loads(req.to_json())  # type: ignore[no-any-return]


def test_created_request_verifies_and_names_its_verifier(verifier: LocalAccount) -> None:
    req = _request(verifier)
    v = verify_request_signature(req, chain_id=CHAIN, registry=REGISTRY, now=NOW + 10)
    assert v.verifier == verifier.address
    assert v.claim_paths == ("age_over_18", "address.locality", "nationalities[1]")
    assert v.audience == f"ethereum:{verifier.address}@{CHAIN}"
    assert v.purpose_digest == purpose_digest("Age check for a municipal youth card")
    assert v.expires_at == NOW + 600


def test_document_follows_the_dcql_shape(verifier: LocalAccount) -> None:
    doc = _doc(_request(verifier))
    cq = doc["dcql_query"]["credentials"][0]
    assert cq["format"] == "dc+sd-jwt"
    assert cq["meta"] == {"vct_values": ["https://cpr.example.dk/person/v1"]}
    assert cq["claims"] == [
        {"path": ["age_over_18"]},
        {"path": ["address", "locality"]},
        {"path": ["nationalities", 1]},
    ]
    assert doc["client_id"].startswith("ethereum:0x")
    assert doc["response_type"] == "vp_token"
    assert doc["purpose_digest"] == "0x" + purpose_digest(doc["purpose"]).hex()


def test_json_round_trip_preserves_the_request(verifier: LocalAccount) -> None:
    req = _request(verifier)
    again = PresentationRequest.from_json(req.to_json())
    assert again == req
    verify_request_signature(again, now=NOW)


def test_default_nonce_has_256_bits_and_differs_between_requests(verifier: LocalAccount) -> None:
    a = _request(verifier, rng=None)
    b = _request(verifier, rng=None)
    assert a.nonce != b.nonce
    assert len(a.nonce) == 43  # 32 bytes, unpadded base64url


def test_claims_digest_ignores_order() -> None:
    assert claims_digest([("a",), ("b", 1)]) == claims_digest([("b", 1), ("a",)])
    assert claims_digest([("a",)]) != claims_digest([("a", "b")])


def test_request_signed_by_another_account_is_rejected(verifier: LocalAccount) -> None:
    impostor = Account.from_key(bytes(range(2, 34)))
    doc = _doc(_request(impostor))
    doc["verifier"] = verifier.address
    with pytest.raises(RequestSignatureInvalid):
        verify_request_signature(PresentationRequest.from_dict(doc), now=NOW)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type_id", 2),
        ("client_id", "ethereum:someone-else"),
        ("nonce", "A" * 43),
        ("expires_at", NOW + 900),
        ("created_at", NOW - 10),
    ],
)
def test_any_signed_field_changed_breaks_the_signature(
    verifier: LocalAccount, field: str, value: object
) -> None:
    doc = _doc(_request(verifier))
    doc[field] = value
    with pytest.raises(RequestSignatureInvalid):
        verify_request_signature(PresentationRequest.from_dict(doc), now=NOW)


def test_added_claim_breaks_the_signature(verifier: LocalAccount) -> None:
    doc = _doc(_request(verifier))
    doc["dcql_query"]["credentials"][0]["claims"].append({"path": ["birthdate"]})
    with pytest.raises(RequestSignatureInvalid):
        verify_request_signature(PresentationRequest.from_dict(doc), now=NOW)


def test_changed_vct_breaks_the_signature(verifier: LocalAccount) -> None:
    doc = _doc(_request(verifier))
    doc["dcql_query"]["credentials"][0]["meta"]["vct_values"] = ["https://evil.example/v1"]
    with pytest.raises(RequestSignatureInvalid):
        verify_request_signature(PresentationRequest.from_dict(doc), now=NOW)


def test_changed_purpose_text_is_malformed(verifier: LocalAccount) -> None:
    doc = _doc(_request(verifier))
    doc["purpose"] = "Something nicer-sounding"
    with pytest.raises(RequestMalformed, match="purpose_digest"):
        verify_request_signature(PresentationRequest.from_dict(doc), now=NOW)


def test_changed_purpose_and_digest_breaks_the_signature(verifier: LocalAccount) -> None:
    doc = _doc(_request(verifier))
    doc["purpose"] = "Something nicer-sounding"
    doc["purpose_digest"] = "0x" + purpose_digest(doc["purpose"]).hex()
    with pytest.raises(RequestSignatureInvalid):
        verify_request_signature(PresentationRequest.from_dict(doc), now=NOW)


def test_expired_request_is_rejected(verifier: LocalAccount) -> None:
    req = _request(verifier)
    with pytest.raises(RequestExpired):
        verify_request_signature(req, now=NOW + 600)


def test_request_from_the_future_is_rejected(verifier: LocalAccount) -> None:
    req = _request(verifier)
    with pytest.raises(RequestExpired):
        verify_request_signature(req, now=NOW - 61)
    verify_request_signature(req, now=NOW - 59)


def test_request_for_another_chain_or_registry_is_rejected(verifier: LocalAccount) -> None:
    req = _request(verifier)
    with pytest.raises(RequestChainMismatch):
        verify_request_signature(req, chain_id=1, now=NOW)
    with pytest.raises(RequestChainMismatch):
        verify_request_signature(req, registry=OTHER_REGISTRY, now=NOW)


def test_request_replayed_to_another_registry_fails_the_signature(verifier: LocalAccount) -> None:
    doc = _doc(_request(verifier))
    doc["registry"] = OTHER_REGISTRY
    with pytest.raises(RequestSignatureInvalid):
        verify_request_signature(PresentationRequest.from_dict(doc), now=NOW)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("nonce"), "lacks nonce"),
        (lambda d: d.update(extra=1), "unknown members extra"),
        (lambda d: d.update(type_id="1"), "type_id"),
        (lambda d: d.update(type_id=0), "type_id"),
        (lambda d: d.update(verifier="0x1234"), "verifier"),
        (lambda d: d.update(signature="0x00"), "signature"),
        (lambda d: d.update(response_type="id_token"), "response_type"),
        (lambda d: d["dcql_query"]["credentials"][0].update(format="jwt_vc_json"), "format"),
        (lambda d: d["dcql_query"]["credentials"].append({}), "exactly one"),
        (lambda d: d["dcql_query"]["credentials"][0].update(claims=[]), "claims"),
        (lambda d: d["dcql_query"]["credentials"][0].update(claims=[{"path": []}]), "path"),
        (lambda d: d["dcql_query"]["credentials"][0]["meta"].update(vct_values=[]), "vct"),
    ],
)
def test_malformed_documents_say_what_is_wrong(
    verifier: LocalAccount, mutate: Any, message: str
) -> None:
    doc = _doc(_request(verifier))
    mutate(doc)
    with pytest.raises(RequestMalformed, match=message):
        PresentationRequest.from_dict(doc)


def test_non_json_is_malformed() -> None:
    with pytest.raises(RequestMalformed):
        PresentationRequest.from_json("not json {")
    with pytest.raises(RequestMalformed):
        PresentationRequest.from_json("[]")


def test_short_nonce_is_malformed(verifier: LocalAccount) -> None:
    with pytest.raises(RequestMalformed, match="128 bits"):
        _request(verifier, nonce="AAAA")


def test_duplicate_claim_is_malformed(verifier: LocalAccount) -> None:
    with pytest.raises(RequestMalformed, match="twice"):
        _request(verifier, claims=["age_over_18", "age_over_18"])


def test_bad_claim_path_is_malformed(verifier: LocalAccount) -> None:
    with pytest.raises(RequestMalformed):
        _request(verifier, claims=["address..locality"])


@pytest.mark.parametrize("ttl", [0, -5, 24 * 3600 + 1])
def test_out_of_range_ttl_is_refused(verifier: LocalAccount, ttl: int) -> None:
    with pytest.raises(RequestMalformed):
        _request(verifier, ttl=ttl)


def test_explicit_audience_is_signed(verifier: LocalAccount) -> None:
    req = _request(verifier, audience="https://kommune.example.dk")
    assert _doc(req)["client_id"] == "https://kommune.example.dk"
    assert verify_request_signature(req, now=NOW).audience == "https://kommune.example.dk"
