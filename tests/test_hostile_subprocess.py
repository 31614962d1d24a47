"""The deepest hostile documents through real processes: a C-stack overflow (SIGSEGV, exit 139)
cannot be caught in-process, so these are the tests that show a crash for what it is.

py_ecc, imported by the Ethereum libraries, raises Python's recursion limit to 100,000; with it,
a recursive JSON parser fed 65,536 levels of `[` overflows the C stack instead of raising.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _hostile import Hostile, assert_one_line_error
from test_hostile_input import PASSPHRASE, _valid_request

BIN = Path(sys.executable).parent


def _run(tmp_path: Path, command: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "WALLET_"))}
    env |= {"LEDGER_HOME": str(tmp_path / "ledger-home"), "LEDGER_PASSPHRASE": PASSPHRASE,
            "WALLET_HOME": str(tmp_path / "wallet"), "WALLET_PASSPHRASE": PASSPHRASE}
    return subprocess.run([str(BIN / command), *[str(a) for a in args]], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("name", ["deep-arrays", "deep-objects"])
def test_ledger_verify_of_a_deeply_nested_presentation_is_a_rejection_not_a_crash(
    corpus: dict[str, Hostile], name: str, tmp_path: Path
) -> None:
    result = _run(tmp_path, "ledger", "verify", "--request", _valid_request(tmp_path),
                  corpus[name].path)
    assert_one_line_error(result, 1)


def test_ledger_verify_of_a_deeply_nested_request_is_no_verdict_not_a_crash(
    corpus: dict[str, Hostile], tmp_path: Path
) -> None:
    deep = corpus["deep-arrays"].path
    assert_one_line_error(_run(tmp_path, "ledger", "verify", "--request", deep, deep), 3)


def test_ledger_issue_of_deeply_nested_claims_is_an_error_not_a_crash(
    corpus: dict[str, Hostile], tmp_path: Path
) -> None:
    deep = corpus["deep-objects"].path
    result = _run(tmp_path, "ledger", "--as", "cpr", "issue", "--type", "urn:person",
                  "--claims", deep, "--holder-jwk", deep, "--out", tmp_path / "out.json")
    assert_one_line_error(result, 1)


@pytest.mark.parametrize("name", ["deep-arrays", "deep-unclosed"])
def test_wallet_import_of_a_deeply_nested_file_is_an_error_not_a_crash(
    corpus: dict[str, Hostile], name: str, tmp_path: Path
) -> None:
    assert_one_line_error(_run(tmp_path, "wallet", "import", corpus[name].path), 1)


def test_wallet_present_of_a_deeply_nested_request_is_an_error_not_a_crash(
    corpus: dict[str, Hostile], tmp_path: Path
) -> None:
    result = _run(tmp_path, "wallet", "present", "--request", corpus["deep-arrays"].path,
                  "--out", tmp_path / "p.json", "--yes")
    assert_one_line_error(result, 1)


SDK_SCRIPT = textwrap.dedent(
    """
    import base64, sys
    import py_ecc  # noqa: F401 (what the Ethereum libraries import: recursion limit 100,000)
    from pathlib import Path
    from ledger import untrusted_json
    from ledger.agency.packages import CredentialPackage, PresentationPackage
    from ledger.agency.request import PresentationRequest
    from ledger.chain.keystore import keystore_address
    from ledger.errors import LedgerError
    from ledger.sdjwt import SigningKey, verify_credential
    from ledger.sdjwt.disclosures import parse_disclosures

    assert sys.getrecursionlimit() >= 100_000
    key = SigningKey.generate()
    for path in sys.argv[1:]:
        data = Path(path).read_bytes()
        b64 = base64.urlsafe_b64encode(data).rstrip(b"=").decode()
        calls = [
            lambda: untrusted_json.loads(data),
            lambda: CredentialPackage.from_json(data.decode()),
            lambda: PresentationPackage.from_json(data.decode()),
            lambda: PresentationRequest.from_json(data),
            lambda: keystore_address(Path(path)),
            lambda: parse_disclosures([b64]),
            lambda: verify_credential("eyJhbGciOiJFUzI1NiJ9." + b64 + ".c2ln~",
                                      issuer_key_resolver=key.public_key,
                                      expected_holder_jwk=key.public_jwk),
        ]
        for call in calls:
            try:
                call()
            except LedgerError as exc:
                print(type(exc).__name__)
    """
)


def test_sdk_parsers_raise_on_deep_nesting_in_a_process_that_imported_py_ecc(
    corpus: dict[str, Hostile], tmp_path: Path
) -> None:
    paths = [str(corpus[n].path) for n in ("deep-arrays", "deep-objects", "deep-unclosed")]
    result = subprocess.run([sys.executable, "-c", SDK_SCRIPT, *paths], capture_output=True,
                            text=True, timeout=120, check=False)
    assert (result.returncode, result.stderr) == (0, "")
    assert len(result.stdout.splitlines()) == 3 * 7
