"""Pulls through the data service in-process: the answer, and every refusal path with its
stable code and its receipt."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest
from world import funded_account

from ledger.errors import (
    AnswerInvalid,
    ConsentMissing,
    ConsentWithdrawnRefusal,
    OverAsking,
    QueryExpired,
    QuerySignatureInvalid,
    RequesterNotRegistered,
    RequesterSuspended,
    SubjectUnknown,
    WrongPurpose,
)
from ledger.exchange.consent import sign_consent, sign_withdrawal
from ledger.exchange.query import DataQuery, SignedQuery
from ledger.exchange.receipts import (
    NO_ANSWER,
    AccessReceipt,
    LegalBasis,
    Outcome,
    answer_digest,
)
from ledger.exchange.source import DataSource
from service.conftest import ASKED, CASE, Pull

UNKNOWN_CPR = "311299-9999"  # valid form, not in the synthetic register


def grant(pull: Pull, claims: tuple[str, ...] = ASKED, **kwargs: Any) -> str:
    now = int(pull.clock())
    signed = sign_consent(
        pull.karen_key,
        requester=pull.world.verifier.address,
        source=pull.world.issuer.address,
        vct=pull.world.vct,
        claims=claims,
        purpose=pull.world.purpose,
        expires_at=now + 3600,
        now=now,
        **kwargs,
    )
    reply = pull.client.post("/exchange/consents", json={"document": signed.document})
    assert reply.status_code == 200, reply.text
    return signed.consent_id


def receipt(pull: Pull, receipt_id: str) -> AccessReceipt:
    row = pull.store.get_receipt(receipt_id)
    assert row is not None
    return AccessReceipt.decode(row.body)


def refused(pull: Pull, error: type[Exception], outcome: Outcome, **kwargs: Any) -> AccessReceipt:
    with pytest.raises(error) as info:
        pull.fetch(**kwargs)
    receipt_id = getattr(info.value, "receipt_id", None)
    assert receipt_id is not None
    got = receipt(pull, receipt_id)
    assert got.outcome is outcome
    assert got.answer_digest == NO_ANSWER
    return got


def test_consented_pull_returns_only_the_asked_claims_with_a_stored_receipt(pull: Pull) -> None:
    grant(pull)
    got = pull.fetch()
    assert got.claims == {
        "address": {"municipality": pull.karen["address"]["municipality"]},
        "age_over_18": got.claims["age_over_18"],
    }
    assert set(got.claims) == {"address", "age_over_18"}
    stored = receipt(pull, got.receipt_id)
    assert stored.outcome is Outcome.ANSWERED
    assert stored.answer_digest == answer_digest(got.credential)
    assert stored.claims == ASKED and stored.case_ref == CASE
    assert stored.requester == pull.world.verifier.address


def test_receipt_is_keyed_by_the_ecdh_secret_with_her_holder_key(pull: Pull) -> None:
    grant(pull)
    got = pull.fetch()
    row = pull.store.get_receipt(got.receipt_id)
    assert row is not None
    assert row.subject_key == pull.source.log_key.shared_secret(pull.karen_key.public_jwk)


def test_pull_without_consent_is_refused_and_receipted(pull: Pull) -> None:
    refused(pull, ConsentMissing, Outcome.NO_CONSENT)


def test_withdrawn_consent_is_refused_from_the_moment_it_arrives(pull: Pull) -> None:
    consent_id = grant(pull)
    pull.fetch()
    document = sign_withdrawal(pull.karen_key, consent_id, now=int(pull.clock()))
    reply = pull.client.post("/exchange/consents/withdraw", json={"document": document})
    assert reply.status_code == 200, reply.text
    pull.clock.now += 1
    refused(pull, ConsentWithdrawnRefusal, Outcome.CONSENT_WITHDRAWN)


def test_over_asking_is_refused(pull: Pull) -> None:
    grant(pull, claims=(*ASKED, "given_name"))
    refused(pull, OverAsking, Outcome.OVER_ASKING, claims=(*ASKED, "given_name"))


def test_a_claim_the_type_lacks_is_over_asking(pull: Pull) -> None:
    refused(pull, OverAsking, Outcome.OVER_ASKING, claims=("shoe_size",))


def test_wrong_purpose_is_refused(pull: Pull) -> None:
    refused(pull, WrongPurpose, Outcome.WRONG_PURPOSE, purpose="Marketing")


def test_requester_that_is_no_agency_is_refused(pull: Pull) -> None:
    stranger = funded_account(pull.world.rpc)
    pull.requester = pull.requester_as(stranger)
    refused(pull, RequesterNotRegistered, Outcome.NOT_REGISTERED)


def test_suspended_requester_is_refused(pull: Pull, chain_snapshot: str) -> None:
    grant(pull)
    actions = pull.world.reader().actions
    pull.world.execute(actions.suspend_agency(pull.world.verifier.address))
    refused(pull, RequesterSuspended, Outcome.REQUESTER_SUSPENDED)


def test_unauthorised_requester_gets_the_same_refusal_whether_or_not_she_exists(
    pull: Pull,
) -> None:
    known = pull.client.post("/exchange/query", content=_signed_body(pull, purpose="Marketing"))
    unknown = pull.client.post(
        "/exchange/query", content=_signed_body(pull, purpose="Marketing", subject=UNKNOWN_CPR)
    )
    assert known.status_code == unknown.status_code == 403
    assert _code(known) == _code(unknown) == "wrong-purpose"
    assert _message(known) == _message(unknown)


def test_unknown_subject_is_told_only_to_an_authorised_requester(pull: Pull) -> None:
    # Consent is checked first; without a record the subject has none: grant hers, ask another.
    refused(pull, ConsentMissing, Outcome.NO_CONSENT, subject=UNKNOWN_CPR)


def public_task(pull: Pull, monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the municipality's purpose as a public task (no consent needed)."""
    monkeypatch.setattr(pull.source, "_basis", lambda *_: LegalBasis.PUBLIC_TASK)


