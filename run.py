#!/usr/bin/env python3
"""Set the project up on a fresh machine and run one of its jobs.

    python3 run.py demo     # install everything, then run the end-to-end demo on a devnet
    python3 run.py test     # install everything, then lint, type-check and run the test suite

Setup is idempotent and cheap when nothing changed: a virtualenv in .venv (pip install of the
pinned project with its dev extras) and node_modules (npm ci from the committed lockfile, which
brings the pinned solc, anvil and OpenZeppelin contracts). Needs only Python 3.11+ and Node/npm.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()


def _run(*cmd: str | Path, **kw: object) -> None:
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)  # type: ignore[call-overload]


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Error: Python 3.11 or newer is needed")
    if not (BIN / "python").exists():
        print("setup: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = ROOT / ".setup-stamp-pip"
    want = _digest(ROOT / "pyproject.toml")
    if not stamp.exists() or stamp.read_text() != want:
        print("setup: installing Python dependencies (pinned)", flush=True)
        _run(BIN / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "-e", ".[dev]")
        stamp.write_text(want)
    npm_stamp = ROOT / ".setup-stamp-npm"
    want_npm = _digest(ROOT / "package-lock.json")
    if (not npm_stamp.exists() or npm_stamp.read_text() != want_npm
            or not (ROOT / "node_modules").exists()):
        print("setup: installing solc, anvil and OpenZeppelin from the npm lockfile", flush=True)
        _run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
        npm_stamp.write_text(want_npm)


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in {"demo", "test", "setup"}:
        print(__doc__)
        return 2
    setup()
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    job, rest = argv[0], argv[1:]
    if job == "setup":
        return 0
    if job == "demo":
        return subprocess.call([str(BIN / "ledger"), "demo", *rest], cwd=ROOT, env=env)
    for step in (["ruff", "check", "ledger", "tests", "scripts"], ["mypy"]):
        print(f"== {' '.join(step)}", flush=True)
        if subprocess.call([str(BIN / step[0]), *step[1:]], cwd=ROOT, env=env) != 0:
            return 1
    print("== pytest", flush=True)
    return subprocess.call([str(BIN / "python"), "-m", "pytest", "-n", "2", *rest],
                           cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
