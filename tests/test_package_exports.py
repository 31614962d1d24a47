"""The package's public names: every one resolves, and importing the package stays light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["ledger", "ledger.agency", "ledger.sdjwt", "ledger.wallet"])
def test_every_exported_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []
    assert set(module.__all__) <= set(dir(module))


def test_an_unknown_name_is_an_attribute_error() -> None:
    import ledger

    with pytest.raises(AttributeError, match="no attribute 'Isuser'"):
        ledger.Isuser  # noqa: B018


def _modules_loaded_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_package_loads_no_chain_library() -> None:
    loaded = _modules_loaded_by("import ledger")
    assert {m.split(".")[0] for m in loaded} & {"web3", "eth_account", "ledger"} == {"ledger"}
    assert {
        m for m in loaded if m.startswith("ledger.") and not m.startswith("ledger.errors.")
    } <= {"ledger.errors", "ledger._lazy"}


def test_importing_the_agency_building_blocks_loads_neither_web3_nor_the_sdk() -> None:
    loaded = _modules_loaded_by("import ledger.agency")
    assert not {m for m in loaded if m.split(".")[0] == "web3"}
    assert not loaded & {"ledger.agency.issuer", "ledger.agency.verifier", "ledger.chain.client"}


def test_the_sdk_classes_from_the_top_level_are_the_module_classes() -> None:
    from ledger import Issuer, Verifier
    from ledger.agency.issuer import Issuer as IssuerClass
    from ledger.agency.verifier import Verifier as VerifierClass

    assert (Issuer, Verifier) == (IssuerClass, VerifierClass)