def test_unknown_subject_on_a_public_task_purpose(
    pull: Pull, monkeypatch: pytest.MonkeyPatch
) -> None:
    public_task(pull, monkeypatch)
    refused(pull, SubjectUnknown, Outcome.UNKNOWN_SUBJECT, subject=UNKNOWN_CPR)
    got = pull.fetch()
    assert receipt(pull, got.receipt_id).legal_basis is LegalBasis.PUBLIC_TASK


def test_replayed_query_is_refused(pull: Pull) -> None:
    grant(pull)
    body = _signed_body(pull)
    first = pull.client.post("/exchange/query", content=body)
    assert first.status_code == 200, first.text
    again = pull.client.post("/exchange/query", content=body)
    assert again.status_code == 409 and _code(again) == "replayed-query"
    assert receipt(pull, _receipt_id(again)).outcome is Outcome.REPLAYED_QUERY


def test_expired_query_is_refused(pull: Pull) -> None:
    grant(pull)
    body = _signed_body(pull, lifetime=60)
    pull.clock.now += 61
    reply = pull.client.post("/exchange/query", content=body)
    assert reply.status_code == 401 and _code(reply) == "expired-query"
    assert receipt(pull, _receipt_id(reply)).outcome is Outcome.EXPIRED_QUERY
    assert QueryExpired.code == "expired-query"


def test_forged_signature_is_refused(pull: Pull) -> None:
    from eth_account.messages import encode_typed_data

    grant(pull)
    forger = funded_account(pull.world.rpc)
    query = _query(pull)  # names the municipality as requester
    typed = encode_typed_data(full_message=query.typed_data(pull.source.domain))
    forged = SignedQuery(query, "0x" + bytes(forger.sign_message(typed).signature).hex())
    reply = pull.client.post("/exchange/query", content=forged.encode())
    assert reply.status_code == 401 and _code(reply) == "bad-signature"
    assert receipt(pull, _receipt_id(reply)).outcome is Outcome.BAD_SIGNATURE
    # a forgery does not spend the nonce: the real query still goes through
    signed = query.sign(pull.world.verifier, pull.source.domain)
    assert pull.client.post("/exchange/query", content=signed.encode()).status_code == 200
    assert QuerySignatureInvalid.code == "bad-signature"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"query": {}, "signature": "0x00"}',
        b'{"query": 1, "signature": "0x' + b"00" * 65 + b'"}',
        b"[" * 5000 + b"]" * 5000,
        b'{"a": 1, "a": 2}',
    ],
)
def test_malformed_bodies_get_400_malformed(pull: Pull, body: bytes) -> None:
    reply = pull.client.post("/exchange/query", content=body)
    assert reply.status_code == 400, reply.text
    assert _code(reply) == "malformed"


def test_oversized_body_gets_413_before_parsing(pull: Pull) -> None:
    reply = pull.client.post("/exchange/query", content=b"{" + b" " * 20_000 + b"}")
    assert reply.status_code == 413 and _code(reply) == "too-large"


def test_oversized_body_without_content_length_gets_413(pull: Pull) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b" " * 1024

    reply = pull.client.post("/exchange/query", content=chunks())
    assert reply.status_code == 413 and _code(reply) == "too-large"


def test_unknown_route_and_method_are_json_errors(pull: Pull) -> None:
    assert _code(pull.client.get("/nothing")) == "not-found"
    reply = pull.client.get("/exchange/query")
    assert reply.status_code == 405 and _code(reply) == "method-not-allowed"


