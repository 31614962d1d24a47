"""SQLite plumbing shared by the agency's durable stores (outbox, status allocator, nonces).

Every store is one connection in autocommit mode (``isolation_level=None``): writes that must be
atomic open their own ``BEGIN IMMEDIATE`` transaction (`transaction`). A store in a file uses a
WAL journal with ``synchronous=FULL``, so a committed write survives power loss, not just a
crash of the process (see `ledger.agency.outbox` for why that matters), and readers never block
the writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from ledger._storage import storage_errors

#: Seconds a connection waits for another writer's lock before raising "database is locked".
BUSY_TIMEOUT = 30.0


def connect(path: Path | None, *pragmas: str, schema: str | None = None) -> sqlite3.Connection:
    """Open ``path`` (``None``: a private in-memory database) in autocommit mode.

    A file gets its parent folder created if missing and the WAL / ``synchronous=FULL`` pragmas;
    ``pragmas`` (e.g. ``"foreign_keys=ON"``) are set after those, then ``schema`` (one statement)
    is run. If any of it fails the connection is closed and the `sqlite3` error propagates.
    """
    if path is None:
        db = sqlite3.connect(":memory:", isolation_level=None, timeout=BUSY_TIMEOUT)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT)
    try:
        if path is not None:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
        for pragma in pragmas:
            db.execute(f"PRAGMA {pragma}")
        if schema is not None:
            db.execute(schema)
    except BaseException:
        db.close()
        raise
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; on any exception (a failed ``COMMIT`` included) roll
    back whatever is still open and re-raise: all or nothing."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


class SQLiteStore:
    """Lifecycle of a store held in one SQLite connection: `open` / `close`, use as a context
    manager, `_conn` for the open connection and `_write()` for a write transaction on it. The
    constructor does no I/O.

    Subclasses implement `_connect` (open the database and make its schema) and may override
    `_not_open` to raise an error of their own family.
    """

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _not_open(self) -> Exception:
        return RuntimeError(f"{type(self).__name__} is not open")

    def open(self) -> Self:
        """Open (and create if needed) the database; a no-op if it is open."""
        if self._db is None:
            self._db = self._connect()
        return self

    def close(self) -> None:
        """Close the database."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise self._not_open()
        return self._db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write `transaction` on the open connection. A full disk or an I/O error fails it
        as a `StorageError` naming the file (rolled back: what was committed before stays)."""
        with storage_errors(self._path), transaction(self._conn) as db:
            yield db
