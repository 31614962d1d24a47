"""Compile the Solidity sources into committed artifacts.

py-solc-x drives the npm solc through a small node shim (`scripts/solc-shim.js`), because native
solc downloads are unreachable offline and `solcjs --standard-json` prints a stray line before its
JSON. One artifact JSON per deployable contract is written to `ledger/chain/artifacts/` with
sorted keys and stable formatting, so recompiling unchanged sources yields identical files. Each
artifact carries the contract's NatSpec (`userdoc`, `devdoc`), from which `main` then generates
`ledger/errors/contracts.py` (see `ledger.chain.errorgen`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.chain.deploy import SUITE
from ledger.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
SHIM = PROJECT_ROOT / "scripts" / "solc-shim.js"
OZ_PACKAGE_JSON = PROJECT_ROOT / "node_modules" / "@openzeppelin" / "contracts" / "package.json"

#: Contracts that get an artifact (the suite plus the gas reference).
DEPLOYABLE: tuple[str, ...] = (*SUITE, "EASStyleReference")

#: Compiler settings shared by every artifact (recorded in each one).
SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "optimizer": {"enabled": True, "runs": 10_000},
    "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "devdoc",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
                "userdoc",
            ]
        }
    },
}


@dataclass(frozen=True)
class CompileResult:
    """What a compile wrote: artifact paths and the source digest they carry."""

    paths: tuple[Path, ...]
    source_digest: str
    compiler_version: str


def source_files(contracts_dir: Path = CONTRACTS_DIR) -> list[Path]:
    """The project's Solidity sources, sorted by their path relative to `contracts_dir`."""
    return sorted(
        contracts_dir.rglob("*.sol"), key=lambda p: p.relative_to(contracts_dir).as_posix()
    )


def openzeppelin_version(package_json: Path = OZ_PACKAGE_JSON) -> str:
    """The installed OpenZeppelin Contracts version (part of the source digest)."""
    try:
        return str(json.loads(package_json.read_text())["version"])
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"cannot read OpenZeppelin version from {package_json}: {exc}") from exc


def source_digest(contracts_dir: Path = CONTRACTS_DIR, oz_version: str | None = None) -> str:
    """sha256 over every source (relative path + content, sorted) and the OpenZeppelin version."""
    h = hashlib.sha256()
    for path in source_files(contracts_dir):
        rel = path.relative_to(contracts_dir).as_posix().encode()
        content = path.read_bytes()
        h.update(len(rel).to_bytes(4, "big") + rel + len(content).to_bytes(8, "big") + content)
    version = oz_version if oz_version is not None else openzeppelin_version()
    h.update(b"@openzeppelin/contracts@" + version.encode())
    return "0x" + h.hexdigest()


def standard_input(contracts_dir: Path = CONTRACTS_DIR) -> dict[str, Any]:
    """The solc standard-JSON input for the whole project."""
    sources = {
        f"contracts/{p.relative_to(contracts_dir).as_posix()}": {"content": p.read_text()}
        for p in source_files(contracts_dir)
    }
    return {"language": "Solidity", "sources": sources, "settings": SETTINGS}


def compiler_version() -> str:
    """The version string the shim reports (e.g. `0.8.37+commit.f401782d`)."""
    import subprocess

    out = subprocess.run(
        [str(SHIM), "--version"], check=True, capture_output=True, text=True
    ).stdout
    for line in out.splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip().removesuffix(".Emscripten.clang")
    raise ConfigError(f"unexpected solc --version output: {out!r}")


def compile_all(out_dir: Path = ARTIFACTS_DIR, only: tuple[str, ...] = DEPLOYABLE) -> CompileResult:
    """Compile every source and write one artifact per contract named in `only`."""
    import solcx

    output: dict[str, Any] = solcx.compile_standard(
        standard_input(),
        solc_binary=str(SHIM),
        allow_paths=[str(PROJECT_ROOT)],
        base_path=str(PROJECT_ROOT),
    )
    version = compiler_version()
    digest = source_digest()
    settings = {k: v for k, v in SETTINGS.items() if k != "outputSelection"}
    written: list[Path] = []
    by_name = {
        name: contract for unit in output["contracts"].values() for name, contract in unit.items()
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in only:
        contract = by_name[name]
        artifact = {
            "contractName": name,
            "abi": contract["abi"],
            "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + contract["evm"]["deployedBytecode"]["object"],
            "compiler": {"version": version, "settings": settings},
            "devdoc": contract["devdoc"],
            "sourceDigest": digest,
            "userdoc": contract["userdoc"],
        }
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n")
        written.append(path)
    return CompileResult(tuple(written), digest, version)


def compile_one(name: str) -> dict[str, Any]:
    """Compile the project and return one contract's artifact dict without writing anything."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        result = compile_all(Path(tmp), only=(name,))
        data: dict[str, Any] = json.loads(result.paths[0].read_text())
        return data


def main(argv: list[str] | None = None) -> None:
    """Entry point of `scripts/compile`."""
    import argparse

    argparse.ArgumentParser(
        prog="scripts/compile",
        description="Compile contracts/ with the npm solc (through py-solc-x) into "
        "ledger/chain/artifacts/: ABI, NatSpec, bytecode, compiler version and settings, source "
        "digest; then generate ledger/errors/contracts.py from the artifacts.",
    ).parse_args(argv)
    from ledger.chain.errorgen import write_contract_errors

    result = compile_all()
    for path in (*result.paths, write_contract_errors(ARTIFACTS_DIR)):
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    print(f"solc {result.compiler_version}, source digest {result.source_digest}")


if __name__ == "__main__":
    main()
