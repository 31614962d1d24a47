"""Generate `ledger/errors/contracts.py`: the Python mirror of every Solidity custom error.

`scripts/compile` calls `write_contract_errors()` after writing the artifacts, and
tests/chain/test_artifacts.py calls `render_contract_errors()` on the committed artifacts and
compares the text with the committed module, so a hand edit or a stale file fails the suite.

What is generated, from each artifact's ABI and NatSpec (`userdoc`, `devdoc`):
- one class per custom error in any ABI (OpenZeppelin's included), named as the Solidity error,
  its docstring the error's NatSpec (`@notice`, then `@dev`), its ABI parameters annotated as the
  attributes `ContractRevert` sets from the decoded values;
- its family: `<Contract>Error` for the errors whose name starts with a deployable contract's
  name (the house rule: errors are prefixed by their contract), `SharedContractError` for the
  others (declared by OpenZeppelin or a shared base, raised by several contracts).

Hand-written behaviour does not go into the generated file: `ContractRevert` (in
`ledger.errors.chain`) carries the behaviour every error shares (message, values as attributes,
`explained()`, pickling); behaviour a single error needs would go on a subclass in a hand-written
module, looked up first by `ledger.chain.abi` (none needs one today).
"""

from __future__ import annotations

import json
import keyword
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.chain.abi import _canonical_type, _signature

__all__ = [
    "CONTRACT_ERRORS_PATH",
    "SHARED_FAMILY",
    "ContractErrorSpec",
    "collect_errors",
    "committed_artifacts",
    "natspec_text",
    "render_contract_errors",
    "write_contract_errors",
]

#: Where the generated module lives.
CONTRACT_ERRORS_PATH = Path(__file__).resolve().parents[1] / "errors" / "contracts.py"
_ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"

#: The family of errors no single deployable contract declares.
SHARED_FAMILY = "SharedContractError"
_SHARED_DOC = (
    "Base of the custom errors declared outside any one contract of the suite (OpenZeppelin's "
    "AccessControl, Nonces, ECDSA, ShortStrings, or a shared base): several contracts may "
    "raise them."
)
#: Attribute names `ContractRevert` keeps for itself (see `ContractRevert._RESERVED`).
_RESERVED = frozenset({"error_name", "values", "data", "args"})
_WIDTH = 100


@dataclass
class ContractErrorSpec:
    """One Solidity custom error as the artifacts describe it."""

    name: str
    family: str
    signature: str  # `Name(type name, ...)`, as declared
    inputs: tuple[Mapping[str, Any], ...]
    natspec: str  # notice, then a blank line and the dev details; "" when undocumented
    contracts: list[str] = field(default_factory=list)


def natspec_text(artifact: Mapping[str, Any], entry: Mapping[str, Any]) -> str:
    """The NatSpec of ABI error `entry` in `artifact`: `@notice`, then `@dev` as a second
    paragraph (either alone when the other is missing); "" when the sources document neither."""
    sig = _signature(entry)
    user = (artifact.get("userdoc") or {}).get("errors", {}).get(sig) or [{}]
    dev = (artifact.get("devdoc") or {}).get("errors", {}).get(sig) or [{}]
    parts = [str(user[0].get("notice", "")).strip(), str(dev[0].get("details", "")).strip()]
    return "\n\n".join(p for p in parts if p)


def _family(name: str, contracts: Sequence[str]) -> str:
    owners = [c for c in contracts if re.match(rf"{re.escape(c)}[A-Z]", name)]
    return f"{max(owners, key=len)}Error" if owners else SHARED_FAMILY


def collect_errors(artifacts: Iterable[Mapping[str, Any]]) -> list[ContractErrorSpec]:
    """Every custom error across `artifacts`, once per name, sorted by family then name."""
    artifacts = sorted(artifacts, key=lambda a: str(a["contractName"]))
    contracts = [str(a["contractName"]) for a in artifacts]
    specs: dict[str, ContractErrorSpec] = {}
    for artifact in artifacts:
        for entry in artifact["abi"]:
            if entry.get("type") != "error":
                continue
            name = str(entry["name"])
            inputs = tuple(entry.get("inputs", []))
            declared = ", ".join(
                f"{_canonical_type(p)} {p.get('name', '')}".strip() for p in inputs
            )
            spec = specs.get(name)
            if spec is None:
                spec = specs[name] = ContractErrorSpec(
                    name=name,
                    family=_family(name, contracts),
                    signature=f"{name}({declared})",
                    inputs=inputs,
                    natspec=natspec_text(artifact, entry),
                )
            elif spec.signature != f"{name}({declared})":
                raise ValueError(f"two custom errors named {name}: {spec.signature} and {declared}")
            spec.contracts.append(str(artifact["contractName"]))
    return sorted(specs.values(), key=lambda s: (s.family == SHARED_FAMILY, s.family, s.name))


