"""The citizen's consent: signed by her holder key in the wallet, verified and recorded by the
source, withdrawn from the moment the source records the withdrawal; every refusal specific."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger._rand import UnsafeDeterministicRandom
from ledger.errors import (
    ConsentExpired,
    ConsentMalformed,
    ConsentNotFound,
    ConsentNotYetValid,
    ConsentSignatureInvalid,
    ConsentWrongKey,
    ConsentWrongSource,
    DuplicateConsent,
)
from ledger.exchange.consent import (
    CONSENT_TYP,
    MAX_DOCUMENT_BYTES,
    SignedConsent,
    record_consent,
    record_withdrawal,
    sign_consent,
    sign_withdrawal,
    verify_consent,
    verify_withdrawal,
)
from ledger.exchange.receipts import purpose_digest
from ledger.exchange.store import SqliteExchangeStore
from ledger.sdjwt.jwk import SigningKey
from ledger.sdjwt.jws import sign_compact

SOURCE = "0x" + "11" * 20
KOMMUNE = "0x" + "22" * 20
VCT = "https://cpr.example/person"
NOW = 1_780_000_000
DAY = 86_400
KAREN = "010190-1234"
RNG = UnsafeDeterministicRandom(17)
KEY = SigningKey.generate(rng=RNG)
OTHER_KEY = SigningKey.generate(rng=RNG)


def grant(key: SigningKey = KEY, **kw: object) -> SignedConsent:
    args: dict[str, object] = {
        "requester": KOMMUNE,
        "source": SOURCE,
        "vct": VCT,
        "claims": ["address.municipality", "age_over_18"],
        "purpose": "Boligstøtte",
        "expires_at": NOW + 90 * DAY,
        "now": NOW,
        "rng": RNG,
    }
    args.update(kw)
    return sign_consent(key, **args)  # type: ignore[arg-type]


def forged(payload_change: dict[str, object], key: SigningKey = KEY, typ: str = CONSENT_TYP) -> str:
    """A consent with members changed and signed again (a well-signed, badly-formed document)."""
    payload = verify_consent(grant().document, KEY.public_jwk, now=NOW)
    body: dict[str, object] = {
        "consent_id": payload.consent_id,
        "requester": payload.requester,
        "source": payload.source,
        "vct": payload.vct,
        "claims": list(payload.claims),
        "purpose": payload.purpose,
        "purpose_digest": payload.purpose_digest.hex(),
        "iat": payload.issued_at,
        "exp": payload.expires_at,
    }
    body.update(payload_change)
    body = {k: v for k, v in body.items() if v is not None}
    return sign_compact({"typ": typ, "kid": key.kid}, body, key)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteExchangeStore]:
    with SqliteExchangeStore(tmp_path / "source.db") as s:
        yield s


# --- signing and verifying ---------------------------------------------------------------------


def test_a_signed_consent_verifies_with_the_holder_key() -> None:
    signed = grant(claims=["age_over_18", "address.municipality"])
    consent = verify_consent(signed.document, KEY.public_jwk, now=NOW + DAY)
    assert consent == signed.consent
    assert consent.claims == ("address.municipality", "age_over_18")
    assert consent.purpose_digest == purpose_digest("Boligstøtte")
    assert (consent.requester, consent.source, consent.vct) == (KOMMUNE, SOURCE, VCT)
    assert (consent.issued_at, consent.expires_at) == (NOW, NOW + 90 * DAY)
    assert consent.holder_kid == KEY.kid
    assert len(consent.consent_id) == 32


def test_each_consent_gets_its_own_random_id() -> None:
    assert grant().consent_id != grant().consent_id


def test_the_document_names_no_subject() -> None:
    payload = json.loads(base64.urlsafe_b64decode(grant().document.split(".")[1] + "=="))
    assert set(payload) == {
        "consent_id", "requester", "source", "vct", "claims", "purpose", "purpose_digest",
        "iat", "exp",
    }  # fmt: skip


def test_a_consent_signed_by_another_key_is_refused_as_wrong_key() -> None:
    with pytest.raises(ConsentWrongKey):
        verify_consent(grant(OTHER_KEY).document, KEY.public_jwk, now=NOW)


def test_a_consent_naming_her_key_but_signed_by_another_is_a_bad_signature() -> None:
    header, payload, _ = grant().document.split(".")
    other_signature = grant(OTHER_KEY).document.split(".")[2]
    with pytest.raises(ConsentSignatureInvalid):
        verify_consent(f"{header}.{payload}.{other_signature}", KEY.public_jwk, now=NOW)


def test_a_changed_payload_breaks_the_signature() -> None:
    header, _, signature = grant().document.split(".")
    _, other_payload, _ = grant(claims=["cpr_number"]).document.split(".")
    with pytest.raises(ConsentSignatureInvalid):
        verify_consent(f"{header}.{other_payload}.{signature}", KEY.public_jwk, now=NOW)


def test_an_expired_consent_is_refused() -> None:
    with pytest.raises(ConsentExpired):
        verify_consent(grant().document, KEY.public_jwk, now=NOW + 90 * DAY)


def test_a_consent_dated_ahead_of_the_clock_is_refused() -> None:
    with pytest.raises(ConsentNotYetValid):
        verify_consent(grant(now=NOW + 3600).document, KEY.public_jwk, now=NOW)


def test_a_consent_dated_within_the_clock_skew_is_accepted() -> None:
    verify_consent(grant(now=NOW + 60).document, KEY.public_jwk, now=NOW)


@pytest.mark.parametrize(
    ("document", "why"),
    [
        ("not a jws", "three parts"),
        ("a.b", "three parts"),
        ("!!!.e30.e30", "base64url"),
        ("e30.bm90IGpzb24.AA", "JSON is refused"),
        ("W10.e30.AA", "JSON objects"),
        ("é.e30.AA", "ASCII"),
        ("x" * (MAX_DOCUMENT_BYTES + 1), "over the limit"),
    ],
)
def test_a_malformed_document_is_refused(document: str, why: str) -> None:
    with pytest.raises(ConsentMalformed, match=why):
        verify_consent(document, KEY.public_jwk, now=NOW)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"purpose_digest": "00" * 32}, "purpose_digest is not the digest"),
        ({"exp": NOW}, "exp must be after iat"),
        ({"claims": []}, "1..64 claim paths"),
        ({"claims": ["a", "a"]}, "named twice"),
        ({"claims": ["a..b"]}, "claims:"),
        ({"requester": "0x1234"}, "requester"),
        ({"consent_id": "ZZ"}, "consent_id"),
        ({"iat": 1.5}, "iat must be whole seconds"),
        ({"vct": None}, "missing: vct"),
        ({"extra": 1}, "unknown: extra"),
    ],
)
def test_a_well_signed_but_malformed_consent_is_refused(
    change: dict[str, object], why: str
) -> None:
    with pytest.raises(ConsentMalformed, match=why):
        verify_consent(forged(change), KEY.public_jwk, now=NOW)


def test_a_withdrawal_is_not_a_consent() -> None:
    with pytest.raises(ConsentMalformed, match="typ must be"):
        verify_consent(sign_withdrawal(KEY, grant().consent_id, now=NOW), KEY.public_jwk, now=NOW)


def test_a_consent_holder_key_that_is_not_a_key_is_refused() -> None:
    with pytest.raises(ConsentWrongKey):
        verify_consent(grant().document, {"kty": "EC", "crv": "P-256"}, now=NOW)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"expires_at": NOW}, "expire after"),
        ({"expires_at": NOW + 6 * 366 * DAY}, "five years"),
        ({"claims": []}, "claim paths"),
        ({"purpose": ""}, "purpose"),
        ({"source": "cpr"}, "source"),
    ],
)
def test_the_wallet_refuses_to_sign_a_bad_consent(change: dict[str, object], why: str) -> None:
    with pytest.raises(ConsentMalformed, match=why):
        grant(KEY, **change)


def test_a_withdrawal_verifies_with_the_holder_key() -> None:
    signed = grant()
    document = sign_withdrawal(KEY, signed.consent_id, now=NOW + 5)
    withdrawal = verify_withdrawal(document, KEY.public_jwk, now=NOW + 10)
    assert (withdrawal.consent_id, withdrawal.issued_at) == (signed.consent_id, NOW + 5)
    with pytest.raises(ConsentWrongKey):
        verify_withdrawal(document, OTHER_KEY.public_jwk, now=NOW + 10)


# --- recording at the source -------------------------------------------------------------------


def test_a_recorded_consent_covers_the_query_it_names(store: SqliteExchangeStore) -> None:
    signed = grant()
    record_consent(store, signed.document, KEY.public_jwk, subject_id=KAREN, source=SOURCE, now=NOW)
    found = store.find_consent(
        KAREN, KOMMUNE, VCT, ["age_over_18"], purpose_digest("Boligstøtte"), now=NOW + 1
    )
    assert found is not None and found.consent_id == signed.consent_id
    assert found.document == signed.document.encode("ascii")


def test_a_consent_addressed_to_another_source_is_not_recorded(
    store: SqliteExchangeStore,
) -> None:
    with pytest.raises(ConsentWrongSource):
        record_consent(
            store, grant().document, KEY.public_jwk, subject_id=KAREN, source=KOMMUNE, now=NOW
        )
    assert store.consents_of(KAREN) == []


def test_a_consent_posted_twice_is_a_duplicate(store: SqliteExchangeStore) -> None:
    document = grant().document
    record_consent(store, document, KEY.public_jwk, subject_id=KAREN, source=SOURCE, now=NOW)
    with pytest.raises(DuplicateConsent):
        record_consent(store, document, KEY.public_jwk, subject_id=KAREN, source=SOURCE, now=NOW)


def test_a_withdrawal_is_honoured_from_the_moment_it_is_recorded(
    store: SqliteExchangeStore,
) -> None:
    signed = grant()
    record_consent(store, signed.document, KEY.public_jwk, subject_id=KAREN, source=SOURCE, now=NOW)
    # dated earlier by the wallet, but honoured from when the source records it
    withdrawal = sign_withdrawal(KEY, signed.consent_id, now=NOW + 10)
    stored = record_withdrawal(store, withdrawal, KEY.public_jwk, subject_id=KAREN, now=NOW + 100)
    assert stored.withdrawn_at == NOW + 100
    digest = purpose_digest("Boligstøtte")
    assert store.find_consent(KAREN, KOMMUNE, VCT, ["age_over_18"], digest, now=NOW + 99)
    assert not store.find_consent(KAREN, KOMMUNE, VCT, ["age_over_18"], digest, now=NOW + 100)


def test_withdrawing_again_keeps_the_first_time(store: SqliteExchangeStore) -> None:
    signed = grant()
    record_consent(store, signed.document, KEY.public_jwk, subject_id=KAREN, source=SOURCE, now=NOW)
    withdrawal = sign_withdrawal(KEY, signed.consent_id, now=NOW)
    record_withdrawal(store, withdrawal, KEY.public_jwk, subject_id=KAREN, now=NOW + 5)
    again = record_withdrawal(store, withdrawal, KEY.public_jwk, subject_id=KAREN, now=NOW + 50)
    assert again.withdrawn_at == NOW + 5


def test_another_subjects_consent_cannot_be_withdrawn(store: SqliteExchangeStore) -> None:
    signed = grant()
    record_consent(store, signed.document, KEY.public_jwk, subject_id=KAREN, source=SOURCE, now=NOW)
    withdrawal = sign_withdrawal(OTHER_KEY, signed.consent_id, now=NOW)
    with pytest.raises(ConsentNotFound) as caught:
        record_withdrawal(
            store, withdrawal, OTHER_KEY.public_jwk, subject_id="020290-4321", now=NOW
        )
    assert "020290" not in str(caught.value) and KAREN not in str(caught.value)
    with pytest.raises(ConsentWrongKey):  # her subject id, but not her key
        record_withdrawal(store, withdrawal, OTHER_KEY.public_jwk, subject_id=KAREN, now=NOW)
    assert store.get_consent(signed.consent_id).withdrawn_at is None  # type: ignore[union-attr]


def test_withdrawing_an_unknown_consent_is_not_found(store: SqliteExchangeStore) -> None:
    withdrawal = sign_withdrawal(KEY, "ab" * 16, now=NOW)
    with pytest.raises(ConsentNotFound):
        record_withdrawal(store, withdrawal, KEY.public_jwk, subject_id=KAREN, now=NOW)
