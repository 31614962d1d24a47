"""One process-pool helper for the agencies' CPU-heavy work (the issuer's signing, the
verifier's SD-JWT layer).

`WorkerPool` creates its `ProcessPoolExecutor` on first use, each worker set up once by an
initializer (a signing key, a chain connection: what is costly to send with every chunk), and
maps a function over chunks of a sequence, yielding each chunk's results in order as soon as
that chunk is done, so the caller's per-item work overlaps the workers'. The constructor does
no I/O and starts no process; `close()` shuts the pool down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["WorkerPool"]

_T = TypeVar("_T")
_R = TypeVar("_R")


class WorkerPool:
    """A lazily created process pool of `processes` workers, each run through `initializer(
    *initargs)` once. Not thread-safe."""

    def __init__(
        self,
        processes: int,
        initializer: Callable[..., None],
        initargs: tuple[Any, ...],
    ) -> None:
        self._processes = processes
        self._initializer = initializer
        self._initargs = initargs
        self._pool: ProcessPoolExecutor | None = None

    @property
    def processes(self) -> int:
        """Number of worker processes."""
        return self._processes

    def map_chunks(
        self,
        fn: Callable[..., list[_R]],
        items: Sequence[_T],
        size: int,
        *args: Any,
    ) -> Iterator[list[_R]]:
        """`fn(chunk, *args)` for consecutive chunks of `size` items, all submitted to the
        workers now; each chunk's result list is yielded in order, as soon as it is done."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._processes,
                initializer=self._initializer,
                initargs=self._initargs,
            )
        futures = [
            self._pool.submit(fn, items[i : i + size], *args) for i in range(0, len(items), size)
        ]
        return (future.result() for future in futures)

    def close(self) -> None:
        """Shut the workers down (a later `map_chunks` starts new ones)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
