"""docs/security.md maps every threat to its tests: each test it names must exist where it says."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECURITY = ROOT / "docs" / "security.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_the_threat_model_names_exists() -> None:
    references = REFERENCE.findall(SECURITY.read_text(encoding="utf-8"))
    assert len(references) >= 40, "the threat model names fewer tests than it did when written"
    missing = [
        f"{file}::{name}"
        for file, name in references
        if not (ROOT / file).is_file() or name not in _test_functions(ROOT / file)
    ]
    assert missing == []


def test_every_threat_table_row_names_a_test() -> None:
    text = SECURITY.read_text(encoding="utf-8")
    model = text.split("## Threats and their answers", 1)[1].split("## Fault scenarios", 1)[0]
    rows = [
        line for line in model.splitlines()
        if line.startswith("| ") and not line.startswith("| threat") and "---" not in line
    ]
    assert rows
    assert [row for row in rows if not REFERENCE.search(row)] == []
