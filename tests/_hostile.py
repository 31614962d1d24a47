"""The hostile JSON corpus (`tests/vectors/hostile/corpus.yaml`) and what the tests share.

Each document is built from its recipe once per session and written to a temporary file
(the largest is 50 MB, so none is committed). `assert_one_line_error` is the one check every
CLI entry point must pass: exit code, a single short `Error: ...` line, no traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

CORPUS = Path(__file__).parent / "vectors" / "hostile" / "corpus.yaml"
# An error message says what is wrong; it never echoes the (possibly huge) input back.
MAX_MESSAGE = 400


@dataclass(frozen=True)
class Hostile:
    """One hostile document: its name, the parser's verdict (a `JsonRejected` subclass name, or
    None when it is valid JSON) and the file holding it."""

    name: str
    refused: str | None
    path: Path

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


def _build(parts: list[dict[str, Any]]) -> bytes:
    out = bytearray()
    for part in parts:
        chunk = bytes.fromhex(part["hex"]) if "hex" in part else part["text"].encode()
        out += chunk * int(part.get("times", 1))
    return bytes(out)


def recipes() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return cases


NAMES = [case["name"] for case in recipes()]
SMALL = [n for n in NAMES if n not in {"fifty-megabytes", "huge-string"}]
DEEP = ["deep-arrays", "deep-objects", "deep-unclosed"]


def build_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Hostile]:
    """Every hostile document, by name, each in its own file under a new folder of
    `tmp_path_factory` (the session fixture `corpus` of `tests/conftest.py`)."""
    directory = tmp_path_factory.mktemp("hostile")
    out = {}
    for case in recipes():
        path = directory / f"{case['name']}.json"
        path.write_bytes(_build(case["parts"]))
        out[case["name"]] = Hostile(case["name"], case["refused"], path)
    return out


def assert_one_line_error(result: Any, exit_code: int = 1) -> str:
    """`result` (a click `Result` or a `CompletedProcess`) failed with `exit_code`, printing one
    short `Error: ...` line on stderr and nothing that looks like a traceback."""
    code = getattr(result, "exit_code", None)
    if code is None:
        code = result.returncode
    stderr = result.stderr if isinstance(result.stderr, str) else result.stderr.decode()
    assert code == exit_code, f"exit {code}: {stderr[:2000]}"
    assert "Traceback" not in stderr, stderr[:4000]
    assert stderr.startswith("Error: ") and stderr.endswith("\n"), stderr[:2000]
    assert stderr.count("\n") == 1, stderr[:2000]
    assert len(stderr) <= MAX_MESSAGE, stderr[:2000]
    return stderr
