"""Every entry point that reads a document, fed every hostile document of the corpus
(`tests/vectors/hostile/corpus.yaml`): the SDK raises its documented `LedgerError` (with the
parser's specific `JsonRejected` as the cause where the parser refused the text), and every
CLI command prints one short `Error: ...` line with its documented exit code. The deepest
documents also run through real processes in `test_hostile_subprocess.py`."""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _hostile import NAMES, Hostile, assert_one_line_error
from click.testing import CliRunner, Result
from eth_account import Account
from world import CHEAP_WORK

import ledger.errors as errors
from ledger.errors import (
    ConfigError,
    DevnetError,
    InputError,
    InvalidJwk,
    JsonRejected,
    KeystoreCorrupt,
    LedgerError,
    RequestMalformed,
    RpcError,
    VerificationError,
    WalletBackupInvalid,
    WalletStoreCorrupt,
)
from ledger.sdjwt import SigningKey

PASSPHRASE = "correct horse battery staple"
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
KID = SigningKey.generate().kid


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _text(data: bytes) -> str:
    # bytes that are not UTF-8 stay in the str as lone surrogates, as os.fsdecode would keep them
    return data.decode("utf-8", "surrogateescape")


def _expect(
    case: Hostile,
    cls: type[LedgerError] | tuple[type[LedgerError], ...],
    call: Callable[[], object],
) -> None:
    """`call()` raises `cls`; if the parser refuses the document, the parser's specific error
    is that exception or one of its causes."""
    with pytest.raises(LedgerError) as caught:
        call()
    exc: BaseException | None = caught.value
    assert isinstance(exc, cls), repr(exc)[:500]
    assert "\n" not in str(exc) and len(str(exc)) < 400, str(exc)[:500]
    if case.refused is not None and cls is not VerificationError:
        specific = getattr(errors, case.refused)
        chain = []
        while exc is not None:
            chain.append(exc)
            exc = exc.__cause__
        assert any(isinstance(e, specific) for e in chain), repr(chain)[:500]


# -- SDK entry points ----------------------------------------------------------------------