def _python_type(param: Mapping[str, Any]) -> str:
    kind = str(param["type"])
    if kind.endswith("]"):
        element = dict(param)
        element["type"] = kind[: kind.rindex("[")]
        return f"tuple[{_python_type(element)}, ...]"
    if kind.startswith("tuple"):
        return "tuple[object, ...]"
    if kind in ("address", "string"):
        return "str"
    if kind == "bool":
        return "bool"
    if kind.startswith("bytes"):
        return "bytes"
    if kind.startswith(("uint", "int")):
        return "int"
    return "object"


def _shadows(param: Mapping[str, Any]) -> bool:
    """Whether the attribute's name is a type its own annotation uses (`str: str`)."""
    return bool(re.search(rf"\b{re.escape(str(param['name']))}\b", _python_type(param)))


def _annotation(param: Mapping[str, Any]) -> str:
    """The attribute's type, its builtins spelled `builtins.` where the name would shadow one."""
    kind = _python_type(param)
    return (
        re.sub(r"\b(str|int|bytes|bool|tuple|object)\b", r"builtins.\1", kind)
        if _shadows(param)
        else kind
    )


def _docstring(text: str, indent: str) -> list[str]:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if text.endswith('"'):
        text = text[:-1] + '\\"'
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    lines: list[str] = []
    for i, para in enumerate(paragraphs):
        first = i == 0
        wrapped = textwrap.wrap(
            para,
            width=_WIDTH,
            initial_indent=indent + ('"""' if first else ""),
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        if i:
            lines.append("")
        lines.extend(wrapped)
    if len(paragraphs) == 1 and len(lines) == 1 and len(lines[0]) + 3 <= _WIDTH:
        return [lines[0] + '"""']
    lines.append(indent + '"""')
    return lines


def render_contract_errors(artifacts: Iterable[Mapping[str, Any]]) -> str:
    """The text of `ledger/errors/contracts.py` for `artifacts` (artifact JSON dicts)."""
    specs = collect_errors(artifacts)
    families = list(dict.fromkeys(s.family for s in specs))
    names = sorted([*families, *(s.name for s in specs)])
    out = [
        '"""Solidity custom errors, one class each: GENERATED by scripts/compile, do not edit.',
        "",
        "Written by `ledger.chain.errorgen` from the ABI and NatSpec of ledger/chain/artifacts/;",
        "tests/chain/test_artifacts.py fails when it differs from what the artifacts generate.",
        "Each class is named as the Solidity error and documented by its NatSpec; its attributes",
        "are the error's ABI parameters (set by `ContractRevert` from the decoded values).",
        f"Longer than ~400 lines: it mirrors all {len(specs)} errors of the contracts.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *(
            ["import builtins", ""]
            if any(_shadows(p) for s in specs for p in s.inputs if p.get("name"))
            else []
        ),
        "from ledger.errors.chain import ContractRevert",
        "",
        "__all__ = [",
        *(f'    "{n}",' for n in names),
        "]",
    ]
    for family in families:
        doc = (
            _SHARED_DOC
            if family == SHARED_FAMILY
            else f"Base of the custom errors of the {family.removesuffix('Error')} contract."
        )
        out += ["", "", f"class {family}(ContractRevert):", *_docstring(doc, "    ")]
        for spec in (s for s in specs if s.family == family):
            out += ["", "", f"class {spec.name}({family}):"]
            body: list[str] = []
            if spec.natspec:
                body += [*_docstring(spec.natspec, "    "), ""]
            body += textwrap.wrap(
                f"Solidity: {spec.signature}; in the ABI of {', '.join(spec.contracts)}."
                + ("" if spec.natspec else " No NatSpec in the sources."),
                width=_WIDTH,
                initial_indent="    # ",
                subsequent_indent="    #   ",
                break_long_words=False,
            )
            attributes = [
                f"    {p['name']}: {_annotation(p)}"
                for p in spec.inputs
                if p.get("name")
                and str(p["name"]) not in _RESERVED
                and not keyword.iskeyword(str(p["name"]))
            ]
            body += attributes or ([] if spec.natspec else ["    pass"])
            out += body
    return "\n".join(out) + "\n"


def committed_artifacts(artifacts_dir: Path = _ARTIFACTS_DIR) -> list[dict[str, Any]]:
    """The artifact JSON dicts under `artifacts_dir`."""
    return [json.loads(p.read_text()) for p in sorted(artifacts_dir.glob("*.json"))]


def write_contract_errors(
    artifacts_dir: Path = _ARTIFACTS_DIR, path: Path = CONTRACT_ERRORS_PATH
) -> Path:
    """Regenerate `ledger/errors/contracts.py` from the artifacts in `artifacts_dir`."""
    path.write_text(render_contract_errors(committed_artifacts(artifacts_dir)))
    return path
