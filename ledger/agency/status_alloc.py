"""Random status-list indexes, persisted so none is ever handed out twice.

Indexes are drawn uniformly among the unused ones of a list, so a credential's index says
nothing about when it was issued (sequential indexes would leak issuance order and let anyone
count an agency's issuance per day from the status bitmap). When a list is filled past
``max_fill`` the allocator raises `StatusListFull` and the caller opens a new list: keeping lists
partly empty keeps the draw cheap and the set of used indexes a small fraction of the list.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from ledger.agency._sqlite import SQLiteStore, connect
from ledger.errors import StatusListFull

#: Rejection-sampling attempts before falling back to an exact draw over the free indexes.
_MAX_REJECTIONS = 32
_SCHEMA = """
CREATE TABLE IF NOT EXISTS status_allocations (
    list_id      INTEGER NOT NULL,
    idx          INTEGER NOT NULL,
    allocated_at INTEGER NOT NULL,
    PRIMARY KEY (list_id, idx)
) WITHOUT ROWID
"""


class StatusIndexAllocator(SQLiteStore):
    """Allocates status indexes at random, persisted in SQLite (may share the outbox's file).

    The constructor does no I/O; call `open()` or use it as a context manager.
    """

    def __init__(self, path: Path, *, max_fill: float = 0.75) -> None:
        if not 0.0 < max_fill < 1.0:
            raise ValueError("max_fill must be in (0, 1)")
        super().__init__(path)
        self._max_fill = max_fill

    def _connect(self) -> sqlite3.Connection:
        return connect(self._path, schema=_SCHEMA)

    def allocated(self, list_id: int) -> int:
        """How many indexes of ``list_id`` are in use."""
        row = self._conn.execute(
            "SELECT COUNT(*) FROM status_allocations WHERE list_id = ?", (list_id,)
        ).fetchone()
        return int(row[0])

    def allocate(
        self,
        list_id: int,
        capacity: int,
        *,
        rng: Callable[[int], int] | None = None,
        now: int | None = None,
    ) -> int:
        """Draw an unused index of ``list_id`` uniformly at random in ``[0, capacity)``.

        ``rng(n)`` returns an integer in ``[0, n)`` (default `secrets.randbelow`). Raises
        `StatusListFull` when the list already holds ``max_fill * capacity`` indexes. The index
        is durably recorded before it is returned.
        """
        return self.allocate_many(list_id, capacity, 1, rng=rng, now=now)[0]

    def allocate_many(
        self,
        list_id: int,
        capacity: int,
        count: int,
        *,
        rng: Callable[[int], int] | None = None,
        now: int | None = None,
    ) -> tuple[int, ...]:
        """Draw ``count`` distinct unused indexes (each as `allocate` would, in draw order) in one
        transaction: all or none. Raises `StatusListFull` if they do not all fit."""
        if capacity <= 0 or count <= 0:
            raise ValueError("capacity and count must be positive")
        draw = rng or secrets.randbelow
        t = int(time.time()) if now is None else now
        with self._write() as db:
            used = self.allocated(list_id)
            if used + count > int(self._max_fill * capacity):
                raise StatusListFull(
                    f"status list {list_id} holds {used} of {capacity} indexes "
                    f"(limit {self._max_fill:.0%}); {count} more do not fit, open a new list"
                )
            got: list[int] = []
            for _ in range(count):
                idx = self._draw(list_id, capacity, used, draw)
                db.execute(
                    "INSERT INTO status_allocations(list_id, idx, allocated_at) VALUES (?, ?, ?)",
                    (list_id, idx, t),
                )
                got.append(idx)
                used += 1
        return tuple(got)

    def _draw(self, list_id: int, capacity: int, used: int, draw: Callable[[int], int]) -> int:
        db = self._conn
        for _ in range(_MAX_REJECTIONS):
            idx = draw(capacity)
            hit = db.execute(
                "SELECT 1 FROM status_allocations WHERE list_id = ? AND idx = ?", (list_id, idx)
            ).fetchone()
            if hit is None:
                return idx
        # Exact uniform draw: the k-th free index, walking the used ones in order.
        k = draw(capacity - used)
        for (taken,) in db.execute(
            "SELECT idx FROM status_allocations WHERE list_id = ? ORDER BY idx", (list_id,)
        ):
            if taken <= k:
                k += 1
            else:
                break
        return k
