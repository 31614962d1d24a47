"""The generated mirror of the contracts' custom errors (`ledger.errors.contracts`).

Every custom error in every committed ABI has a class of its name under its contract's family,
documented by its NatSpec, and decodes into it with its values; the package's layers import
nothing of the agency layer. (Freshness of the generated file: tests/chain/test_artifacts.py.)
"""

from __future__ import annotations

import ast
import inspect
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

import ledger.errors as errors
from ledger.chain.abi import ContractAbi, combined_error_decoder, load_artifact
from ledger.chain.compile import DEPLOYABLE
from ledger.chain.errorgen import (
    SHARED_FAMILY,
    collect_errors,
    committed_artifacts,
    natspec_text,
    render_contract_errors,
)
from ledger.chain.rpc import Rpc
from ledger.chain.sender import TxSender
from ledger.errors import (
    AccessControlUnauthorizedAccount,
    AnchorRegistryAlreadyAnchored,
    AnchorRegistryError,
    ChainError,
    ContractRevert,
    ContractReverted,
    InvalidAccountNonce,
    SharedContractError,
    StringTooLong,
)

ERRORS_DIR = Path(errors.__file__).parent
OUTSIDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def _abi_errors() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [
        (str(artifact["contractName"]), artifact, entry)
        for artifact in committed_artifacts()
        for entry in artifact["abi"]
        if entry["type"] == "error"
    ]


def _paragraphs(text: str | None) -> list[str]:
    return [" ".join(p.split()) for p in (text or "").split("\n\n") if p.strip()]


def _revert(signature: str, types: list[str], values: list[Any]) -> bytes:
    return keccak(signature.encode())[:4] + encode(types, values)


@pytest.mark.parametrize(("contract", "artifact", "entry"), _abi_errors())
def test_every_abi_error_has_a_class_of_its_name_documented_by_its_natspec(
    contract: str, artifact: dict[str, Any], entry: dict[str, Any]
) -> None:
    cls = getattr(errors, entry["name"], None)
    assert isinstance(cls, type) and issubclass(cls, ContractRevert), entry["name"]
    assert cls.__module__ == "ledger.errors.contracts"
    assert entry["name"] in errors.__all__
    assert _paragraphs(cls.__doc__) == _paragraphs(natspec_text(artifact, entry))
    attributes = inspect.get_annotations(cls)
    assert [p["name"] for p in entry["inputs"] if p["name"]] == list(attributes)


def test_each_error_sits_under_the_family_of_the_contract_that_declares_it() -> None:
    assert issubclass(AnchorRegistryAlreadyAnchored, AnchorRegistryError)
    assert AnchorRegistryError.__bases__ == (ContractRevert,)
    for cls in (AccessControlUnauthorizedAccount, InvalidAccountNonce, StringTooLong):
        assert cls.__bases__ == (SharedContractError,)
    for spec in collect_errors(committed_artifacts()):
        family = getattr(errors, spec.family)
        assert getattr(errors, spec.name).__bases__ == (family,)
        assert spec.family == SHARED_FAMILY or spec.name.startswith(spec.family[: -len("Error")])


def test_docstrings_are_the_natspec_not_a_copy() -> None:
    # This one drifted while it was copied by hand ("The digest or root is already anchored").
    assert AnchorRegistryAlreadyAnchored.__doc__ == (
        "The caller already anchored this digest or root."
    )
    assert AccessControlUnauthorizedAccount.__doc__ == "The `account` is missing a role."
    assert StringTooLong.__doc__ is None  # OpenZeppelin gives it no NatSpec


def test_access_control_error_decodes_with_its_values() -> None:
    role = keccak(b"COUNCIL_ROLE")
    data = _revert(
        "AccessControlUnauthorizedAccount(address,bytes32)",
        ["address", "bytes32"],
        [OUTSIDER, role],
    )
    error = ContractAbi(load_artifact("TrustRegistry").abi).decode_revert(data)
    assert type(error) is AccessControlUnauthorizedAccount
    assert error.values == {"account": OUTSIDER, "neededRole": role}
    assert (error.account, error.neededRole) == (OUTSIDER, role)
    assert error.explained() == (
        f"The `account` is missing a role: AccessControlUnauthorizedAccount(account={OUTSIDER}, "
        f"neededRole=0x{role.hex()})"
    )
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is AccessControlUnauthorizedAccount and clone.values == error.values


