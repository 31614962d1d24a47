"""The wallet store's SQLite file: schema, connection settings, header, error mapping.

Internal module of `ledger.wallet.store`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ledger.errors import WalletError, WalletStoreCorrupt
from ledger.wallet.home import STORE_FILE

__all__ = [
    "FORMAT",
    "SCHEMA",
    "VERSION",
    "connect",
    "db_errors",
    "fsync_dir",
    "read_header",
    "store_path",
]

FORMAT = "ledger-wallet-store"
VERSION = 1

SCHEMA = """
CREATE TABLE header (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    format TEXT NOT NULL,
    version INTEGER NOT NULL,
    store_id BLOB NOT NULL,
    salt BLOB NOT NULL,
    kdf TEXT NOT NULL,
    canary BLOB NOT NULL,
    manifest BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE records (
    kind TEXT NOT NULL,
    rid TEXT NOT NULL,
    blob BLOB NOT NULL,
    PRIMARY KEY (kind, rid)
) WITHOUT ROWID;
"""


def store_path(home: Path) -> Path:
    """Path of the store file inside a wallet home."""
    return Path(home) / STORE_FILE


@contextlib.contextmanager
def db_errors(path: Path) -> Iterator[None]:
    """Turn SQLite failures into wallet errors naming the file."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise WalletError(f"wallet store {path} is busy (used by another process)") from exc
        raise WalletStoreCorrupt(f"wallet store {path} is unreadable: {text}") from exc
    except sqlite3.DatabaseError as exc:
        raise WalletStoreCorrupt(f"wallet store {path} is corrupt: {exc}") from exc


def connect(path: Path) -> sqlite3.Connection:
    """Open an existing store file read-write (never creates it) with the store's pragmas."""
    uri = Path(path).resolve().as_uri() + "?mode=rw"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=5.0)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA secure_delete=ON")
    return conn


def fsync_dir(path: Path) -> None:
    """Make a rename or link inside directory `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_header(conn: sqlite3.Connection, path: Path) -> tuple[bytes, bytes, str, bytes]:
    """Integrity-check the file and return (store_id, salt, kdf JSON, canary) from its header."""
    check = conn.execute("PRAGMA quick_check").fetchone()
    if check is None or check[0] != "ok":
        raise WalletStoreCorrupt(f"wallet store {path} fails SQLite's integrity check")
    try:
        row = conn.execute(
            "SELECT format, version, store_id, salt, kdf, canary FROM header WHERE id = 1"
        ).fetchone()
    except sqlite3.OperationalError as exc:
        raise WalletStoreCorrupt(f"{path} is not a wallet store ({exc})") from exc
    if row is None or row[0] != FORMAT:
        raise WalletStoreCorrupt(f"{path} is not a wallet store")
    if row[1] != VERSION:
        raise WalletStoreCorrupt(f"{path}: unsupported wallet store version {row[1]!r}")
    fmt_ok = all(isinstance(v, bytes) for v in (row[2], row[3], row[5]))
    if not fmt_ok or not isinstance(row[4], str):
        raise WalletStoreCorrupt(f"{path}: malformed wallet header")
    return row[2], row[3], row[4], row[5]
