"""`ledger register generate` and `ledger --as cpr register import FILE`: the source agency's
subject register, written into the exchange store `ledger serve` answers from. No chain needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from ledger.exchange.store import SqliteExchangeStore

Invoke = Callable[..., Result]

HEADER = "cpr_number,given_name,family_name,birthdate,street_address,locality,postal_code," \
         "municipality,nationalities\n"
GOOD_CPR = "010190-1234"
GOOD = f"{GOOD_CPR},Anna,Hansen,1990-01-01,Nørregade 1,København K,1165,København,DK\n"
OTHER_CPR = "020285-2345"
# Born 1985 by its CPR number, 1984 by its birthdate column.
MISMATCH = f"{OTHER_CPR},Bo,Jensen,1984-02-02,Vestergade 2,Aarhus C,8000,Aarhus,DK;SE\n"


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def cpr(ledger: Invoke, home: Path) -> Path:
    """A local account `cpr` (no chain needed); returns the exchange store it imports into."""
    ok(ledger("account", "create", "cpr"))
    return home / "agencies" / "cpr" / "exchange.db"


def subjects(path: Path) -> int:
    with SqliteExchangeStore(path) as store:
        return store.count_subjects()


def test_generate_writes_the_same_seeded_register_and_counts_persons(
    ledger: Invoke, tmp_path: Path
) -> None:
    out = tmp_path / "reg.jsonl"
    assert ok(ledger("register", "generate", "--count", "3", "--seed", "7", "--out", str(out))) \
        == f"Wrote 3 persons (seed 7) to {out}\n"
    first = out.read_bytes()
    assert len(first.splitlines()) == 3
    ok(ledger("register", "generate", "--count", "3", "--seed", "7", "--out", str(out)))
    assert out.read_bytes() == first
    one = tmp_path / "one.jsonl"
    assert ok(ledger("register", "generate", "--count", "1", "--out", str(one))) \
        == f"Wrote 1 person (seed 0) to {one}\n"


def test_generate_refuses_a_negative_count(ledger: Invoke, tmp_path: Path) -> None:
    result = ledger("register", "generate", "--count", "-1", "--out", str(tmp_path / "x.jsonl"))
    assert result.exit_code == 2
    assert "--count" in result.stderr


def test_import_of_a_generated_register_fills_the_store_serve_uses(
    ledger: Invoke, tmp_path: Path, cpr: Path
) -> None:
    out = tmp_path / "reg.jsonl"
    ok(ledger("register", "generate", "--count", "25", "--seed", "1", "--out", str(out)))
    result = ledger("--as", "cpr", "register", "import", str(out))
    assert ok(result) == f"Imported 25 persons into {cpr}\n"
    assert result.stderr == ""  # fewer rows than one progress step
    assert subjects(cpr) == 25


def test_import_of_one_csv_row_says_one_person(ledger: Invoke, tmp_path: Path, cpr: Path) -> None:
    file = tmp_path / "reg.csv"
    file.write_text(HEADER + GOOD, encoding="utf-8")
    assert ok(ledger("--as", "cpr", "register", "import", str(file))) \
        == f"Imported 1 person into {cpr}\n"
    with SqliteExchangeStore(cpr) as store:
        record = store.get_subject(GOOD_CPR)
    assert record is not None and record["given_name"] == "Anna"


def test_a_bad_row_is_named_by_its_line_and_nothing_is_imported(
    ledger: Invoke, tmp_path: Path, cpr: Path
) -> None:
    file = tmp_path / "reg.csv"
    file.write_text(HEADER + GOOD + MISMATCH, encoding="utf-8")
    result = ledger("--as", "cpr", "register", "import", str(file))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: reg.csv: 1 bad row, nothing imported:\n  line 3: ")
    assert "birthdate" in result.stderr
    assert OTHER_CPR not in result.output and OTHER_CPR.replace("-", "") not in result.output
    assert GOOD_CPR not in result.output
    assert subjects(cpr) == 0


def test_a_json_record_is_named_by_its_position(ledger: Invoke, tmp_path: Path, cpr: Path) -> None:
    file = tmp_path / "reg.json"
    file.write_text(json.dumps([{"cpr_number": "nonsense"}]), encoding="utf-8")
    result = ledger("--as", "cpr", "register", "import", str(file))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: reg.json: 1 bad row, nothing imported:\n  record 1: ")


def test_import_reports_progress_on_stderr_for_large_files(
    ledger: Invoke, tmp_path: Path, cpr: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.cli import _ledger_register

    monkeypatch.setattr(_ledger_register, "PROGRESS_EVERY", 2)
    out = tmp_path / "reg.jsonl"
    ok(ledger("register", "generate", "--count", "5", "--out", str(out)))
    result = ledger("--as", "cpr", "register", "import", str(out))
    assert ok(result) == f"Imported 5 persons into {cpr}\n"
    assert result.stderr == "  2 rows read ...\n  4 rows read ...\n"


def test_import_into_another_store_with_json_output(
    ledger: Invoke, tmp_path: Path, cpr: Path
) -> None:
    file = tmp_path / "reg.csv"
    file.write_text(HEADER + GOOD, encoding="utf-8")
    other = tmp_path / "elsewhere.db"
    result = ledger("--as", "cpr", "register", "import", str(file), "--store", str(other), "--json")
    assert json.loads(ok(result)) == {
        "file": str(file), "format": "csv", "imported": 1, "store": str(other),
    }
    assert subjects(other) == 1
    assert not cpr.exists()


def test_import_needs_an_acting_agency(ledger: Invoke, tmp_path: Path) -> None:
    file = tmp_path / "reg.csv"
    file.write_text(HEADER + GOOD, encoding="utf-8")
    result = ledger("register", "import", str(file))
    assert result.exit_code == 1
    assert result.stderr == "Error: no acting account: pass --as NAME or set LEDGER_ACCOUNT\n"


def test_import_refuses_a_file_of_unknown_format(
    ledger: Invoke, tmp_path: Path, cpr: Path
) -> None:
    file = tmp_path / "reg.txt"
    file.write_text(HEADER + GOOD, encoding="utf-8")
    result = ledger("--as", "cpr", "register", "import", str(file))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: reg.txt: cannot tell the format from the suffix '.txt'; name it .csv, .json or "
        ".jsonl, or give the format\n"
    )
    assert ok(ledger("--as", "cpr", "register", "import", str(file), "--format", "csv")) \
        == f"Imported 1 person into {cpr}\n"