def test_nonce_error_decodes_instead_of_a_bare_revert() -> None:
    data = _revert("InvalidAccountNonce(address,uint256)", ["address", "uint256"], [OUTSIDER, 7])
    decoder = combined_error_decoder(ContractAbi(load_artifact(n).abi) for n in DEPLOYABLE)
    error = decoder(data)
    assert type(error) is InvalidAccountNonce
    assert (error.account, error.currentNonce) == (OUTSIDER, 7)


def test_an_undocumented_error_explains_itself_by_its_values_alone() -> None:
    data = _revert("StringTooLong(string)", ["string"], ["x" * 40])
    error = ContractAbi(load_artifact("Council").abi).decode_revert(data)
    assert type(error) is StringTooLong
    assert error.explained() == str(error) == f"StringTooLong(str={'x' * 40})"


def test_a_role_gated_call_on_chain_reverts_with_the_access_control_error(
    rpc: Rpc, fresh_account: Callable[..., LocalAccount]
) -> None:
    artifact = load_artifact("TrustRegistry")
    abi = ContractAbi(artifact.abi)
    council, outsider = fresh_account(), fresh_account()
    init = artifact.bytecode + abi.encode_constructor([council.address, outsider.address])
    address = TxSender(rpc, council).transact(None, init).contract_address
    assert address is not None
    call = abi.encode_call("grantRole", [bytes(32), outsider.address])
    with pytest.raises(ContractReverted) as caught:
        rpc.eth_call(address, call, sender=outsider.address)
    error = abi.decode_revert(caught.value.data)
    assert type(error) is AccessControlUnauthorizedAccount
    assert error.values == {"account": outsider.address, "neededRole": bytes(32)}


# -- the generator on inputs the contracts do not have (yet) ---------------------------------


def _artifact(name: str, errors_abi: list[dict[str, Any]], notices: dict[str, str]) -> Any:
    return {
        "contractName": name,
        "abi": errors_abi,
        "userdoc": {"errors": {sig: [{"notice": text}] for sig, text in notices.items()}},
        "devdoc": {},
    }


def test_generated_module_handles_awkward_names_and_text() -> None:
    odd = [
        {"name": "data", "type": "bytes"},  # kept by ContractRevert for the raw revert data
        {"name": "from", "type": "address"},  # a Python keyword
        {"name": "bytes", "type": "bytes32[]"},  # shadows the annotation's own type
        {"name": "", "type": "uint8"},
        {"name": "pair", "type": "tuple", "components": [{"name": "a", "type": "bool"}]},
    ]
    notice = 'Says "quoted" and a back\\slash, then ends in a quote "'
    artifact = _artifact(
        "Demo",
        [{"type": "error", "name": "DemoOdd", "inputs": odd}],
        {"DemoOdd(bytes,address,bytes32[],uint8,(bool))": notice},
    )
    text = render_contract_errors([artifact])
    namespace: dict[str, Any] = {}
    exec(compile(text, "contracts.py", "exec"), namespace)
    cls = namespace["DemoOdd"]
    assert cls.__bases__ == (namespace["DemoError"],)
    assert cls.__doc__ == notice
    assert cls.__annotations__ == {
        "bytes": "builtins.tuple[builtins.bytes, ...]",
        "pair": "tuple[object, ...]",
    }
    assert all(len(line) <= 100 for line in text.splitlines())


def test_two_errors_of_one_name_with_different_parameters_are_refused() -> None:
    one = _artifact("A", [{"type": "error", "name": "Clash", "inputs": []}], {})
    two = _artifact(
        "B", [{"type": "error", "name": "Clash", "inputs": [{"name": "x", "type": "uint8"}]}], {}
    )
    with pytest.raises(ValueError, match="two custom errors named Clash"):
        render_contract_errors([one, two])


# -- the package ------------------------------------------------------------------------------


def test_every_public_name_is_exported_once_and_is_an_exception() -> None:
    assert len(errors.__all__) == len(set(errors.__all__))
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert isinstance(cls, type) and issubclass(cls, errors.LedgerError), name
    assert issubclass(ContractRevert, ChainError)


def test_no_error_module_imports_the_agency_layer() -> None:
    for path in [*ERRORS_DIR.glob("*.py"), ERRORS_DIR.parent / "report.py"]:
        tree = ast.parse(path.read_text())
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        foreign = [
            m
            for m in imported
            if m
            and m.startswith("ledger.")
            and not m.startswith(("ledger.errors", "ledger.report"))
        ]
        assert not foreign, f"{path.name} imports {foreign}"
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, ledger.errors; print(sorted(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "ledger.agency" not in loaded
