"""Importing register files: round trips, bad rows named by line, hostile input, all or
nothing."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import (
    ImportFileRejected,
    ImportRowInvalid,
    JsonDuplicateKey,
    JsonTooDeep,
)
from ledger.exchange.importer import CSV_COLUMNS, import_file
from ledger.exchange.register import StoreRegister
from ledger.exchange.store import SqliteExchangeStore
from ledger.exchange.synthetic import synthetic_register, write_synthetic

NOW = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)


@pytest.fixture
def register(tmp_path: Path) -> Iterator[StoreRegister]:
    with SqliteExchangeStore(tmp_path / "register.db") as store:
        yield StoreRegister(store)


def _csv_row(r: dict[str, Any]) -> list[str]:
    return [
        r["cpr_number"], r["given_name"], r["family_name"], r["birthdate"],
        *(r["address"][f] for f in ("street_address", "postal_code", "locality",
                                     "municipality")),
        ";".join(r["nationalities"]),
    ]


def _write_csv(path: Path, records: list[dict[str, Any]], *extra: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for r in records:
            w.writerow(_csv_row(r))
        for row in extra:
            w.writerow(row)
    return path


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# --- round trips -------------------------------------------------------------------------------


def test_a_synthetic_jsonl_file_round_trips(tmp_path: Path, register: StoreRegister) -> None:
    path = write_synthetic(tmp_path / "persons.jsonl", 500, seed=3)
    seen: list[int] = []
    report = import_file(path, register, progress=seen.append, progress_every=100)
    assert (report.rows, report.fmt, register.count()) == (500, "jsonl", 500)
    assert seen == [100, 200, 300, 400, 500, 500]
    for record in synthetic_register(500, seed=3)[:20]:
        claims = register.lookup(record["cpr_number"], now=NOW)
        assert claims is not None
        assert {k: claims[k] for k in record} == record


def test_a_csv_file_round_trips(tmp_path: Path, register: StoreRegister) -> None:
    records = synthetic_register(50, seed=4)
    records[0] = {**records[0], "nationalities": ["DK", "SE"],
                  "address": {**records[0]["address"], "street_address": 'Vej "7", st.'}}
    path = _write_csv(tmp_path / "persons.csv", records)
    assert import_file(path, register).rows == 50
    for record in records:
        claims = register.lookup(record["cpr_number"], now=NOW)
        assert claims is not None and {k: claims[k] for k in record} == record


def test_a_json_array_file_round_trips(tmp_path: Path, register: StoreRegister) -> None:
    records = synthetic_register(20, seed=5)
    path = tmp_path / "persons.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    assert import_file(path, register).rows == 20
    assert register.count() == 20


# --- bad rows ----------------------------------------------------------------------------------


def test_bad_csv_rows_are_named_by_line_and_nothing_is_imported(
    tmp_path: Path, register: StoreRegister
) -> None:
    good = synthetic_register(5, seed=6)
    bad_cpr = _csv_row({**good[0], "cpr_number": "310490-1234"})
    short = _csv_row(good[1])[:-1]
    path = _write_csv(tmp_path / "persons.csv", good, bad_cpr, short, _csv_row(good[2]))
    with pytest.raises(ImportRowInvalid) as caught:
        import_file(path, register)
    assert caught.value.errors == (
        (7, "cpr_number: its first six digits are not a date that exists (DDMMYY)"),
        (8, "8 fields, the header has 9"),
        (9, "the same subject as line 4"),
    )
    assert "nothing imported" in str(caught.value)
    for r in good:
        assert r["cpr_number"] not in str(caught.value)
    assert "310490" not in str(caught.value)
    assert register.count() == 0


def test_bad_jsonl_lines_are_named_by_line(tmp_path: Path, register: StoreRegister) -> None:
    good = [json.dumps(r, ensure_ascii=False) for r in synthetic_register(3, seed=7)]
    no_name = json.loads(good[1])
    del no_name["given_name"]
    path = _jsonl(tmp_path / "p.jsonl", [good[0], "", json.dumps(no_name), "[1, 2]", good[2]])
    with pytest.raises(ImportRowInvalid) as caught:
        import_file(path, register)
    assert caught.value.errors == ((3, "given_name: missing"), (4, "the record is not an object"))
    assert register.count() == 0


def test_a_bad_json_array_element_is_named_by_position(
    tmp_path: Path, register: StoreRegister
) -> None:
    records: list[Any] = synthetic_register(3, seed=8)
    records[2] = {**records[2], "nationalities": ["Danish"]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(ImportRowInvalid, match="record 3: nationalities"):
        import_file(path, register)


def test_the_error_list_stops_at_its_limit(tmp_path: Path, register: StoreRegister) -> None:
    path = _jsonl(tmp_path / "p.jsonl", ['{"cpr_number": "x"}'] * 50)
    with pytest.raises(ImportRowInvalid, match="stopped at the limit") as caught:
        import_file(path, register, max_errors=5)
    assert [line for line, _ in caught.value.errors] == [1, 2, 3, 4, 5]


def test_a_failing_store_keeps_nothing_of_the_file(tmp_path: Path) -> None:
    path = write_synthetic(tmp_path / "p.jsonl", 100, seed=9)

    class Failing(StoreRegister):
        def put_many(self, records: Any) -> int:
            store = self._store
            with store.transaction():
                stored = super().put_many(records)
                raise OSError(f"disk gone after {stored} rows")

    with SqliteExchangeStore(tmp_path / "r.db") as store:
        with pytest.raises(OSError):
            import_file(path, Failing(store))
        assert store.count_subjects() == 0


# --- hostile files -----------------------------------------------------------------------------


def test_a_deeply_nested_jsonl_line_is_refused_by_the_bounded_parser(
    tmp_path: Path, register: StoreRegister
) -> None:
    good = json.dumps(synthetic_register(1, seed=10)[0])
    path = _jsonl(tmp_path / "p.jsonl", [good, "[" * 20_000 + "]" * 20_000])
    with pytest.raises(ImportFileRejected, match="line 2: not a JSON record") as caught:
        import_file(path, register, max_line=100_000)
    assert isinstance(caught.value.__cause__, JsonTooDeep)
    assert register.count() == 0


def test_a_huge_jsonl_line_is_refused_before_it_is_parsed(
    tmp_path: Path, register: StoreRegister
) -> None:
    path = _jsonl(tmp_path / "p.jsonl", ['{"given_name": "' + "a" * 1_000_000 + '"}'])
    with pytest.raises(ImportFileRejected, match="line 1: longer than the limit of 65536 bytes"):
        import_file(path, register)


def test_a_repeated_member_name_is_refused(tmp_path: Path, register: StoreRegister) -> None:
    path = _jsonl(tmp_path / "p.jsonl", ['{"given_name": "a", "given_name": "b"}'])
    with pytest.raises(ImportFileRejected) as caught:
        import_file(path, register)
    assert isinstance(caught.value.__cause__, JsonDuplicateKey)


def test_a_deeply_nested_json_file_is_refused(tmp_path: Path, register: StoreRegister) -> None:
    path = tmp_path / "p.json"
    path.write_text("[" * 65_536 + "]" * 65_536)
    with pytest.raises(ImportFileRejected, match="not a JSON document") as caught:
        import_file(path, register)
    assert isinstance(caught.value.__cause__, JsonTooDeep)


def test_a_json_file_beyond_the_size_limit_is_refused(
    tmp_path: Path, register: StoreRegister
) -> None:
    path = tmp_path / "p.json"
    path.write_text("[" + ",".join(["1"] * 1000) + "]")
    with pytest.raises(ImportFileRejected, match="larger than the limit of 100 bytes"):
        import_file(path, register, max_bytes=100)


def test_a_huge_csv_field_is_refused_with_its_line(
    tmp_path: Path, register: StoreRegister
) -> None:
    good = synthetic_register(2, seed=11)
    huge = _csv_row(good[1])
    huge[1] = "x" * 10_000_000
    path = _write_csv(tmp_path / "p.csv", [good[0]], huge)
    with pytest.raises(ImportFileRejected, match=r"line 3: not CSV \(field larger than"):
        import_file(path, register)
    assert register.count() == 0


def test_a_long_csv_field_is_a_bad_row(tmp_path: Path, register: StoreRegister) -> None:
    row = _csv_row(synthetic_register(1, seed=12)[0])
    row[2] = "y" * 5000
    path = _write_csv(tmp_path / "p.csv", [], row)
    with pytest.raises(ImportRowInvalid) as caught:
        import_file(path, register)
    assert caught.value.errors == ((2, "family_name: longer than 1024 characters"),)


def test_a_csv_file_with_too_many_rows_is_refused(
    tmp_path: Path, register: StoreRegister
) -> None:
    path = _write_csv(tmp_path / "p.csv", synthetic_register(11, seed=13))
    with pytest.raises(ImportFileRejected, match="more than the limit of 10 rows"):
        import_file(path, register, max_rows=10)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"cpr_number,name\n", "unknown: 'name'"),
        (",".join(CSV_COLUMNS).encode() + b"\n\xff\xfe,\n", "not UTF-8"),
        (",".join(CSV_COLUMNS).encode() + b'\n"unterminated\n', "not CSV"),
    ],
)
def test_a_malformed_csv_file_is_refused(
    tmp_path: Path, register: StoreRegister, content: bytes, reason: str
) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileRejected, match=reason):
        import_file(path, register)


def test_an_unknown_suffix_is_refused(tmp_path: Path, register: StoreRegister) -> None:
    path = tmp_path / "p.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(ImportFileRejected, match="cannot tell the format"):
        import_file(path, register)
