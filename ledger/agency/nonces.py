"""Verifier-side nonce store: issue presentation nonces and consume each exactly once.

Backed by SQLite (a file, so nonces survive a restart of the verifier, or ``:memory:``). A nonce
is accepted once, before its expiry; a second use raises `NonceReplayed`, a nonce this store
never issued (or one that expired) raises `NonceUnknown`.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from pathlib import Path

from ledger._b64 import b64e
from ledger._rand import Rng
from ledger.agency._sqlite import SQLiteStore, connect
from ledger.errors import NonceReplayed, NonceUnknown

NONCE_BYTES = 32
_SCHEMA = """
CREATE TABLE IF NOT EXISTS nonces (
    nonce       TEXT PRIMARY KEY,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER
)
"""


class NonceStore(SQLiteStore):
    """Issued nonces with expiry; `consume` succeeds exactly once per nonce.

    ``path=None`` keeps the nonces in memory (lost on exit). The constructor does no I/O; call
    `open()` or use the store as a context manager.
    """

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path)

    def _connect(self) -> sqlite3.Connection:
        return connect(self._path, schema=_SCHEMA)

    def issue(
        self,
        *,
        ttl: int,
        now: int | None = None,
        rng: Rng | None = None,
    ) -> str:
        """Draw a fresh 256-bit nonce (unpadded base64url), valid for ``ttl`` seconds."""
        t = int(time.time()) if now is None else now
        draw = rng or secrets.token_bytes
        while True:
            nonce = b64e(draw(NONCE_BYTES))
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
