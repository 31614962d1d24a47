"""What only the PostgreSQL store has: a server to reach, and several processes at once."""

from __future__ import annotations

import os
import socket

import pytest

from ledger.errors import ExchangeStoreUnavailable
from ledger.exchange.pg_server import TemporaryPostgres
from ledger.exchange.store_postgres import PostgresExchangeStore


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_an_unreachable_server_is_named_without_its_password() -> None:
    port = _closed_port()
    store = PostgresExchangeStore(
        f"host=127.0.0.1 port={port} dbname=cpr user=cpr password=hunter2 connect_timeout=2"
    )
    with pytest.raises(ExchangeStoreUnavailable) as caught:
        store.open()
    message = str(caught.value)
    assert f"PostgreSQL database cpr on 127.0.0.1:{port}" in message
    assert "hunter2" not in message


def test_two_stores_opening_one_new_database_at_once_make_its_schema_once(
    postgres_server: TemporaryPostgres,
) -> None:
    import threading

    conninfo = postgres_server.create_database("schema_race")
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def opener() -> None:
        try:
            barrier.wait()
            with PostgresExchangeStore(conninfo) as store:
                store.add_receipt(f"r{threading.get_ident()}", created_at=1, body=b"x")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with PostgresExchangeStore(conninfo) as store:
        assert sorted(r.seq for r in store.unbatched_receipts()) == [1, 2, 3, 4]


def test_the_temporary_server_listens_on_loopback_only(
    postgres_server: TemporaryPostgres,
) -> None:
    assert postgres_server.port is not None
    with socket.create_connection(("127.0.0.1", postgres_server.port), timeout=2):
        pass
    assert postgres_server.conninfo().startswith("host=127.0.0.1 ")


@pytest.mark.skipif(os.geteuid() != 0, reason="the copy is only made when running as root")
def test_a_server_whose_binaries_are_out_of_reach_runs_from_a_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ledger.exchange import pg_server

    monkeypatch.setattr(pg_server, "_reachable_by_others", lambda path: False)
    with TemporaryPostgres() as pg:
        folder, pid = pg.folder, pg.pid
        assert folder is not None and pid is not None
        with PostgresExchangeStore(pg.conninfo()) as store:
            assert store.add_receipt("r", created_at=1, body=b"x") == 1
    assert not pg_server._alive(pid)
    assert not folder.exists()
