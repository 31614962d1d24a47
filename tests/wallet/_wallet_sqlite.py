"""Helpers that edit a wallet file behind the wallet's back, as an attacker would."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ledger.wallet.store import store_path


def raw(home: Path) -> sqlite3.Connection:
    """A plain SQLite connection to the store file, in autocommit mode."""
    return sqlite3.connect(store_path(home), isolation_level=None)


def blob(home: Path, kind: str, rid: str) -> bytes:
    """The stored ciphertext of one record."""
    conn = raw(home)
    try:
        row = conn.execute(
            "SELECT blob FROM records WHERE kind = ? AND rid = ?", (kind, rid)
        ).fetchone()
    finally:
        conn.close()
    assert row is not None, (kind, rid)
    return bytes(row[0])


def set_blob(home: Path, kind: str, rid: str, value: bytes) -> None:
    """Overwrite the ciphertext of one record."""
    conn = raw(home)
    try:
        cur = conn.execute(
            "UPDATE records SET blob = ? WHERE kind = ? AND rid = ?", (value, kind, rid)
        )
        assert cur.rowcount == 1
    finally:
        conn.close()


def execute(home: Path, sql: str, *args: object) -> None:
    """Run one statement against the store file."""
    conn = raw(home)
    try:
        conn.execute(sql, args)
    finally:
        conn.close()
