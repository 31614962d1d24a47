"""Atomic, durable file writes: the one way the package replaces or creates a file.

A temporary file beside the target (created exclusively, with the given mode), written and
fsynced, then renamed over the target (or hard-linked to it, when the target must not exist yet),
then the folder fsynced so that the rename survives a power cut. A crash leaves the old file or
the new one, never half of one, and no temporary file is left behind by a failure that Python
sees. Writers that may race each other to the same file serialise themselves (a lock); the
temporary names never collide.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["fsync_dir", "publish", "write_atomic"]


def fsync_dir(path: Path) -> None:
    """Make a rename or link inside directory `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_beside(path: Path) -> Path:
    """A fresh temporary name in `path`'s folder (hidden, random, ends in `.tmp`)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


def publish(tmp: Path, path: Path, *, exclusive: bool = False) -> None:
    """Move the finished, fsynced file `tmp` to `path` and fsync the folder. `exclusive`: refuse
    an existing `path` (`FileExistsError`) instead of replacing it; a hard link makes that check
    and the move one step, and where the filesystem has no hard links a checked rename stands in.
    """
    if exclusive:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # filesystem without hard links
            if path.exists():
                raise FileExistsError(path) from None
            os.replace(tmp, path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    else:
        os.replace(tmp, path)
    fsync_dir(path.parent)


def write_atomic(
    path: Path | str, data: bytes | str, *, mode: int = 0o666, exclusive: bool = False
) -> None:
    """Write `data` (text is UTF-8) to `path` atomically and durably (see the module docstring).
    `mode` is the new file's permission bits before the umask; `exclusive` refuses to replace an
    existing file (`FileExistsError`). Other `OSError`s pass through."""
    path = Path(path)
    content = data.encode("utf-8") if isinstance(data, str) else data
    tmp = temporary_beside(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        publish(tmp, path, exclusive=exclusive)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
