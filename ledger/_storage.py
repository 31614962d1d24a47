"""Failures of the disk under a file the ledger keeps, as `StorageError`s naming the file.

SQLite reports a full disk as SQLITE_FULL, but a write past the process's file size limit
(RLIMIT_FSIZE, EFBIG) or a failing disk as SQLITE_IOERR_*; Python's own file writes raise
OSError. Either way the caller gets one error that names the file and says whether a retry with
more room can help, instead of a traceback or a misleading "corrupt".
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ledger.errors import StorageError, StorageFull

__all__ = ["storage_error", "storage_errors"]

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


def storage_error(exc: BaseException, path: Path | str) -> StorageError | None:
    """The `StorageError` for `exc` raised while using `path`, or None if it is not a storage
    failure (a constraint, a lock, a malformed database: the caller's own business)."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is None:
            return None
        if code & 0xFF == sqlite3.SQLITE_FULL:
            return _full(path)
        if code & 0xFF == sqlite3.SQLITE_IOERR:
            name = getattr(exc, "sqlite_errorname", "SQLITE_IOERR")
            return StorageError(
                f"disk I/O error on {path} ({name}; a full disk or the file size limit shows "
                "as this too). Nothing committed before was lost; retry once there is room"
            )
        if code & 0xFF == sqlite3.SQLITE_READONLY:
            return StorageError(f"cannot write {path}: it is read-only ({exc})")
        return None
    if isinstance(exc, OSError):
        if exc.errno in _FULL_ERRNOS:
            return _full(path)
        return StorageError(f"cannot write {path}: {exc.strerror or exc}")
    return None


def _full(path: Path | str) -> StorageFull:
    return StorageFull(
        f"no room to write {path}: the disk (or this process's file size limit) is full. "
        "Nothing committed before was lost; free some space and retry"
    )


@contextmanager
def storage_errors(path: Path | str | None) -> Iterator[None]:
    """Raise the `StorageError` of a storage failure on `path` in the block (chained to it);
    let every other exception through unchanged. A no-op for an in-memory database (None)."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        mapped = None if path is None else storage_error(exc, path)
        if mapped is None:
            raise
        raise mapped from exc
