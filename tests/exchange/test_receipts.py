"""Access receipts: validation, the one canonical encoding, the leaf, and decoding from outside."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest

from ledger._rand import UnsafeDeterministicRandom
from ledger.errors import ReceiptInvalid, ReceiptMalformed, ReceiptNotCanonical
from ledger.exchange.receipts import (
    LEAF_TAG,
    NO_ANSWER,
    REFUSALS,
    AccessReceipt,
    LegalBasis,
    Outcome,
    answer_digest,
    checksum_address,
    purpose_digest,
)

SOURCE = "0x" + "ab" * 20
REQUESTER = "0x" + "cd" * 20


def make(**overrides: Any) -> AccessReceipt:
    args: dict[str, Any] = {
        "source": SOURCE,
        "requester": REQUESTER,
        "vct": "https://cpr.example/person",
        "claims": ["age_over_18", "address.municipality"],
        "purpose": "Boligstøtte: alder og kommune",
        "legal_basis": LegalBasis.PUBLIC_TASK,
        "case_ref": "KK-2026-0042",
        "outcome": Outcome.ANSWERED,
        "answer": "eyJhbGciOiJFUzI1NiJ9.e30.c2ln~",
        "now": 1_780_000_000.7,
        "rng": UnsafeDeterministicRandom(7),
    }
    args.update(overrides)
    return AccessReceipt.new(**args)


def test_a_new_receipt_holds_normalised_values_and_no_subject() -> None:
    receipt = make()
    assert receipt.claims == ("address.municipality", "age_over_18")
    assert receipt.source == checksum_address(SOURCE) != SOURCE
    assert receipt.time == 1_780_000_000
    assert receipt.purpose_digest == purpose_digest("Boligstøtte: alder og kommune")
    assert receipt.answer_digest == hashlib.sha256(b"eyJhbGciOiJFUzI1NiJ9.e30.c2ln~").digest()
    assert len(receipt.receipt_id) == len(receipt.salt) == 16
    assert set(receipt.to_json()) == {
        "v", "receipt_id", "source", "requester", "vct", "claims", "purpose", "purpose_digest",
        "legal_basis", "case_ref", "time", "outcome", "answer_digest", "salt",
    }  # fmt: skip


def test_the_purpose_digest_is_the_on_chain_registration_key() -> None:
    from ledger.agency.request import purpose_digest as registration_key

    assert make().purpose_digest == registration_key("Boligstøtte: alder og kommune")


def test_the_checksum_is_eip55() -> None:
    from eth_utils.address import to_checksum_address

    for address in (SOURCE, "0x" + "00" * 20, "0x52908400098527886e0f7030069857d2e4169ee7"):
        assert checksum_address(address) == to_checksum_address(address)


def test_a_mixed_case_address_with_a_wrong_checksum_is_refused() -> None:
    good = checksum_address("0x52908400098527886e0f7030069857d2e4169ee7")
    i = next(i for i, c in enumerate(good) if i > 1 and c.isalpha())
    bad = good[:i] + good[i].swapcase() + good[i + 1 :]
    with pytest.raises(ReceiptInvalid, match="checksum"):
        make(source=bad)


def test_the_encoding_is_canonical_and_round_trips() -> None:
    receipt = make()
    encoded = receipt.encode()
    assert encoded == orjson.dumps(receipt.to_json(), option=orjson.OPT_SORT_KEYS)
    assert b" " not in encoded.replace("Boligstøtte: alder og kommune".encode(), b"")
    assert "ø".encode() in encoded  # UTF-8, not \u escapes
    assert AccessReceipt.decode(encoded) == receipt
    assert AccessReceipt.decode(encoded.decode()) == receipt


def test_the_leaf_is_a_tagged_hash_of_the_encoding() -> None:
    receipt = make()
    assert receipt.leaf == hashlib.sha256(LEAF_TAG + receipt.encode()).digest()
    assert receipt.leaf != hashlib.sha256(receipt.encode()).digest()


def test_the_same_values_give_the_same_leaf_and_another_salt_another() -> None:
    assert make().leaf == make().leaf
    assert make(rng=UnsafeDeterministicRandom(8)).leaf != make().leaf


@pytest.mark.parametrize(
    "field",
    ["source", "requester", "vct", "purpose", "case_ref", "legal_basis", "time", "salt", "claims"],
)
def test_changing_any_field_changes_the_leaf(field: str) -> None:
    receipt = make()
    obj = receipt.to_json()
    obj[field] = {
        "source": "0x" + "ee" * 20, "requester": "0x" + "ee" * 20, "vct": "other",
        "purpose": "other", "case_ref": "other", "legal_basis": "consent",
        "time": receipt.time + 1, "salt": "00" * 16, "claims": ["given_name"],
    }[field]  # fmt: skip
    if field == "purpose":
        obj["purpose_digest"] = purpose_digest("other").hex()
    if field in ("source", "requester"):
        obj[field] = checksum_address(obj[field])
    assert AccessReceipt.from_json(obj).leaf != receipt.leaf


def test_a_refusal_has_the_zero_answer_digest_and_a_stable_code() -> None:
    receipt = make(outcome=Outcome.OVER_ASKING, answer=None)
    assert receipt.answer_digest == NO_ANSWER
    assert receipt.outcome.refused
    assert AccessReceipt.decode(receipt.encode()).outcome is Outcome.OVER_ASKING
    assert {o.value for o in REFUSALS} == {
        "not-registered", "over-asking", "wrong-purpose", "requester-suspended",
        "expired-query", "replayed-query", "bad-signature", "no-consent",
        "consent-withdrawn", "unknown-subject", "malformed",
    }  # fmt: skip
    assert {b.value for b in LegalBasis} == {"consent", "legal-obligation", "public-task"}


def test_an_answer_digest_must_match_the_outcome() -> None:
    with pytest.raises(ReceiptInvalid, match="answered"):
        make(outcome=Outcome.NO_CONSENT)  # a refusal with an answer
    with pytest.raises(ReceiptInvalid, match="answered"):
        make(answer=None)  # answered without one
    receipt = make()
    with pytest.raises(ReceiptInvalid, match="zero bytes"):
        AccessReceipt(
            **{**_fields(receipt), "answer_digest": NO_ANSWER}  # answered, zero digest
        )


def _fields(receipt: AccessReceipt) -> dict[str, Any]:
    return {
        name: getattr(receipt, name)
        for name in (
            "receipt_id", "source", "requester", "vct", "claims", "purpose", "legal_basis",
            "case_ref", "time", "outcome", "answer_digest", "salt",
        )
    }  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"source": "0x1234"}, "address"),
        ({"requester": "cd" * 20}, "address"),
        ({"vct": "x" * 257}, "vct"),
        ({"purpose": "x" * 1025}, "purpose"),
        ({"case_ref": "x" * 129}, "case_ref"),
        ({"case_ref": "\ud800"}, "surrogate"),
        ({"claims": ["age over 18"]}, "claim path"),
        ({"claims": ["a", "a"]}, "twice"),
        ({"claims": "age_over_18"}, "collection"),
        ({"claims": [f"c{i}" for i in range(65)]}, "limit"),
        ({"legal_basis": "because"}, "because"),
        ({"outcome": "maybe"}, "maybe"),
        ({"now": -1}, "time"),
    ],
)
def test_values_out_of_range_are_refused(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(ReceiptInvalid, match=match):
        make(**overrides)


def _encoded(**changes: Any) -> bytes:
    obj = make().to_json()
    obj.update(changes)
    kept = {k: v for k, v in obj.items() if v is not _DROP}
    return orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)


_DROP = object()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "not a receipt"),
        (b"[1]", "JSON object"),
        (b'{"v":1}', "missing"),
        (b"{" * 200 + b"}" * 200, "not a receipt"),
        (b"x" * (33 * 1024), "not a receipt"),
        (_encoded(extra=1), "unknown \\['extra'\\]"),
        (_encoded(salt=_DROP), "missing \\['salt'\\]"),
        (_encoded(v=2), "version"),
        (_encoded(v=True), "version"),
        (_encoded(salt="00" * 15), "salt must be 16 bytes"),
        (_encoded(salt="0" * 31), "odd number"),
        (_encoded(salt="XY" * 16), "lowercase hex"),
        (_encoded(salt=12), "lowercase hex"),
        (_encoded(claims="age_over_18"), "array of claim paths"),
        (_encoded(claims=[1]), "array of claim paths"),
        (_encoded(outcome=3), "outcome must be text"),
        (_encoded(time=1.5), "whole seconds"),
        (_encoded(time=True), "whole seconds"),
        (_encoded(purpose_digest="00" * 32), "purpose_digest"),
        (_encoded(answer_digest="00" * 32), "zero bytes"),
    ],
)
def test_a_malformed_encoding_is_refused(data: bytes, match: str) -> None:
    with pytest.raises(ReceiptMalformed, match=match) as info:
        AccessReceipt.decode(data)
    assert type(info.value) is ReceiptMalformed


@pytest.mark.parametrize(
    "respell",
    [
        lambda b: b.replace(b'","', b'", "', 1),  # a space
        lambda b: b + b"\n",
        lambda b: orjson.dumps(dict(reversed(orjson.loads(b).items()))),  # members unsorted
        lambda b: b.replace("ø".encode(), b"\\u00f8"),  # an escape
        lambda b: b.replace(  # address in lowercase
            checksum_address(SOURCE).encode(), SOURCE.encode()
        ),
        lambda b: b.replace(b'"case_ref":"KK', b'"case_ref":"\\u004bK'),
    ],
)
def test_another_spelling_of_the_same_receipt_is_not_canonical(respell: Any) -> None:
    receipt = make()
    data = respell(receipt.encode())
    assert data != receipt.encode()
    with pytest.raises(ReceiptNotCanonical):
        AccessReceipt.decode(data)


def test_answer_digest_takes_text_or_bytes() -> None:
    assert answer_digest("a~") == answer_digest(b"a~") == hashlib.sha256(b"a~").digest()