class _Reply(BaseHTTPRequestHandler):
    body = b""

    def do_POST(self) -> None:  # (http.server names it so)
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    """A JSON-RPC "node" that answers every request with `_Reply.body`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Reply)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", NAMES)
def test_package_and_request_parsers_refuse_hostile_documents(
    corpus: dict[str, Hostile], name: str
) -> None:
    from ledger.agency.packages import CredentialPackage, PresentationPackage
    from ledger.agency.request import PresentationRequest

    case = corpus[name]
    _expect(case, InputError, lambda: CredentialPackage.from_json(_text(case.data)))
    _expect(case, InputError, lambda: PresentationPackage.from_json(_text(case.data)))
    _expect(case, RequestMalformed, lambda: PresentationRequest.from_json(case.data))
    _expect(case, RequestMalformed, lambda: PresentationRequest.from_json(_text(case.data)))


@pytest.mark.parametrize("name", NAMES)
def test_sd_jwt_verification_refuses_hostile_headers_payloads_and_disclosures(
    corpus: dict[str, Hostile], name: str
) -> None:
    from ledger.sdjwt import verify_credential, verify_presentation

    case = corpus[name]
    key = SigningKey.generate()
    good_header = _b64(b'{"alg":"ES256","typ":"dc+sd-jwt","kid":"k"}')
    hostile = _b64(case.data)
    for compact in (f"{hostile}.{_b64(b'{}')}.c2ln~", f"{good_header}.{hostile}.c2ln~",
                    f"{good_header}.{_b64(b'{}')}.c2ln~{hostile}~"):
        _expect(case, VerificationError, lambda c=compact: verify_credential(  # type: ignore[misc]
            c, issuer_key_resolver=key.public_key, expected_holder_jwk=key.public_jwk))
        _expect(case, VerificationError, lambda c=compact: verify_presentation(  # type: ignore[misc]
            c + "x.y.z", issuer_key_resolver=key.public_key, expected_audience="a",
            expected_nonce="n"))


@pytest.mark.parametrize("name", NAMES)
def test_agency_files_with_hostile_content_are_refused(
    corpus: dict[str, Hostile], name: str, tmp_path: Path
) -> None:
    from ledger.agency.keys import AgencyKeyring
    from ledger.chain.deploy import Deployment
    from ledger.chain.devnet import devnet_status
    from ledger.chain.keystore import keystore_address, unlock_keystore
    from ledger.home import devnet_info_file, keystores_dir
    from ledger.network import network_file, saved_network

    case = corpus[name]
    keystore = tmp_path / "keystore.json"
    keystore.write_bytes(case.data)
    _expect(case, KeystoreCorrupt, lambda: keystore_address(keystore))
    _expect(case, KeystoreCorrupt, lambda: unlock_keystore(keystore, PASSPHRASE))
    _expect(case, ConfigError, lambda: Deployment.load(keystore))
    home = tmp_path / "home"
    home.mkdir()
    network_file(home).write_bytes(case.data)
    if case.refused is None:  # JSON, but not an object: as if there were no record
        assert saved_network(home) == {}
    else:
        _expect(case, ConfigError, lambda: saved_network(home))
    devnet_info_file(home).write_bytes(case.data)
    _expect(case, DevnetError, lambda: devnet_status(home))
    (keystores_dir(home) / f"cpr.signing.{KID}.jwk.json").write_bytes(case.data)
    _expect(case, (InputError, InvalidJwk), lambda: AgencyKeyring(home).public_jwk("cpr", KID))


@pytest.mark.parametrize("name", NAMES)
def test_wallet_backup_and_store_with_hostile_headers_are_refused(
    corpus: dict[str, Hostile], name: str, tmp_path: Path
) -> None:
    from ledger.wallet import WalletStore
    from ledger.wallet._crypto import KdfParams
    from ledger.wallet.backup import MAGIC, restore_backup

    case = corpus[name]
    cheap = KdfParams(memory_kib=8, iterations=1, lanes=1)
    backup = tmp_path / "backup"
    backup.write_bytes(MAGIC + case.data + b"\n")
    _expect(case, WalletBackupInvalid,
            lambda: restore_backup(backup, PASSPHRASE, tmp_path / "restored", PASSPHRASE,
                                   kdf_params=cheap))
    if name == "invalid-utf8":
        return  # the store keeps its KDF parameters as TEXT, which cannot hold these bytes
    home = tmp_path / "wallet"
    WalletStore.create(home, PASSPHRASE, kdf_params=cheap).close()
    _set_kdf_header(home, case.data)
    _expect(case, WalletStoreCorrupt, lambda: WalletStore.open(home, PASSPHRASE))


def _set_kdf_header(home: Path, data: bytes) -> None:
    """Write `data` where the store keeps its KDF parameters, with the header checksum to
    match (it is unkeyed: the key depends on these parameters, so they are read first)."""
    from ledger.wallet._db import header_sum, store_path

    kdf = _text(data)
    with sqlite3.connect(store_path(home)) as db:
        version, store_id, salt, canary, created_at = db.execute(
            "SELECT version, store_id, salt, canary, created_at FROM header").fetchone()
        checksum = header_sum(version, store_id, salt, kdf, canary, created_at)
        db.execute("UPDATE header SET kdf = ?, header_sum = ?", (kdf, checksum))
    db.close()


@pytest.mark.parametrize("name", NAMES)
def test_hostile_json_rpc_replies_are_rpc_errors(
    corpus: dict[str, Hostile], name: str, node: str
) -> None:
    from ledger.chain.rpc import Rpc

    case = corpus[name]
    _Reply.body = case.data
    if name == "fifty-megabytes":  # within the larger limit for replies (MAX_REPLY_BYTES)
        case = Hostile(name, None, case.path)
    with Rpc(node) as rpc:
        _expect(case, RpcError, lambda: rpc.call("eth_blockNumber", []))


def test_the_parser_error_family_reaches_callers_that_catch_input_errors() -> None:
    assert issubclass(JsonRejected, InputError)


# -- CLI entry points ----------------------------------------------------------------------


@pytest.fixture
def ledger_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("LEDGER_RPC", "LEDGER_ACCOUNT", "LEDGER_DEPLOYMENT", "LEDGER_POA", "WALLET_HOME"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "ledger-home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("WALLET_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("WALLET_BACKUP_PASSPHRASE", PASSPHRASE)
    return home


def _ledger(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    from ledger.cli.ledger_cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], env=env, obj=CHEAP_WORK)


def _wallet(home: Path, *args: str | Path) -> Result:
    from ledger.cli.wallet_cli import cli

    return CliRunner().invoke(
        cli,
        ["--home", str(home), "--rpc", "http://127.0.0.1:9", *[str(a) for a in args]],
        obj=CHEAP_WORK,
    )


def _valid_request(tmp_path: Path) -> Path:
    from ledger.agency.request import create_request

    request = create_request(
        verifier_account=Account.from_key(bytes(range(1, 33))), vct="urn:person", type_id=1,
        claims=["age_over_18"], purpose="Age check", audience=None, chain_id=31337,
        registry=REGISTRY, now=1_800_000_000)
    path = tmp_path / "request.json"
    path.write_text(request.to_json())
    return path


def _jwk_file(tmp_path: Path) -> Path:
    path = tmp_path / "holder.jwk"
    path.write_text(json.dumps(SigningKey.generate().public_jwk))
    return path


@pytest.mark.parametrize("name", NAMES)
def test_ledger_commands_print_one_error_line_for_hostile_files(
    corpus: dict[str, Hostile], name: str, ledger_home: Path, tmp_path: Path
) -> None:
    bad = corpus[name].path
    out = tmp_path / "out.json"
    jwk = _jwk_file(tmp_path)
    # `ledger verify`: a presentation that is not one is a rejection (1); a request file it
    # cannot read means no verdict (3), as its help says
    assert_one_line_error(_ledger("verify", "--request", _valid_request(tmp_path), bad), 1)
    assert_one_line_error(_ledger("verify", "--request", bad, bad), 3)
    assert_one_line_error(_ledger("--as", "cpr", "issue", "--type", "urn:person", "--claims",
                                  bad, "--holder-jwk", jwk, "--out", out))
    assert_one_line_error(_ledger("--as", "cpr", "issue", "--type", "urn:person", "--claims",
                                  jwk, "--holder-jwk", bad, "--out", out))
    assert_one_line_error(_ledger("--as", "cpr", "issue-many", "--type", "urn:person",
                                  "--input", bad, "--out", out))
    for verb in ("revoke", "suspend", "reinstate"):
        assert_one_line_error(_ledger("--as", "cpr", verb, bad))
    assert not out.exists()


@pytest.mark.parametrize("name", NAMES)
def test_ledger_home_files_with_hostile_content_give_one_error_line(
    corpus: dict[str, Hostile], name: str, ledger_home: Path
) -> None:
    from ledger.home import deployment_file, devnet_info_file, keystores_dir
    from ledger.network import network_file

    data = corpus[name].data
    (keystores_dir(ledger_home) / "evil.json").write_bytes(data)
    assert_one_line_error(_ledger("account", "list"))
    (keystores_dir(ledger_home) / "evil.json").unlink()
    devnet_info_file(ledger_home).write_bytes(data)
    assert_one_line_error(_ledger("devnet", "status"))
    network_file(ledger_home).write_bytes(data)
    assert_one_line_error(_ledger("status"))
    network_file(ledger_home).unlink()
    deployment_file(ledger_home).write_bytes(data)
    assert_one_line_error(_ledger("--rpc", "http://127.0.0.1:9", "status"))


@pytest.mark.parametrize("name", NAMES)
def test_wallet_commands_print_one_error_line_for_hostile_files(
    corpus: dict[str, Hostile], name: str, ledger_home: Path, tmp_path: Path
) -> None:
    from ledger.wallet.backup import MAGIC

    case = corpus[name]
    home = tmp_path / "wallet"
    assert_one_line_error(_wallet(home, "import", case.path))
    assert_one_line_error(_wallet(home, "present", "--request", case.path, "--out",
                                  tmp_path / "p.json", "--yes"))
    backup = tmp_path / "backup"
    backup.write_bytes(MAGIC + case.data + b"\n")
    assert_one_line_error(_wallet(home, "restore", backup))
    from ledger.wallet import WalletStore
    from ledger.wallet._crypto import KdfParams

    if name != "invalid-utf8":  # (see above)
        WalletStore.create(home, PASSPHRASE, kdf_params=KdfParams(memory_kib=8, iterations=1,
                                                                  lanes=1)).close()
        _set_kdf_header(home, case.data)
        assert_one_line_error(_wallet(home, "list"))
