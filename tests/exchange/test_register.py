"""The register's record validation and claims, and the synthetic register."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import InvalidCprNumber, InvalidSubjectRecord
from ledger.exchange.register import birthdate_of_cpr, subject_claims, validate_record
from ledger.exchange.synthetic import MUNICIPALITIES, synthetic_register, write_synthetic

RECORD: dict[str, Any] = {
    "cpr_number": "010190-1234",
    "given_name": " Karen ",
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


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("010190-1234", "1990-01-01"),  # 0-3: 1900s
        ("311299-3999", "1999-12-31"),
        ("010136-4000", "2036-01-01"),  # 4: 2000s up to 36
        ("010137-4000", "1937-01-01"),  # 4: 1900s from 37
        ("010157-5000", "2057-01-01"),  # 5-8: 2000s up to 57
        ("010158-8000", "1858-01-01"),  # 5-8: 1800s from 58
        ("290200-9000", "2000-02-29"),  # 9: 2000s up to 36, a leap day
        ("010199-9000", "1999-01-01"),  # 9: 1900s from 37
    ],
)
def test_the_cpr_century_follows_the_seventh_digit_and_the_year(cpr: str, born: str) -> None:
    assert birthdate_of_cpr(cpr).isoformat() == born


@pytest.mark.parametrize(
    ("cpr", "reason"),
    [
        ("0101901234", "DDMMYY-SSSS"),
        ("010190-123", "DDMMYY-SSSS"),
        ("01019O-1234", "DDMMYY-SSSS"),
        ("010190-12345", "DDMMYY-SSSS"),
        ("310490-1234", "not a date that exists"),
        ("290201-4000", "not a date that exists"),  # 2001 is not a leap year
        ("000190-1234", "not a date that exists"),
    ],
)
def test_a_malformed_cpr_number_is_refused_without_repeating_it(cpr: str, reason: str) -> None:
    with pytest.raises(InvalidCprNumber, match=reason) as caught:
        validate_record({**RECORD, "cpr_number": cpr})
    assert cpr not in str(caught.value) and cpr[-4:] not in str(caught.value)
    assert caught.value.field == "cpr_number"


def test_a_cpr_number_must_encode_the_birthdate() -> None:
    with pytest.raises(InvalidCprNumber, match="does not encode the record's birthdate"):
        validate_record({**RECORD, "birthdate": "1990-01-02"})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"given_name": None}, "given_name"),
        ({"given_name": "   "}, "given_name"),
        ({"family_name": 7}, "family_name"),
        ({"family_name": "x" * 201}, "family_name"),
        ({"given_name": "Ka\x00ren"}, "given_name"),
        ({"birthdate": "01-01-1990"}, "birthdate"),
        ({"address": "Nørregade 7"}, "address"),
        ({"address": {**RECORD["address"], "postal_code": "116"}}, "address.postal_code"),
        ({"address": {**RECORD["address"], "floor": "2"}}, "address.floor"),
        ({"address": {k: v for k, v in RECORD["address"].items() if k != "locality"}},
         "address.locality"),
        ({"nationalities": []}, "nationalities"),
        ({"nationalities": "DK"}, "nationalities"),
        ({"nationalities": ["dk"]}, "nationalities"),
        ({"nationalities": ["DK", "DK"]}, "nationalities"),
        ({"email": "karen@example.org"}, "email"),
    ],
)
def test_a_bad_field_is_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidSubjectRecord) as caught:
        validate_record({**RECORD, **change})
    assert caught.value.field == field
    assert not isinstance(caught.value, InvalidCprNumber)


def test_a_record_missing_a_field_is_refused() -> None:
    partial = {k: v for k, v in RECORD.items() if k != "birthdate"}
    with pytest.raises(InvalidSubjectRecord, match="birthdate: missing"):
        validate_record(partial)


def test_a_valid_record_is_stored_trimmed() -> None:
    assert validate_record(RECORD)["given_name"] == "Karen"


def test_someone_born_on_a_leap_day_comes_of_age_on_the_first_of_march() -> None:
    record = validate_record({**RECORD, "cpr_number": "290208-4000", "birthdate": "2008-02-29"})

    def over_18(day: dt.date) -> bool:
        when = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
        return bool(subject_claims(record, now=when)["age_over_18"])

    assert over_18(dt.date(2026, 2, 28)) is False
    assert over_18(dt.date(2026, 3, 1)) is True


def test_age_over_65() -> None:
    record = validate_record(RECORD)
    claims = subject_claims(record, now=dt.datetime(2055, 1, 1, tzinfo=dt.UTC))
    assert (claims["age_over_18"], claims["age_over_65"]) == (True, True)


# --- the synthetic register --------------------------------------------------------------------


def test_the_synthetic_register_is_byte_identical_for_the_same_seed(tmp_path: Path) -> None:
    a = write_synthetic(tmp_path / "a.jsonl", 300, seed=7).read_bytes()
    b = write_synthetic(tmp_path / "b.jsonl", 300, seed=7).read_bytes()
    c = write_synthetic(tmp_path / "c.jsonl", 300, seed=8).read_bytes()
    assert a == b
    assert a != c
    assert a.count(b"\n") == 300


def test_synthetic_subjects_are_valid_distinct_and_spread() -> None:
    records = synthetic_register(2000, seed=1)
    cprs = [r["cpr_number"] for r in records]
    assert len(set(cprs)) == 2000
    for r in records:
        assert validate_record(r) == r
        assert r["address"]["municipality"] in MUNICIPALITIES
        assert "1930-01-01" <= r["birthdate"] <= "2015-12-31"
    years = {int(r["birthdate"][:4]) // 10 for r in records}
    assert years == set(range(193, 202))  # every decade 1930s .. 2010s
    assert sum(r["nationalities"] == ["DK"] for r in records) > 1800
    seventh = {r["cpr_number"][7] for r in records}
    assert {"0", "4", "9"} <= seventh and seventh & {"5", "6", "7", "8"}


def test_there_are_98_municipalities() -> None:
    assert len(MUNICIPALITIES) == len(set(MUNICIPALITIES)) == 98
