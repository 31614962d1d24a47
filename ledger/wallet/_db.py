"""The wallet store's SQLite file: schema, connection settings, header, error mapping.

Internal module of `ledger.wallet.store`.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ledger._storage import storage_error
from ledger.errors import WalletError, WalletHeaderDamaged, WalletStoreCorrupt
from ledger.wallet._crypto import aad
from ledger.wallet.home import STORE_FILE

__all__ = [
    "FORMAT",
    "SCHEMA",
    "VERSION",
    "Header",
    "add_header_sum",
    "connect",
    "db_errors",
    "header_sum",
    "read_header",
    "store_path",
]

FORMAT = "ledger-wallet-store"
#: 2: `header.header_sum`. A version-1 store (no checksum) is still read, and upgraded in place
#: by `add_header_sum` once the passphrase has unlocked it.
VERSION = 2

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
    created_at INTEGER NOT NULL,
    header_sum BLOB NOT NULL
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
    """Turn SQLite failures into wallet errors naming the file: a full disk or an I/O error into
    a `StorageError` (the store is intact, the change was not made), damage into
    `WalletStoreCorrupt`."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        storage = storage_error(exc, path)
        if storage is not None:
            raise storage from exc
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise WalletError(f"wallet store {path} is busy (used by another process)") from exc
        raise WalletStoreCorrupt(f"wallet store {path} is unreadable: {text}") from exc
    except sqlite3.DatabaseError as exc:
        storage = storage_error(exc, path)
        if storage is not None:
            raise storage from exc
        raise WalletStoreCorrupt(f"wallet store {path} is corrupt: {exc}") from exc
    except OSError as exc:
        raise storage_error(exc, path) or WalletError(str(exc)) from exc
    except UnicodeDecodeError as exc:  # text in the file (or in SQLite's message) is not UTF-8
        raise WalletStoreCorrupt(f"wallet store {path} is unreadable: {exc}") from exc


def connect(path: Path) -> sqlite3.Connection:
    """Open an existing store file read-write (never creates it) with the store's pragmas."""
    uri = Path(path).resolve().as_uri() + "?mode=rw"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=5.0)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA secure_delete=ON")
    return conn


@dataclass(frozen=True)
class Header:
    """The store's header row: what the key is derived from and how the passphrase is checked.

    `checksum` is None in a version-1 header, which had none.
    """

    version: int
    store_id: bytes
    salt: bytes
    kdf: str
    canary: bytes
    created_at: int
    checksum: bytes | None

    def intact(self) -> bool:
        """Whether the header matches its checksum (a version-1 header cannot tell: False)."""
        return self.checksum is not None and self.checksum == header_sum(
            self.version, self.store_id, self.salt, self.kdf, self.canary, self.created_at
        )


def header_sum(
    version: int, store_id: bytes, salt: bytes, kdf: str, canary: bytes, created_at: int
) -> bytes:
    """SHA-256 over every header field the key derivation and the passphrase check read.

    Unkeyed on purpose: it must be checkable before the passphrase is, so that a damaged salt or
    KDF parameter is reported as damage rather than as a wrong passphrase.
    """
    fields = aad(FORMAT, str(version), store_id, salt, kdf, canary, str(created_at))
    return hashlib.sha256(b"ledger-wallet header sum\n" + fields).digest()


def read_header(conn: sqlite3.Connection, path: Path) -> Header:
    """Integrity-check the file and return its header (not yet checked against its checksum)."""
    check = conn.execute("PRAGMA quick_check").fetchone()
    if check is None or check[0] != "ok":
        raise WalletStoreCorrupt(f"wallet store {path} fails SQLite's integrity check")
    try:
        cur = conn.execute("SELECT * FROM header WHERE id = 1")
        names = [d[0] for d in cur.description]
        values = cur.fetchone()
    except sqlite3.OperationalError as exc:
        raise WalletStoreCorrupt(f"{path} is not a wallet store ({exc})") from exc
    row = dict(zip(names, values or (), strict=False))
    if values is None or row.get("format") != FORMAT:
        raise WalletStoreCorrupt(f"{path} is not a wallet store")
    version = row.get("version")
    if version not in (1, VERSION):
        raise WalletStoreCorrupt(f"{path}: unsupported wallet store version {version!r}")
    has_sum = "header_sum" in row
    if has_sum != (version == VERSION):
        raise WalletHeaderDamaged(
            f"wallet store {path} is damaged: its header says version {version} but has "
            f"{'a' if has_sum else 'no'} checksum column"
        )
    blobs = (row.get("store_id"), row.get("salt"), row.get("canary"), row.get("header_sum", b""))
    kdf, created_at = row.get("kdf"), row.get("created_at")
    if not all(isinstance(b, bytes) for b in blobs) or not isinstance(kdf, str):
        raise WalletHeaderDamaged(f"wallet store {path} is damaged: malformed header")
    if not isinstance(created_at, int):
        raise WalletHeaderDamaged(f"wallet store {path} is damaged: malformed header")
    return Header(
        version,
        row["store_id"],
        row["salt"],
        row["kdf"],
        row["canary"],
        row["created_at"],
        row["header_sum"] if has_sum else None,
    )


def add_header_sum(conn: sqlite3.Connection) -> None:
    """In the caller's write transaction: give a version-1 header its checksum column and value
    and make it version 2 (a no-op on a version-2 header, e.g. one another process upgraded).

    Call only once the passphrase has unlocked the store and its records checked out, so that
    the checksum vouches for a header known to be good.
    """
    (version,) = conn.execute("SELECT version FROM header WHERE id = 1").fetchone()
    if version != 1:
        return
    conn.execute("ALTER TABLE header ADD COLUMN header_sum BLOB NOT NULL DEFAULT x''")
    store_id, salt, kdf, canary, created_at = conn.execute(
        "SELECT store_id, salt, kdf, canary, created_at FROM header WHERE id = 1"
    ).fetchone()
    conn.execute(
        "UPDATE header SET version = ?, header_sum = ? WHERE id = 1",
        (VERSION, header_sum(VERSION, store_id, salt, kdf, canary, created_at)),
    )
