"""One behaviour suite for every `ExchangeStore` backend (SQLite and PostgreSQL, see conftest):
the register, receipts, consents, nonces and transactions."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest

from ledger.errors import (
    ConsentNotFound,
    DuplicateConsent,
    DuplicateReceipt,
    DuplicateSubject,
    ExchangeSchemaMismatch,
    ExchangeStoreNotOpen,
    QueryReplayed,
    ReceiptAlreadyBatched,
)
from ledger.exchange.register import StoreRegister, validate_record
from ledger.exchange.store import Consent, _SqlExchangeStore

StoreFactory = Callable[[], _SqlExchangeStore]

KAREN: dict[str, Any] = {
    "cpr_number": "010190-1234",
    "given_name": "Karen",
    "family_name": "Jensen",
    "birthdate": "1990-01-01",
    "address": {
        "street_address": "Nørregade 7",
        "postal_code": "1165",
        "locality": "København K",
        "municipality": "København",
    },
    "nationalities": ["DK"],
}
TEEN = {**KAREN, "cpr_number": "150607-4321", "given_name": "Ida", "birthdate": "2007-06-15"}
NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
PURPOSE = bytes(range(32))


def _consent(consent_id: str = "c1", **changes: Any) -> Consent:
    values: dict[str, Any] = {
        "consent_id": consent_id,
        "subject_id": KAREN["cpr_number"],
        "requester": "0x" + "ab" * 20,
        "credential_type": "https://credentials.cpr.dk/person/v1",
        "claims": ("age_over_18", "address.municipality"),
        "purpose_digest": PURPOSE,
        "granted_at": 1_000,
        "expires_at": 2_000,
        "document": b"signed consent",
    }
    values.update(changes)
    return Consent(**values)


# --- register ----------------------------------------------------------------------------------


def test_a_stored_subject_is_looked_up_with_its_claims(make_store: StoreFactory) -> None:
    with make_store() as store:
        register = StoreRegister(store)
        assert register.put_many([KAREN, TEEN]) == 2
        claims = register.lookup("010190-1234", now=NOW)
        assert register.count() == 2
    assert claims == {
        **validate_record(KAREN),
        "age_over_18": True,
        "age_over_65": False,
    }


def test_an_unknown_subject_is_none(make_store: StoreFactory) -> None:
    with make_store() as store:
        register = StoreRegister(store)
        register.put_many([KAREN])
        assert register.lookup("020290-1234", now=NOW) is None
        assert register.lookup("not a cpr number", now=NOW) is None
        assert register.count() == 1


def test_age_over_18_is_computed_at_the_given_now(make_store: StoreFactory) -> None:
    with make_store() as store:
        register = StoreRegister(store)
        register.put_many([TEEN])
        day_before = dt.datetime(2025, 6, 14, 23, 59, tzinfo=dt.UTC)
        birthday = dt.datetime(2025, 6, 15, 0, 0, tzinfo=dt.UTC)
        before = register.lookup(TEEN["cpr_number"], now=day_before)
        on = register.lookup(TEEN["cpr_number"], now=birthday.timestamp())
    assert before is not None and on is not None
    assert (before["age_over_18"], on["age_over_18"]) == (False, True)


def test_putting_a_subject_again_replaces_its_record(make_store: StoreFactory) -> None:
    moved = {**KAREN, "address": {**KAREN["address"], "municipality": "Aarhus"}}
    with make_store() as store:
        register = StoreRegister(store)
        register.put_many([KAREN])
        register.put_many([moved])
        claims = register.lookup(KAREN["cpr_number"], now=NOW)
        assert register.count() == 1
    assert claims is not None and claims["address"]["municipality"] == "Aarhus"


def test_one_subject_twice_in_a_batch_stores_nothing(make_store: StoreFactory) -> None:
    with make_store() as store:
        register = StoreRegister(store)
        with pytest.raises(DuplicateSubject) as caught:
            register.put_many([TEEN, KAREN, KAREN])
        assert register.count() == 0
    assert KAREN["cpr_number"] not in str(caught.value)


def test_the_register_survives_closing_the_store(make_store: StoreFactory) -> None:
    with make_store() as store:
        StoreRegister(store).put_many([KAREN])
    with make_store() as store:
        assert StoreRegister(store).lookup(KAREN["cpr_number"], now=NOW) is not None


# --- receipts ----------------------------------------------------------------------------------


def test_receipts_get_a_monotonic_seq_without_gaps(make_store: StoreFactory) -> None:
    with make_store() as store:
        seqs = [
            store.add_receipt(f"r{i}", created_at=100 + i, body=b"body %d" % i)
            for i in range(5)
        ]
        row = store.get_receipt("r3")
        assert store.count_receipts() == 5
    assert seqs == [1, 2, 3, 4, 5]
    assert row is not None and (row.seq, row.body, row.batch_no, row.leaf) == (
        4, b"body 3", None, None
    )


def test_a_duplicate_receipt_id_is_refused_and_takes_no_seq(make_store: StoreFactory) -> None:
    with make_store() as store:
        store.add_receipt("r1", created_at=1, body=b"a")
        with pytest.raises(DuplicateReceipt):
            store.add_receipt("r1", created_at=2, body=b"b")
        assert store.add_receipt("r2", created_at=3, body=b"c") == 2
        row = store.get_receipt("r1")
    assert row is not None and row.body == b"a"


def test_two_connections_writing_receipts_at_once_never_share_a_seq(
    make_store: StoreFactory,
) -> None:
    with make_store():
        pass  # make the schema once
    per_thread = 40
    seqs: dict[str, list[int]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            with make_store() as store:
                barrier.wait()
                for i in range(per_thread):
                    seqs[name].append(store.add_receipt(f"{name}{i}", created_at=i, body=b"x"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in seqs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    every = sorted(seqs["a"] + seqs["b"])
    assert every == list(range(1, 2 * per_thread + 1))
    assert seqs["a"] == sorted(seqs["a"]) and seqs["b"] == sorted(seqs["b"])


def test_receipts_are_batched_once_with_their_leaves(make_store: StoreFactory) -> None:
    with make_store() as store:
        for i in range(4):
            store.add_receipt(f"r{i}", created_at=i, body=b"b", subject_key=b"k%d" % (i % 2))
        assert [r.receipt_id for r in store.unbatched_receipts(limit=3)] == ["r0", "r1", "r2"]
        store.assign_batch(1, ["r0", "r1"], leaves={"r0": b"L0", "r1": b"L1"})
        assert [(r.receipt_id, r.leaf) for r in store.receipts_in_batch(1)] == [
            ("r0", b"L0"), ("r1", b"L1"),
        ]
        with pytest.raises(ReceiptAlreadyBatched):
            store.assign_batch(2, ["r2", "r1"], leaves={"r2": b"L2", "r1": b"L1"})
        assert store.receipts_in_batch(2) == []  # r2 was not batched either: all or none
        assert [r.receipt_id for r in store.unbatched_receipts()] == ["r2", "r3"]
        with pytest.raises(ReceiptAlreadyBatched):
            store.assign_batch(2, ["nope"], leaves={"nope": b"L"})
        assert store.last_batch_no() == 1
        assert [r.receipt_id for r in store.receipts_for_subject_key(b"k1")] == ["r1", "r3"]


def test_a_receipt_cannot_be_batched_without_a_leaf(make_store: StoreFactory) -> None:
    with make_store() as store:
        store.add_receipt("r0", created_at=0, body=b"b")
        with pytest.raises(Exception) as caught:
            store.assign_batch(1, ["r0"])
        assert not isinstance(caught.value, ReceiptAlreadyBatched)
        assert store.receipts_in_batch(1) == []


# --- nonces ------------------------------------------------------------------------------------


def test_a_replayed_nonce_is_refused(make_store: StoreFactory) -> None:
    with make_store() as store:
        store.use_nonce("0xaa", "n1", expires_at=100)
        with pytest.raises(QueryReplayed):
            store.use_nonce("0xaa", "n1", expires_at=100)
        store.use_nonce("0xbb", "n1", expires_at=100)  # another requester's nonce space


def test_a_nonce_replayed_from_two_connections_at_once_is_accepted_once(
    make_store: StoreFactory,
) -> None:
    with make_store():
        pass
    rounds = 25
    accepted: dict[str, int] = {"a": 0, "b": 0}
    refused: dict[str, int] = {"a": 0, "b": 0}
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def racer(name: str) -> None:
        try:
            with make_store() as store:
                for i in range(rounds):
                    barrier.wait()
                    try:
                        store.use_nonce("0xaa", f"nonce-{i}", expires_at=10**9)
                        accepted[name] += 1
                    except QueryReplayed:
                        refused[name] += 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=racer, args=(n,)) for n in accepted]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(accepted.values()) == rounds
    assert sum(refused.values()) == rounds


def test_expired_nonces_are_pruned(make_store: StoreFactory) -> None:
    with make_store() as store:
        store.use_nonce("0xaa", "old", expires_at=100)
        store.use_nonce("0xaa", "new", expires_at=300)
        assert store.prune_nonces(now=200) == 1
        store.use_nonce("0xaa", "old", expires_at=400)
        with pytest.raises(QueryReplayed):
            store.use_nonce("0xaa", "new", expires_at=400)


# --- consents ----------------------------------------------------------------------------------


def test_a_granted_consent_is_found_until_it_is_withdrawn(make_store: StoreFactory) -> None:
    c = _consent()
    args = (c.subject_id, c.requester, c.credential_type)
    with make_store() as store:
        store.add_consent(c)
        assert store.get_consent("c1") == c
        assert store.find_consent(*args, ["age_over_18"], PURPOSE, now=1500) == c
        withdrawn = store.withdraw_consent("c1", at=1600)
        assert withdrawn.withdrawn_at == 1600
        assert store.withdraw_consent("c1", at=1700).withdrawn_at == 1600  # first time stays
        assert store.find_consent(*args, ["age_over_18"], PURPOSE, now=1650) is None
        assert store.find_consent(*args, ["age_over_18"], PURPOSE, now=1550) == withdrawn
        assert store.consents_of(c.subject_id) == [withdrawn]
        assert store.consents_of("020290-1234") == []


def test_a_consent_covers_only_its_claims_purpose_requester_and_time(
    make_store: StoreFactory,
) -> None:
    c = _consent()
    with make_store() as store:
        store.add_consent(c)

        def find(**over: Any) -> Consent | None:
            q: dict[str, Any] = {
                "subject_id": c.subject_id, "requester": c.requester,
                "credential_type": c.credential_type,
                "claims": ["age_over_18", "address.municipality"],
                "purpose_digest": PURPOSE, "now": 1500,
            }
            q.update(over)
            return store.find_consent(**q)

        assert find() == c
        assert find(claims=["age_over_18", "cpr_number"]) is None  # over-asking
        assert find(purpose_digest=bytes(32)) is None
        assert find(requester="0x" + "cd" * 20) is None
        assert find(credential_type="other") is None
        assert find(subject_id="020290-1234") is None
        assert find(now=2000) is None  # expired
        assert find(now=999) is None  # not yet granted


def test_consent_errors_are_specific(make_store: StoreFactory) -> None:
    with make_store() as store:
        store.add_consent(_consent())
        with pytest.raises(DuplicateConsent):
            store.add_consent(_consent())
        with pytest.raises(ConsentNotFound):
            store.withdraw_consent("nope", at=1)
        assert store.get_consent("nope") is None


# --- transactions and lifecycle ----------------------------------------------------------------


def test_a_failed_transaction_stores_nothing(make_store: StoreFactory) -> None:
    with make_store() as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.add_receipt("r1", created_at=1, body=b"a")
            store.use_nonce("0xaa", "n1", expires_at=100)
            store.add_consent(_consent())
            StoreRegister(store).put_many([KAREN])
            raise RuntimeError("crash before commit")
        assert store.count_receipts() == 0
        assert store.get_consent("c1") is None
        assert store.count_subjects() == 0
        store.use_nonce("0xaa", "n1", expires_at=100)  # the nonce was not kept
        assert store.add_receipt("r1", created_at=1, body=b"a") == 1  # nor the seq


def test_a_refused_write_inside_a_transaction_undoes_only_itself(
    make_store: StoreFactory,
) -> None:
    with make_store() as store:
        store.use_nonce("0xaa", "n1", expires_at=100)
        with store.transaction():
            store.add_receipt("refusal", created_at=1, body=b"replay refused")
            with pytest.raises(QueryReplayed):
                store.use_nonce("0xaa", "n1", expires_at=100)
            store.add_receipt("next", created_at=2, body=b"b")
        assert [r.receipt_id for r in store.unbatched_receipts()] == ["refusal", "next"]


def test_a_store_of_another_schema_version_is_refused(make_store: StoreFactory) -> None:
    with make_store() as store, store.transaction():
        store._run("UPDATE exchange_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(ExchangeSchemaMismatch, match="schema version 99"):
        make_store().open()


def test_a_store_used_before_open_says_so(make_store: StoreFactory) -> None:
    store = make_store()  # the constructor does no I/O
    with pytest.raises(ExchangeStoreNotOpen):
        store.count_subjects()