def test_rate_limit_per_requester(pull: Pull) -> None:
    from ledger.service.limits import RateLimiter

    limiter = RateLimiter(rate=0.0, burst=2)
    limiter.take("a")
    limiter.take("a")
    from ledger.errors import RateLimited

    with pytest.raises(RateLimited):
        limiter.take("a")
    limiter.take("b")


def test_rate_limited_requester_gets_429(pull: Pull) -> None:
    from fastapi.testclient import TestClient

    from ledger.exchange.store import SqliteExchangeStore
    from ledger.service.app import create_app
    from ledger.service.limits import ServiceLimits

    source = pull.source
    other = DataSource(
        store=SqliteExchangeStore(pull.store._path),
        register=source.register,
        chain=source.chain,
        agency=source.agency,
        signing_key=source.signing_key,
        log_key=source.log_key,
        pseudonym_secret=bytes(32),
        clock=pull.clock,
    )
    app = create_app(other, limits=ServiceLimits(rate_per_second=0.0, burst=1))
    with TestClient(app) as client:
        assert _code(client.post("/exchange/query", content=_signed_body(pull))) == "no-consent"
        reply = client.post("/exchange/query", content=_signed_body(pull))
    assert reply.status_code == 429 and _code(reply) == "rate-limited"


def test_openapi_describes_the_query(pull: Pull) -> None:
    spec = pull.client.get("/openapi.json").json()
    post = spec["paths"]["/exchange/query"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert "signature" in schema["properties"]
    assert {"200", "400", "403", "409", "413", "429"} <= set(post["responses"])


def test_an_answer_for_another_requester_is_rejected(pull: Pull) -> None:
    grant(pull)
    body = _signed_body(pull)
    reply = pull.client.post("/exchange/query", content=body).json()
    other = funded_account(pull.world.rpc)
    query = _query(pull, requester=other.address)
    with pytest.raises(AnswerInvalid, match="another requester"):
        pull.requester_as(other).verify_answer(query, reply["credential"], reply["receipt_id"])


def test_an_answer_with_a_tampered_claim_is_rejected(pull: Pull) -> None:
    grant(pull)
    query = _query(pull)
    reply = pull.client.post(
        "/exchange/query", content=query.sign(pull.world.verifier, pull.source.domain).encode()
    ).json()
    header, payload, signature = reply["credential"].rstrip("~").split(".")
    from ledger._b64 import b64d, b64e

    claims = orjson.loads(b64d(payload))
    claims["age_over_18"] = not claims["age_over_18"]
    tampered = ".".join([header, b64e(orjson.dumps(claims)), signature]) + "~"
    with pytest.raises(AnswerInvalid):
        pull.requester.verify_answer(query, tampered, reply["receipt_id"])


def test_no_cpr_number_in_logs_or_error_messages(
    pull: Pull, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    replies = [
        pull.client.post("/exchange/query", content=_signed_body(pull)),
        pull.client.post("/exchange/query", content=_signed_body(pull, purpose="Marketing")),
    ]
    grant(pull)
    replies.append(pull.client.post("/exchange/query", content=_signed_body(pull)))
    public_task(pull, monkeypatch)
    replies.append(
        pull.client.post("/exchange/query", content=_signed_body(pull, subject=UNKNOWN_CPR))
    )
    cpr = pull.karen["cpr_number"]
    everything = caplog.text + "".join(r.text for r in replies)
    for number in (cpr, UNKNOWN_CPR):
        assert number not in everything
        assert number.replace("-", "") not in everything
    assert "answered query" in caplog.text and "refused query" in caplog.text


# --- helpers -----------------------------------------------------------------------------------


def _query(pull: Pull, **kwargs: Any) -> DataQuery:
    args: dict[str, Any] = {
        "subject": pull.karen["cpr_number"],
        "vct": pull.world.vct,
        "claims": ASKED,
        "purpose": pull.world.purpose,
        "case_ref": CASE,
        "requester": pull.world.verifier.address,
        "source": pull.world.issuer.address,
        "now": pull.clock(),
    }
    args.update(kwargs)
    return DataQuery.new(**args)


def _signed_body(pull: Pull, **kwargs: Any) -> bytes:
    return _query(pull, **kwargs).sign(pull.world.verifier, pull.source.domain).encode()


def _error(reply: Any) -> dict[str, Any]:
    error = reply.json()["error"]
    assert isinstance(error, dict)
    return error


def _code(reply: Any) -> str:
    return str(_error(reply)["code"])


def _message(reply: Any) -> str:
    return str(_error(reply)["message"])


def _receipt_id(reply: Any) -> str:
    return str(_error(reply)["receipt_id"])
