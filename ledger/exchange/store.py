"""Everything a source keeps, behind one interface: `ExchangeStore`.

Four kinds of rows, one database:

* **subjects**: the register (``subject_id`` = CPR number, the validated record as JSON);
* **receipts**: access receipts, opaque to the store (``body`` is the serialized receipt,
  ``leaf`` its leaf hash, ``subject_key`` what the citizen's lookup uses), each given a ``seq``
  at insert and a ``batch_no`` when it is anchored;
* **consents**: a citizen's signed consent to one requester, type, claim set and purpose, until
  it expires or she withdraws it;
* **used_nonces**: the query nonces already used, per requester, until they expire.

Two implementations with the same behaviour (one shared test suite runs against both):
`SqliteExchangeStore` (this module; an embedded file, the default) and
`ledger.exchange.store_postgres.PostgresExchangeStore` (several service processes or machines on
one PostgreSQL database). Both run the same SQL (`_SqlExchangeStore`); only the connection,
the column types and the transaction plumbing differ.

Guarantees, held by table constraints and transactions rather than by the caller:

* a receipt's ``seq`` is assigned at insert from a counter row in the same transaction:
  1, 2, 3 ... with no gap and no repeat, in commit order, even with several processes writing
  (the counter row is locked until the inserting transaction ends; ``seq`` is also UNIQUE);
* a (requester, nonce) pair is accepted once: the insert and the check are one statement
  (``INSERT ... ON CONFLICT DO NOTHING``) on the primary key, so of two processes racing with
  the same nonce exactly one wins and the other gets `QueryReplayed`;
* a receipt is in at most one batch (`assign_batch` only takes receipts not yet batched, all
  or none), and a batched receipt has its leaf;
* every write method is all-or-nothing, and `transaction()` groups several (a receipt and its
  nonce, say) into one: nested, each method is a savepoint of the outer transaction;
* a committed write survives a power cut: SQLite in WAL mode with ``synchronous=FULL`` (as the
  issuance outbox), PostgreSQL with its default ``synchronous_commit=on``.

The schema is versioned (``exchange_meta.schema_version``); a database of another version is
refused with `ExchangeSchemaMismatch`, never silently used. Times are Unix seconds (int).
Constructors do no I/O: `open()` (or ``with``) connects and makes the schema.

CPR numbers are stored here (the register is the source's own, as is the consent of a subject)
but never leave it in an error message: errors say "the subject".

Longer than the house's ~400 lines: the SQL both backends run is kept in one place
(`store_postgres` only adapts the connection and column types); a split per table would split
transactions that span tables.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import orjson

from ledger._storage import storage_errors
from ledger.agency._sqlite import connect
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

__all__ = [
    "SCHEMA_VERSION",
    "Consent",
    "ExchangeStore",
    "ReceiptRow",
    "SqliteExchangeStore",
]

SCHEMA_VERSION = 1

# The schema in both dialects: {int} is a 64-bit integer, {blob} a byte string.
_TABLES = (
    """CREATE TABLE IF NOT EXISTS exchange_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS exchange_counters (
    name  TEXT  PRIMARY KEY,
    value {int} NOT NULL CHECK (value >= 0)
)""",
    """CREATE TABLE IF NOT EXISTS subjects (
    subject_id TEXT  PRIMARY KEY,
    record     TEXT  NOT NULL,
    updated_at {int} NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS receipts (
    receipt_id  TEXT   PRIMARY KEY,
    seq         {int}  NOT NULL UNIQUE CHECK (seq > 0),
    created_at  {int}  NOT NULL,
    batch_no    {int}  CHECK (batch_no IS NULL OR batch_no > 0),
    leaf        {blob},
    body        {blob} NOT NULL,
    subject_key {blob},
    CHECK (batch_no IS NULL OR leaf IS NOT NULL)
)""",
    "CREATE INDEX IF NOT EXISTS receipts_by_batch ON receipts (batch_no, seq)",
    "CREATE INDEX IF NOT EXISTS receipts_by_subject_key ON receipts (subject_key)",
    """CREATE TABLE IF NOT EXISTS consents (
    consent_id     TEXT   PRIMARY KEY,
    subject_id     TEXT   NOT NULL,
    requester      TEXT   NOT NULL,
    type           TEXT   NOT NULL,
    claims         TEXT   NOT NULL,
    purpose_digest {blob} NOT NULL,
    granted_at     {int}  NOT NULL,
    expires_at     {int}  NOT NULL,
    withdrawn_at   {int},
    document       {blob} NOT NULL,
    CHECK (expires_at > granted_at)
)""",
    "CREATE INDEX IF NOT EXISTS consents_by_subject ON consents (subject_id, requester)",
    """CREATE TABLE IF NOT EXISTS used_nonces (
    requester  TEXT  NOT NULL,
    nonce      TEXT  NOT NULL,
    expires_at {int} NOT NULL,
    PRIMARY KEY (requester, nonce)
)""",
    "CREATE INDEX IF NOT EXISTS used_nonces_by_expiry ON used_nonces (expires_at)",
)


def schema_statements(*, int_type: str, blob_type: str) -> list[str]:
    """The CREATE statements of the schema with the dialect's column types."""
    return [t.format(int=int_type, blob=blob_type) for t in _TABLES]


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptRow:
    """A stored access receipt. The store does not read ``body``; its format is
    `ledger.exchange.receipts`'. ``leaf`` may be set at insert or when it is batched."""

    receipt_id: str
    seq: int
    created_at: int
    batch_no: int | None
    leaf: bytes | None
    body: bytes
    subject_key: bytes | None


@dataclass(frozen=True)
class Consent:
    """A subject's consent to one requester reading ``claims`` of ``credential_type`` for one
    purpose (its digest, as registered on chain) from ``granted_at`` until ``expires_at``, or
    until it is withdrawn. ``document`` is the signed consent as the wallet sent it. ``claims``
    are kept sorted, without repeats."""

    consent_id: str
    subject_id: str
    requester: str
    credential_type: str
    claims: tuple[str, ...]
    purpose_digest: bytes
    granted_at: int
    expires_at: int
    document: bytes
    withdrawn_at: int | None = None

    def __post_init__(self) -> None:
        # one order for one claim set, so a consent reads back equal to the one stored
        object.__setattr__(self, "claims", tuple(sorted(set(self.claims))))

    def active_at(self, now: int) -> bool:
        """Granted, not expired and not withdrawn at ``now``."""
        return (
            self.granted_at <= now < self.expires_at
            and (self.withdrawn_at is None or now < self.withdrawn_at)
        )


# --- the interface -----------------------------------------------------------------------------


class ExchangeStore(Protocol):
    """What the source keeps. Every write is all-or-nothing; `transaction()` groups several."""

    def open(self) -> Self:
        """Connect and make (or check) the schema; a no-op if open."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """One transaction around the block: every write in it is committed together at its end,
        or none if it raises. Nested: a savepoint."""
        ...

    # register
    def put_subjects(self, records: Sequence[Mapping[str, Any]], *, now: int = 0) -> int:
        """Store validated records (`ledger.exchange.register.validate_record`), replacing those
        of subjects already held; `DuplicateSubject` if one subject appears twice."""
        ...

    def get_subject(self, subject_id: str) -> dict[str, Any] | None:
        """The stored record of the subject, or None."""
        ...

    def count_subjects(self) -> int:
        """How many subjects are stored."""
        ...

    # receipts
    def add_receipt(
        self,
        receipt_id: str,
        *,
        created_at: int,
        body: bytes,
        leaf: bytes | None = None,
        subject_key: bytes | None = None,
    ) -> int:
        """Store a receipt (durable when this returns outside a transaction) and return its
        ``seq``; `DuplicateReceipt` if the id is taken."""
        ...

    def get_receipt(self, receipt_id: str) -> ReceiptRow | None:
        """The receipt, or None."""
        ...

    def unbatched_receipts(self, limit: int | None = None) -> list[ReceiptRow]:
        """Receipts not yet in a batch, oldest ``seq`` first."""
        ...

    def assign_batch(
        self,
        batch_no: int,
        receipt_ids: Sequence[str],
        *,
        leaves: Mapping[str, bytes] | None = None,
    ) -> None:
        """Put receipts into batch ``batch_no``, setting their leaf from ``leaves`` where given;
        `ReceiptAlreadyBatched` (and nothing stored) if one is unknown or already batched."""
        ...

    def receipts_in_batch(self, batch_no: int) -> list[ReceiptRow]:
        """The receipts of a batch, by ``seq``."""
        ...

    def receipts_for_subject_key(self, subject_key: bytes) -> list[ReceiptRow]:
        """Every receipt stored with this subject key, by ``seq``."""
        ...

    def last_batch_no(self) -> int:
        """The highest batch number assigned so far (0 if none)."""
        ...

    def count_receipts(self) -> int:
        """How many receipts are stored."""
        ...

    # consents
    def add_consent(self, consent: Consent) -> None:
        """Store a consent; `DuplicateConsent` if its id is taken."""
        ...

    def get_consent(self, consent_id: str) -> Consent | None:
        """The consent, or None."""
        ...

    def withdraw_consent(self, consent_id: str, *, at: int) -> Consent:
        """Record a withdrawal at ``at`` (a second withdrawal keeps the first time);
        `ConsentNotFound` if unknown. Returns the consent as now stored."""
        ...

    def consents_of(self, subject_id: str) -> list[Consent]:
        """Every consent of the subject, withdrawn and expired ones too, oldest first."""
        ...

    def find_consent(
        self,
        subject_id: str,
        requester: str,
        credential_type: str,
        claims: Sequence[str],
        purpose_digest: bytes,
        *,
        now: int,
    ) -> Consent | None:
        """A consent active at ``now`` that covers all of ``claims`` for this requester, type
        and purpose, or None."""
        ...

    # nonces
    def use_nonce(self, requester: str, nonce: str, *, expires_at: int) -> None:
        """Record that ``requester`` used ``nonce``; `QueryReplayed` if it had already."""
        ...

    def prune_nonces(self, *, now: int) -> int:
        """Forget nonces that expired before ``now`` (their queries are refused as expired
        anyway); returns how many."""
        ...


# --- the SQL both backends run -----------------------------------------------------------------

_RECEIPT_COLUMNS = "receipt_id, seq, created_at, batch_no, leaf, body, subject_key"
_CONSENT_COLUMNS = (
    "consent_id, subject_id, requester, type, claims, purpose_digest, granted_at, expires_at,"
    " withdrawn_at, document"
)


def _receipt(row: Sequence[Any]) -> ReceiptRow:
    return ReceiptRow(
        receipt_id=row[0],
        seq=int(row[1]),
        created_at=int(row[2]),
        batch_no=None if row[3] is None else int(row[3]),
        leaf=None if row[4] is None else bytes(row[4]),
        body=bytes(row[5]),
        subject_key=None if row[6] is None else bytes(row[6]),
    )


def _consent(row: Sequence[Any]) -> Consent:
    return Consent(
        consent_id=row[0],
        subject_id=row[1],
        requester=row[2],
        credential_type=row[3],
        claims=tuple(json.loads(row[4])),
        purpose_digest=bytes(row[5]),
        granted_at=int(row[6]),
        expires_at=int(row[7]),
        withdrawn_at=None if row[8] is None else int(row[8]),
        document=bytes(row[9]),
    )


def _claims_text(claims: Sequence[str]) -> str:
    return json.dumps(sorted(set(claims)), separators=(",", ":"))


class _SqlExchangeStore:
    """The `ExchangeStore` methods over a DB-API connection, in SQL both SQLite (3.35+) and
    PostgreSQL run. Placeholders are written ``?``; a backend whose driver wants another style
    rewrites them in `_sql`. Subclasses provide the connection (`_open_connection`), the
    transaction (`_transaction`) and the statement runners (`_run`, `_run_many`)."""

    _name = "exchange store"
    _db: Any  # the backend's connection while open, else None

    def __init__(self) -> None:
        self._depth = 0

    def open(self) -> Self:
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection."""
        if self._db is not None:
            self._db.close()
            self._db = None
            self._depth = 0

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- backend hooks --
    def _transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _run(self, sql: str, params: Sequence[Any] = ()) -> tuple[int, list[tuple[Any, ...]]]:
        """Run one statement; its rowcount and its rows (empty for a write without RETURNING)."""
        raise NotImplementedError

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    # -- lifecycle helpers --
    def _check_version(self) -> None:
        """Record this schema version in a new database, or refuse another version."""
        _, rows = self._run("SELECT value FROM exchange_meta WHERE key = 'schema_version'")
        if not rows:
            self._run(
                "INSERT INTO exchange_meta (key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (key) DO NOTHING",
                (str(SCHEMA_VERSION),),
            )
            self._run(
                "INSERT INTO exchange_counters (name, value) VALUES ('receipt_seq', 0)"
                " ON CONFLICT (name) DO NOTHING"
            )
        elif rows[0][0] != str(SCHEMA_VERSION):
            raise ExchangeSchemaMismatch(
                f"{self._name} has schema version {rows[0][0]}, this code expects "
                f"{SCHEMA_VERSION}"
            )

    def transaction(self) -> AbstractContextManager[None]:
        """One transaction around the block (a savepoint when nested): all or nothing."""
        return self._transaction()

    # -- register --
    def put_subjects(self, records: Sequence[Mapping[str, Any]], *, now: int = 0) -> int:
        """Store validated records; one subject twice is `DuplicateSubject` (nothing stored)."""
        rows: list[tuple[str, str, int]] = []
        seen: set[str] = set()
        for record in records:
            subject_id = record["cpr_number"]
            if subject_id in seen:
                raise DuplicateSubject("the same subject appears twice among the records")
            seen.add(subject_id)
            text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            rows.append((subject_id, text, now))
        with self._transaction():
            self._run_many(
                "INSERT INTO subjects (subject_id, record, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (subject_id) DO UPDATE"
                " SET record = excluded.record, updated_at = excluded.updated_at",
                rows,
            )
        return len(rows)

    def get_subject(self, subject_id: str) -> dict[str, Any] | None:
        """The stored record of the subject, or None."""
        _, rows = self._run("SELECT record FROM subjects WHERE subject_id = ?", (subject_id,))
        if not rows:
            return None
        record: dict[str, Any] = orjson.loads(rows[0][0])  # our own text, not outside input
        return record

    def count_subjects(self) -> int:
        """How many subjects are stored."""
        return self._count("SELECT count(*) FROM subjects")

    def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        _, rows = self._run(sql, params)
        return int(rows[0][0] or 0)

    # -- receipts --
    def add_receipt(
        self,
        receipt_id: str,
        *,
        created_at: int,
        body: bytes,
        leaf: bytes | None = None,
        subject_key: bytes | None = None,
    ) -> int:
        """Store a receipt with the next ``seq`` (the counter row is locked until commit, so
        ``seq`` follows commit order); `DuplicateReceipt` if the id is taken."""
        with self._transaction():
            _, rows = self._run(
                "UPDATE exchange_counters SET value = value + 1 WHERE name = 'receipt_seq'"
                " RETURNING value"
            )
            seq = int(rows[0][0])
            count, _ = self._run(
                f"INSERT INTO receipts ({_RECEIPT_COLUMNS}) VALUES (?, ?, ?, NULL, ?, ?, ?)"
                " ON CONFLICT (receipt_id) DO NOTHING",
                (receipt_id, seq, created_at, leaf, body, subject_key),
            )
            if count != 1:
                raise DuplicateReceipt(f"a receipt with id {receipt_id!r} is already stored")
        return seq

    def get_receipt(self, receipt_id: str) -> ReceiptRow | None:
        """The receipt, or None."""
        _, rows = self._run(
            f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE receipt_id = ?", (receipt_id,)
        )
        return _receipt(rows[0]) if rows else None

    def unbatched_receipts(self, limit: int | None = None) -> list[ReceiptRow]:
        """Receipts not yet in a batch, oldest ``seq`` first (at most ``limit``)."""
        sql = f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE batch_no IS NULL ORDER BY seq"
        params: tuple[Any, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (int(limit),)
        _, rows = self._run(sql, params)
        return [_receipt(r) for r in rows]

    def assign_batch(
        self,
        batch_no: int,
        receipt_ids: Sequence[str],
        *,
        leaves: Mapping[str, bytes] | None = None,
    ) -> None:
        """Put receipts into batch ``batch_no`` (all or none)."""
        leaves = leaves or {}
        with self._transaction():
            for receipt_id in receipt_ids:
                count, _ = self._run(
                    "UPDATE receipts SET batch_no = ?, leaf = COALESCE(?, leaf)"
                    " WHERE receipt_id = ? AND batch_no IS NULL",
                    (batch_no, leaves.get(receipt_id), receipt_id),
                )
                if count != 1:
                    raise ReceiptAlreadyBatched(
                        f"receipt {receipt_id!r} is unknown or already in a batch; "
                        f"batch {batch_no} was not assigned"
                    )

    def receipts_in_batch(self, batch_no: int) -> list[ReceiptRow]:
        """The receipts of a batch, by ``seq``."""
        _, rows = self._run(
            f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE batch_no = ? ORDER BY seq",
            (batch_no,),
        )
        return [_receipt(r) for r in rows]

    def receipts_for_subject_key(self, subject_key: bytes) -> list[ReceiptRow]:
        """Every receipt stored with this subject key, by ``seq``."""
        _, rows = self._run(
            f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE subject_key = ? ORDER BY seq",
            (subject_key,),
        )
        return [_receipt(r) for r in rows]

    def last_batch_no(self) -> int:
        """The highest batch number assigned so far (0 if none)."""
        return self._count("SELECT max(batch_no) FROM receipts")

    def count_receipts(self) -> int:
        """How many receipts are stored."""
        return self._count("SELECT count(*) FROM receipts")

    # -- consents --
    def add_consent(self, consent: Consent) -> None:
        """Store a consent; `DuplicateConsent` if its id is taken."""
        with self._transaction():
            count, _ = self._run(
                f"INSERT INTO consents ({_CONSENT_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (consent_id) DO NOTHING",
                (
                    consent.consent_id,
                    consent.subject_id,
                    consent.requester,
                    consent.credential_type,
                    _claims_text(consent.claims),
                    consent.purpose_digest,
                    consent.granted_at,
                    consent.expires_at,
                    consent.withdrawn_at,
                    consent.document,
                ),
            )
            if count != 1:
                raise DuplicateConsent(
                    f"a consent with id {consent.consent_id!r} is already stored"
                )

    def get_consent(self, consent_id: str) -> Consent | None:
        """The consent, or None."""
        _, rows = self._run(
            f"SELECT {_CONSENT_COLUMNS} FROM consents WHERE consent_id = ?", (consent_id,)
        )
        return _consent(rows[0]) if rows else None

    def withdraw_consent(self, consent_id: str, *, at: int) -> Consent:
        """Record a withdrawal at ``at``; the first withdrawal's time stays."""
        with self._transaction():
            self._run(
                "UPDATE consents SET withdrawn_at = ?"
                " WHERE consent_id = ? AND withdrawn_at IS NULL",
                (at, consent_id),
            )
            consent = self.get_consent(consent_id)
            if consent is None:
                raise ConsentNotFound(f"no consent with id {consent_id!r}")
        return consent

    def consents_of(self, subject_id: str) -> list[Consent]:
        """Every consent of the subject, oldest first."""
        _, rows = self._run(
            f"SELECT {_CONSENT_COLUMNS} FROM consents WHERE subject_id = ?"
            " ORDER BY granted_at, consent_id",
            (subject_id,),
        )
        return [_consent(r) for r in rows]

    def find_consent(
        self,
        subject_id: str,
        requester: str,
        credential_type: str,
        claims: Sequence[str],
        purpose_digest: bytes,
        *,
        now: int,
    ) -> Consent | None:
        """A consent active at ``now`` covering all of ``claims``, or None."""
        _, rows = self._run(
            f"SELECT {_CONSENT_COLUMNS} FROM consents"
            " WHERE subject_id = ? AND requester = ? AND type = ? AND purpose_digest = ?"
            " AND granted_at <= ? AND expires_at > ?"
            " AND (withdrawn_at IS NULL OR withdrawn_at > ?)"
            " ORDER BY granted_at, consent_id",
            (subject_id, requester, credential_type, purpose_digest, now, now, now),
        )
        wanted = set(claims)
        for row in rows:
            consent = _consent(row)
            if wanted <= set(consent.claims):
                return consent
        return None

    # -- nonces --
    def use_nonce(self, requester: str, nonce: str, *, expires_at: int) -> None:
        """Record the nonce; `QueryReplayed` if this requester used it already."""
        with self._transaction():
            count, _ = self._run(
                "INSERT INTO used_nonces (requester, nonce, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (requester, nonce) DO NOTHING",
                (requester, nonce, expires_at),
            )
            if count != 1:
                raise QueryReplayed("this query's nonce was already used by its requester")

    def prune_nonces(self, *, now: int) -> int:
        """Forget nonces that expired before ``now``."""
        with self._transaction():
            count, _ = self._run("DELETE FROM used_nonces WHERE expires_at < ?", (now,))
        return count


# --- SQLite ------------------------------------------------------------------------------------


class SqliteExchangeStore(_SqlExchangeStore):
    """`ExchangeStore` in one SQLite file (``None``: in memory, for tests): the embedded
    default. WAL journal, ``synchronous=FULL`` (`ledger.agency._sqlite`). Several processes may
    open the same file: writers take turns (``BEGIN IMMEDIATE``, 30 s busy timeout). One object
    is one connection, used from the thread that opened it."""

    def __init__(self, path: Path | str | None) -> None:
        super().__init__()
        self._path = None if path is None else Path(path)
        self._db: sqlite3.Connection | None = None
        self._name = f"exchange store {self._path or ':memory:'}"

    def open(self) -> Self:
        """Open (creating if needed) the file and check its schema version."""
        if self._db is None:
            with storage_errors(self._path):
                db = connect(self._path)
            self._db = db
            try:
                with self._transaction():
                    for statement in schema_statements(int_type="INTEGER", blob_type="BLOB"):
                        self._run(statement)
                    self._check_version()
            except BaseException:
                self.close()
                raise
        return self

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise ExchangeStoreNotOpen(f"{self._name} is not open")
        return self._db

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        db = self._conn
        depth = self._depth
        savepoint = f"sp{depth}"
        with storage_errors(self._path):
            db.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        self._depth = depth + 1
        try:
            yield
            with storage_errors(self._path):
                db.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")
        except BaseException:
            if db.in_transaction:
                if depth == 0:
                    db.execute("ROLLBACK")
                else:
                    db.execute(f"ROLLBACK TO {savepoint}")
                    db.execute(f"RELEASE {savepoint}")
            raise
        finally:
            self._depth = depth

    def _run(self, sql: str, params: Sequence[Any] = ()) -> tuple[int, list[tuple[Any, ...]]]:
        with storage_errors(self._path):
            cursor = self._conn.execute(sql, tuple(params))
            rows = cursor.fetchall()
            return cursor.rowcount, rows

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with storage_errors(self._path):
            self._conn.executemany(sql, rows)
