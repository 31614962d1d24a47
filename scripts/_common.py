"""What every script under scripts/ starts with: the project venv, the import path, and the
shared setup (the world builder of the tests). Import it before anything of the project
(`import _common`; a script's own folder is on `sys.path` when it runs as a file):

- when the running interpreter lacks the project's dependencies (`python3 scripts/x.py` outside
  the venv), the script re-executes itself with `.venv/bin/python`;
- the checkout and its `tests/` folder go on `sys.path`, so `ledger` is the checkout's and
  `world` (the deployed suite with agencies the tests use, `tests/world.py`) is importable;
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

__all__ = ["ROOT", "use_project_venv"]

ROOT = Path(__file__).resolve().parents[1]
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def use_project_venv(probe: str) -> None:
    """Re-execute the running script with the project venv's python when module `probe` cannot
    be imported here (and the venv exists and is not the running one); else return."""
    try:
        importlib.import_module(probe)
    except ImportError:
        in_venv = Path(sys.prefix).resolve() == _VENV_PYTHON.parents[1].resolve()
        if _VENV_PYTHON.exists() and not in_venv:
            os.execv(str(_VENV_PYTHON), [str(_VENV_PYTHON), sys.argv[0], *sys.argv[1:]])
        raise


use_project_venv("eth_account")
for _path in (ROOT / "tests", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
