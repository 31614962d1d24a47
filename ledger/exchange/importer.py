"""Import a register file (CSV, JSON or JSON Lines) into a `SubjectRegister`: bounded, checked
row by row, all or nothing.

Formats (chosen by the file's suffix, or ``fmt=``):

* **CSV** (``.csv``): UTF-8 (a BOM is allowed), a header row naming the columns `CSV_COLUMNS`
  in any order, one subject per row; ``nationalities`` holds codes separated by ``;``
  (``DK;SE``).
* **JSON Lines** (``.jsonl``, ``.ndjson``): one record object per line, as
  `ledger.exchange.register.validate_record` takes it (``address`` an object, ``nationalities``
  a list); blank lines are skipped. `ledger.exchange.synthetic.write_synthetic` writes this.
* **JSON** (``.json``): one array of record objects.

Bounds: the file is at most ``max_bytes`` (default 256 MiB) and ``max_rows`` rows (default
1,000,000); a CSV field is at most ``max_field`` characters (default 1,024; the csv module's own
limit, 128 KiB, stops a runaway field before it is read whole); a JSON Lines line is at most
``max_line`` bytes (default 64 KiB) and goes through the one bounded parser
(`ledger.untrusted_json`: depth, number length, duplicate names, UTF-8), as does a JSON file.
A file beyond a bound, or one that does not parse, is `ImportFileRejected` naming the line, with
the parser's error as its cause.

Rows: every row is validated before anything is stored. Bad rows are reported together (up to
``max_errors``) in one `ImportRowInvalid`, each named by its line number (CSV, JSON Lines; the
line where the row starts) or its position in the array (JSON) and the specific reason; a
subject appearing twice names both lines. No message holds a CPR number or any other value
from the file.

All or nothing: the rows are stored by one ``put_many``, one transaction; a failure of any kind
stores nothing. ``progress(rows_read)`` is called every ``progress_every`` rows while reading,
then once more with the total once the rows are stored.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger import untrusted_json
from ledger.errors import (
    ImportFileRejected,
    ImportRowInvalid,
    InvalidSubjectRecord,
    JsonRejected,
)
from ledger.exchange.register import ADDRESS_FIELDS, SubjectRegister, validate_record

__all__ = ["CSV_COLUMNS", "FORMATS", "ImportReport", "import_file", "read_records"]

#: The columns of a register CSV file.
CSV_COLUMNS = (
    "cpr_number",
    "given_name",
    "family_name",
    "birthdate",
    *ADDRESS_FIELDS,
    "nationalities",
)
#: File suffix -> format.
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_ROWS = 1_000_000
DEFAULT_MAX_FIELD = 1024
DEFAULT_MAX_LINE = 64 * 1024
DEFAULT_MAX_ERRORS = 20

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ImportReport:
    """What an import stored: ``rows`` subjects from ``path`` read as ``fmt``."""

    path: str
    fmt: str
    rows: int


@dataclass(frozen=True)
class _Limits:
    max_rows: int
    max_field: int
    max_line: int


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in FORMATS.values():
            raise ImportFileRejected(f"unknown format {fmt!r}: use csv, json or jsonl")
        return fmt
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise ImportFileRejected(
            f"{path.name}: cannot tell the format from the suffix {path.suffix!r}; "
            "name it .csv, .json or .jsonl, or give the format"
        )
    return found


# --- readers: (where, raw record) ---------------------------------------------------------------


def _csv_rows(fh: io.TextIOBase, name: str, limits: _Limits) -> Iterator[tuple[str, Any]]:
    reader = csv.reader(fh, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportFileRejected(f"{name}: line 1: not CSV ({exc})") from exc
    if header is None:
        raise ImportFileRejected(f"{name}: empty file (a header row is needed)")
    columns = [c.strip() for c in header]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    missing = [c for c in CSV_COLUMNS if c not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        raise ImportFileRejected(
            f"{name}: line 1: the header must name the columns {', '.join(CSV_COLUMNS)} once each"
            + (f"; unknown: {', '.join(repr(c[:40]) for c in unknown[:5])}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else "")
        )
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileRejected(f"{name}: line {start}: not CSV ({exc})") from exc
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"line {start}"
        if len(row) != len(columns):
            yield where, _RowProblem(f"{len(row)} fields, the header has {len(columns)}")
            continue
        too_long = next((c for c, v in zip(columns, row, strict=True)
                         if len(v) > limits.max_field), None)
        if too_long is not None:
            yield where, _RowProblem(f"{too_long}: longer than {limits.max_field} characters")
            continue
        cells = dict(zip(columns, (v.strip() for v in row), strict=True))
        yield where, {
            "cpr_number": cells["cpr_number"],
            "given_name": cells["given_name"],
            "family_name": cells["family_name"],
            "birthdate": cells["birthdate"],
            "address": {f: cells[f] for f in ADDRESS_FIELDS},
            "nationalities": [c.strip() for c in cells["nationalities"].split(";") if c.strip()],
        }


def _jsonl_rows(fh: io.BufferedIOBase, name: str, limits: _Limits) -> Iterator[tuple[str, Any]]:
    number = 0
    while True:
        raw = fh.readline(limits.max_line + 2)
        if not raw:
            return
        number += 1
        if len(raw.rstrip(b"\r\n")) > limits.max_line:
            raise ImportFileRejected(
                f"{name}: line {number}: longer than the limit of {limits.max_line} bytes"
            )
        if not raw.strip():
            continue
        try:
            value = untrusted_json.loads(raw, max_bytes=limits.max_line + 2)
        except JsonRejected as exc:
            raise ImportFileRejected(f"{name}: line {number}: not a JSON record ({exc})") from exc
        yield f"line {number}", value


def _json_rows(path: Path, name: str, max_bytes: int) -> Iterator[tuple[str, Any]]:
    try:
        value = untrusted_json.load_file(path, max_bytes=max_bytes)
    except JsonRejected as exc:
        raise ImportFileRejected(f"{name}: not a JSON document ({exc})") from exc
    if not isinstance(value, list):
        raise ImportFileRejected(f"{name}: the document must be an array of records")
    for i, item in enumerate(value, start=1):
        yield f"record {i}", item


@dataclass(frozen=True)
class _RowProblem:
    """A row the reader could not even shape into a record."""

    reason: str


def read_records(
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_field: int = DEFAULT_MAX_FIELD,
    max_line: int = DEFAULT_MAX_LINE,
    max_errors: int = DEFAULT_MAX_ERRORS,
    progress: Progress | None = None,
    progress_every: int = 1000,
) -> list[dict[str, Any]]:
    """Read and validate every record of a register file (see the module); nothing is stored.
    `ImportFileRejected` for the file, `ImportRowInvalid` listing the bad rows."""
    file = Path(path)
    name = file.name
    kind = _format_of(file, fmt)
    limits = _Limits(max_rows=max_rows, max_field=max_field, max_line=max_line)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise ImportFileRejected(f"{name}: cannot read it ({exc.strerror or exc})") from exc
    if size > max_bytes:
        raise ImportFileRejected(f"{name}: larger than the limit of {max_bytes} bytes")

    records: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []
    messages: list[str] = []
    first_seen: dict[str, str] = {}
    count = 0
    try:
        with open(file, "rb") as binary:
            rows: Iterator[tuple[str, Any]]
            if kind == "csv":
                text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="", errors="strict")
                rows = _csv_rows(text, name, limits)
            elif kind == "jsonl":
                rows = _jsonl_rows(binary, name, limits)
            else:
                rows = _json_rows(file, name, max_bytes)
            for where, raw in rows:
                count += 1
                if count > max_rows:
                    raise ImportFileRejected(f"{name}: more than the limit of {max_rows} rows")
                if progress is not None and count % progress_every == 0:
                    progress(count)
                problem = raw.reason if isinstance(raw, _RowProblem) else None
                if problem is None:
                    try:
                        record = validate_record(raw)
                    except InvalidSubjectRecord as exc:
                        problem = str(exc)
                    else:
                        earlier = first_seen.get(record["cpr_number"])
                        if earlier is not None:
                            problem = f"the same subject as {earlier}"
                        else:
                            first_seen[record["cpr_number"]] = where
                            records.append(record)
                if problem is not None:
                    errors.append((_number(where), problem))
                    messages.append(f"{where}: {problem}")
                    if len(errors) >= max_errors:
                        break
    except UnicodeDecodeError as exc:
        raise ImportFileRejected(f"{name}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise ImportFileRejected(f"{name}: cannot read it ({exc.strerror or exc})") from exc

    if errors:
        more = " (and possibly more: stopped at the limit)" if len(errors) >= max_errors else ""
        raise ImportRowInvalid(
            f"{name}: {len(errors)} bad row{'s' if len(errors) != 1 else ''}{more}, nothing "
            "imported:\n  " + "\n  ".join(messages),
            errors=tuple(errors),
        )
    return records


def _number(where: str) -> int:
    return int(where.rsplit(" ", 1)[1])


def import_file(
    path: str | os.PathLike[str],
    register: SubjectRegister,
    *,
    fmt: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_field: int = DEFAULT_MAX_FIELD,
    max_line: int = DEFAULT_MAX_LINE,
    max_errors: int = DEFAULT_MAX_ERRORS,
    progress: Progress | None = None,
    progress_every: int = 1000,
) -> ImportReport:
    """Read and validate every record of the file (`read_records`), then store them all in one
    transaction (`SubjectRegister.put_many`): all or nothing."""
    records = read_records(
        path,
        fmt=fmt,
        max_bytes=max_bytes,
        max_rows=max_rows,
        max_field=max_field,
        max_line=max_line,
        max_errors=max_errors,
        progress=progress,
        progress_every=progress_every,
    )
    stored = register.put_many(records)
    if progress is not None:
        progress(stored)
    return ImportReport(path=str(path), fmt=_format_of(Path(path), fmt), rows=stored)
