"""`ExchangeStore` on PostgreSQL (psycopg 3): for a source that runs several service processes
or machines on one database.

The same SQL as `SqliteExchangeStore` (`ledger.exchange.store._SqlExchangeStore`); what makes it
safe for several processes at once:

* the receipt counter is one row updated in the inserting transaction: a second writer waits on
  its row lock until the first commits, then gets the next number, so ``seq`` has no gap and no
  repeat and follows commit order (``seq`` is UNIQUE besides);
* a nonce is taken by ``INSERT ... ON CONFLICT DO NOTHING`` on the primary key: a racing second
  insert waits for the first to commit and then inserts nothing, so it gets `QueryReplayed`;
* the schema is made under a transaction-scoped advisory lock, so two processes starting at once
  do not race on CREATE TABLE.

Read committed isolation (PostgreSQL's default) is enough for all of it. One store object is one
connection (no pool yet); ``autocommit`` is on and every write method runs in its own
transaction (``conn.transaction()``; nested: a savepoint), so nothing is left open between
calls. A connection lost or refused is `ExchangeStoreUnavailable` naming host, port and database,
never the password.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

from ledger.errors import ExchangeStoreNotOpen, ExchangeStoreUnavailable
from ledger.exchange.store import _SqlExchangeStore, schema_statements

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresExchangeStore"]

#: Key of the advisory lock held while the schema is made ("lgr.exch" as a 63-bit integer).
_SCHEMA_LOCK = int.from_bytes(b"lgr.exch", "big") & 0x7FFF_FFFF_FFFF_FFFF
#: Seconds to wait for a connection.
CONNECT_TIMEOUT = 10


def _where(conninfo: str) -> str:
    """Host, port and database of a connection string, for messages (no password)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(conninfo)
    except Exception:  # a malformed string: say nothing of its content
        return "the PostgreSQL server (malformed connection string)"
    host = parts.get("host") or "localhost"
    port = parts.get("port") or "5432"
    dbname = parts.get("dbname") or parts.get("user") or "postgres"
    return f"PostgreSQL database {dbname!s} on {host!s}:{port!s}"


class PostgresExchangeStore(_SqlExchangeStore):
    """`ExchangeStore` on a PostgreSQL database named by a libpq connection string
    (``"host=127.0.0.1 port=5432 dbname=cpr user=cpr"`` or a ``postgresql://`` URI). The
    constructor does no I/O; `open()` connects and makes (or checks) the schema. One object is
    one connection: use one per thread or process."""

    def __init__(self, conninfo: str) -> None:
        super().__init__()
        self._conninfo = conninfo
        self._db: psycopg.Connection[tuple[Any, ...]] | None = None
        self._name = "exchange store on " + _where(conninfo)

    def open(self) -> Self:
        """Connect and make (or check) the schema; a no-op if open."""
        if self._db is None:
            import psycopg

            try:
                self._db = psycopg.connect(
                    self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT
                )
            except psycopg.Error as exc:
                raise ExchangeStoreUnavailable(
                    f"cannot connect to {_where(self._conninfo)}: "
                    f"{type(exc).__name__}; is the server running and the database created?"
                ) from exc
            try:
                with self._transaction():
                    self._run("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
                    for statement in schema_statements(int_type="BIGINT", blob_type="BYTEA"):
                        self._run(statement)
                    self._check_version()
            except BaseException:
                self.close()
                raise
        return self

    @property
    def _conn(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._db is None:
            raise ExchangeStoreNotOpen(f"{self._name} is not open")
        return self._db

    @contextmanager
    def _unavailable(self) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.OperationalError as exc:
            raise ExchangeStoreUnavailable(
                f"{self._name} failed: {type(exc).__name__}; the transaction was rolled back"
            ) from exc

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        conn = self._conn
        self._depth += 1
        try:
            with self._unavailable(), conn.transaction():
                yield
        finally:
            self._depth -= 1

    @staticmethod
    def _sql(sql: str) -> str:
        # The shared SQL has no literal '?' and no '%': rewrite its placeholders.
        return sql.replace("?", "%s")

    def _run(self, sql: str, params: Sequence[Any] = ()) -> tuple[int, list[tuple[Any, ...]]]:
        with self._unavailable(), self._conn.cursor() as cur:
            cur.execute(self._sql(sql), tuple(params))  # type: ignore[arg-type]
            rows = cur.fetchall() if cur.description is not None else []
            return cur.rowcount, rows

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._unavailable(), self._conn.cursor() as cur:
            cur.executemany(self._sql(sql), rows)  # type: ignore[arg-type]
