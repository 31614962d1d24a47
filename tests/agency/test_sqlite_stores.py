"""Behaviour the agency's SQLite stores share (ledger.agency._sqlite), checked on each store."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.agency._sqlite import SQLiteStore, transaction
from ledger.agency.nonces import NonceStore
from ledger.agency.outbox import Outbox
from ledger.agency.status_alloc import StatusIndexAllocator
from ledger.errors import OutboxError

STORES: dict[str, tuple[Callable[[Path], SQLiteStore], type[Exception]]] = {
    "outbox": (Outbox, OutboxError),
    "status_alloc": (StatusIndexAllocator, RuntimeError),
    "nonces": (NonceStore, RuntimeError),
}


@pytest.fixture(params=sorted(STORES))
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_file_store_is_durable_wal(store_kind: str, tmp_path: Path) -> None:
    make, _ = STORES[store_kind]
    with make(tmp_path / "new" / "agency.db") as store:
        db = store._conn
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.isolation_level is None  # autocommit: transactions are explicit


def test_store_is_closed_after_with_block(store_kind: str, tmp_path: Path) -> None:
    make, not_open = STORES[store_kind]
    with make(tmp_path / "agency.db") as store:
        db = store._conn
    with pytest.raises(sqlite3.ProgrammingError):
        db.execute("SELECT 1")
    with pytest.raises(not_open, match="not open"):
        store._conn  # noqa: B018


def test_open_twice_keeps_one_connection(store_kind: str, tmp_path: Path) -> None:
    make, _ = STORES[store_kind]
    store = make(tmp_path / "agency.db")
    try:
        assert store.open() is store
        db = store._conn
        assert store.open()._conn is db
    finally:
        store.close()
    store.close()  # closing a closed store is a no-op


def test_outbox_on_a_file_that_is_not_a_database_is_an_outbox_error(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(OutboxError, match="cannot open outbox"):
        Outbox(path).open()


def test_transaction_rolls_back_on_error() -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(ZeroDivisionError), transaction(db):
        db.execute("INSERT INTO t VALUES (1)")
        _ = 1 / 0
    assert not db.in_transaction
    assert db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
    with transaction(db):
        db.execute("INSERT INTO t VALUES (2)")
    assert db.execute("SELECT x FROM t").fetchall() == [(2,)]
