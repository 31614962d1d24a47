"""Verifier-side nonce store: issue presentation nonces and consume each exactly once.

Backed by SQLite (a file, so nonces survive a restart of the verifier, or ``:memory:``). A nonce
is accepted once, before its expiry; a second use raises `NonceReplayed`, a nonce this store
never issued (or one that expired) raises `NonceUnknown`.
"""

from __future__ import annotations

import base64
import secrets
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from ledger.errors import NonceReplayed, NonceUnknown

NONCE_BYTES = 32
_SCHEMA = """
CREATE TABLE IF NOT EXISTS nonces (
    nonce       TEXT PRIMARY KEY,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER
)
"""


class NonceStore:
    """Issued nonces with expiry; `consume` succeeds exactly once per nonce.

    ``path=None`` keeps the nonces in memory (lost on exit). The constructor does no I/O; call
    `open()` or use the store as a context manager.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._db: sqlite3.Connection | None = None

    def open(self) -> NonceStore:
        """Open (and create if needed) the database."""
        if self._db is None:
            target = ":memory:" if self._path is None else str(self._path)
            db = sqlite3.connect(target, isolation_level=None, timeout=30.0)
            if self._path is not None:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
            db.execute(_SCHEMA)
            self._db = db
        return self

    def close(self) -> None:
        """Close the database."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> NonceStore:
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
            raise RuntimeError("NonceStore is not open")
        return self._db

    def issue(
        self,
        *,
        ttl: int,
        now: int | None = None,
        rng: Callable[[int], bytes] | None = None,
    ) -> str:
        """Draw a fresh 256-bit nonce (unpadded base64url), valid for ``ttl`` seconds."""
        t = int(time.time()) if now is None else now
        draw = rng or secrets.token_bytes
        while True:
            nonce = base64.urlsafe_b64encode(draw(NONCE_BYTES)).rstrip(b"=").decode("ascii")
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO nonces(nonce, expires_at) VALUES (?, ?)", (nonce, t + ttl)
            )
            if cur.rowcount == 1:
                return nonce

    def consume(self, nonce: str, *, now: int | None = None) -> None:
        """Mark ``nonce`` used; raise `NonceReplayed` if it was, `NonceUnknown` if never issued
        here or expired."""
        t = int(time.time()) if now is None else now
        cur = self._conn.execute(
            "UPDATE nonces SET consumed_at = ? "
            "WHERE nonce = ? AND consumed_at IS NULL AND expires_at > ?",
            (t, nonce, t),
        )
        if cur.rowcount == 1:
            return
        row = self._conn.execute(
            "SELECT expires_at, consumed_at FROM nonces WHERE nonce = ?", (nonce,)
        ).fetchone()
        if row is None:
            raise NonceUnknown("nonce was not issued by this verifier")
        if row[1] is not None:
            raise NonceReplayed(f"nonce was already used at {row[1]}")
        raise NonceUnknown(f"nonce expired at {row[0]}")

    def purge(self, *, now: int | None = None) -> int:
        """Forget expired nonces (used or not); return how many were removed. A forgotten nonce
        is still rejected (as unknown)."""
        t = int(time.time()) if now is None else now
        return self._conn.execute("DELETE FROM nonces WHERE expires_at <= ?", (t,)).rowcount
