"""The `wallet` CLI, run in-process with click's CliRunner: exact output and exit codes."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from world import (
    CHEAP_WORK,
    PASSPHRASE,
    PURPOSE,
    WalletWorld,
    make_wallet,
)

from ledger.agency.packages import CredentialPackage, PresentationPackage
from ledger.agency.request import PresentationRequest
from ledger.cli.wallet_cli import cli
from ledger.wallet.wallet import Wallet

BACKUP_PASSPHRASE = "backup passphrase for the drawer"


def _date(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


@pytest.fixture(autouse=True)
def _cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WALLET_HOME", "LEDGER_RPC", "LEDGER_DEPLOYMENT", "LEDGER_POA"):
        monkeypatch.delenv(name, raising=False)


class Cli:
    """Runs `wallet --home HOME --rpc URL --ledger-home LH ...` in-process."""

    def __init__(self, home: Path, rpc_url: str, ledger_home: Path) -> None:
        self.home = home
        self.base = ["--home", str(home), "--rpc", rpc_url, "--ledger-home", str(ledger_home)]
        self.env = {"WALLET_PASSPHRASE": PASSPHRASE, "WALLET_BACKUP_PASSPHRASE": BACKUP_PASSPHRASE}

    def __call__(self, *args: str, input: str | None = None, **env: str | None) -> Result:
        return CliRunner().invoke(
            cli, [*self.base, *args], input=input, env={**self.env, **env}, obj=CHEAP_WORK
        )


@pytest.fixture
def run(tmp_path: Path, world: WalletWorld) -> Cli:
    ledger_home = tmp_path / "ledger"
    world.deployment.save(ledger_home / "deployment.json")
    return Cli(tmp_path / "wallet", world.rpc.url, ledger_home)


def _holder_jwk(home: Path) -> dict[str, str]:
    with Wallet.open(home, PASSPHRASE) as wallet:
        return wallet.holder_jwk


def _imported(run: Cli, world: WalletWorld, tmp_path: Path) -> tuple[str, CredentialPackage]:
    """Init a wallet and import one credential through the CLI; return its id and package."""
    assert run("init").exit_code == 0
    package, _ = world.issue(_holder_jwk(run.home), exp=4_000_000_000)
    path = tmp_path / "credential.json"
    path.write_text(package.to_json())
    result = run("import", str(path))
    assert result.exit_code == 0, result.output
    cred_id = result.stdout.split()[2].rstrip(":")
    return cred_id, package


def _request_files(tmp_path: Path, request: PresentationRequest) -> tuple[Path, Path]:
    """Write `request` to request.json; return its path and the presentation.json path."""
    req_path, out = tmp_path / "request.json", tmp_path / "presentation.json"
    req_path.write_text(request.to_json())
    return req_path, out


def test_every_command_has_help_text() -> None:
    runner = CliRunner()
    assert cli.help
    for name, command in cli.commands.items():
        assert command.help, f"wallet {name} has no help text"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert command.help.split("\n")[0].split(":")[0] in " ".join(result.stdout.split())
    assert sorted(cli.commands) == [
        "access-log", "backup", "consent", "history", "holder-key", "import", "init", "list",
        "present", "restore", "show",
    ]  # fmt: skip


def test_init_creates_a_wallet_and_prints_its_holder_key(run: Cli) -> None:
    result = run("init")
    assert result.exit_code == 0
    with Wallet.open(run.home, PASSPHRASE) as wallet:
        kid = wallet.holder_key().kid
    assert result.stdout == f"Created wallet in {run.home}\nHolder key: {kid}\n"


def test_init_twice_is_an_error(run: Cli) -> None:
    run("init")
    result = run("init")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: a wallet already exists in {run.home}\n",
    )


def test_import_then_list_and_show(run: Cli, world: WalletWorld, tmp_path: Path) -> None:
    cred_id, _ = _imported(run, world, tmp_path)
    with Wallet.open(run.home, PASSPHRASE) as wallet:
        meta = wallet.get(cred_id).metadata
    issuer = world.base.issuer.address
    vct = world.base.vct
    listed = run("list")
    assert listed.exit_code == 0
    assert listed.stdout == (
        f"{cred_id}  {vct}  from CPR Office  issued {_date(meta['iat'])}"
        f"  expires {_date(4_000_000_000)}\n"
    )
    shown = run("show", cred_id)
    assert shown.exit_code == 0
    assert shown.stdout == "\n".join(
        [
            f"Credential {cred_id}",
            f"Type:     {vct} (type {world.base.type_id})",
            f"Issuer:   CPR Office ({issuer})",
            f"Issued:   {_date(meta['iat'])}",
            f"Expires:  {_date(4_000_000_000)}",
            "Status:   valid",
            "Claims:",
            "  given_name: Karen",
            "  family_name: Jensen",
            "  birthdate: 1990-01-01",
            "  cpr_number: 010190-1234",
            "  address: Nørregade 7, 1165 København K",
            "  nationality: DK",
            "  age_over_18: yes",
            "  municipality: København",
            "",
        ]
    )


def test_import_prints_what_was_imported(run: Cli, world: WalletWorld, tmp_path: Path) -> None:
    run("init")
    package, _ = world.issue(_holder_jwk(run.home))
    path = tmp_path / "c.json"
    path.write_text(package.to_json())
    result = run("import", str(path))
    with Wallet.open(run.home, PASSPHRASE) as wallet:
        (stored,) = wallet.list()
    assert result.stdout == (
        f"Imported credential {stored.cred_id}: {world.base.vct}\n"
        f"Issued by CPR Office ({world.base.issuer.address}) on {_date(stored.metadata['iat'])}\n"
    )


def test_import_of_a_revoked_credential_says_why(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    run("init")
    package, idx = world.issue(_holder_jwk(run.home))
    world.set_status(idx, 1)
    path = tmp_path / "c.json"
    path.write_text(package.to_json())
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: refused to import the credential: it has been revoked (CredentialRevoked: revoked"
    )
    assert run("list").stdout == "No credentials.\n"


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("junk.json", "{}", "not a ledger-credential/v1 document"),
        ("letter.txt", "Dear Karen,", "not JSON"),
    ],
    ids=["not-a-credential", "not-json"],
)
def test_import_of_a_file_that_is_not_a_credential_names_the_file_and_why(
    run: Cli, tmp_path: Path, name: str, content: str, why: str
) -> None:
    run("init")
    path = tmp_path / name
    path.write_text(content)
    result = run("import", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {path}: not a credential file ({why})\n",
    )


def test_present_with_yes_writes_exactly_the_requested_claims(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    cred_id, _ = _imported(run, world, tmp_path)
    request = world.request()
    req_path, out = _request_files(tmp_path, request)
    result = run("present", "--request", str(req_path), "--out", str(out), "--yes")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Municipality ({world.base.verifier.address}) asks for:\n"
        "  age_over_18: yes\n"
        "  municipality: København\n"
        f"Purpose: {PURPOSE}\n"
        f"From credential {cred_id} ({world.base.vct})\n"
        f"Wrote presentation to {out}\n"
    )
    package = PresentationPackage.from_json(out.read_text())
    names = set()
    for part in package.presentation.split("~")[1:-1]:
        names.add(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))[1])
    assert names == {"age_over_18", "municipality"}


def test_present_asks_for_consent_and_declining_discloses_nothing(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    _imported(run, world, tmp_path)
    req_path, out = _request_files(tmp_path, world.request())
    result = run("present", "--request", str(req_path), "--out", str(out), input="n\n")
    assert result.exit_code == 1
    assert "Disclose 2 claims to Municipality? [y/N]: n\n" in result.stdout
    assert result.stderr == "Error: consent declined: nothing was disclosed\n"
    assert not out.exists()
    assert run("history").stdout == "Nothing disclosed yet.\n"


def test_present_with_consent_records_history(run: Cli, world: WalletWorld, tmp_path: Path) -> None:
    cred_id, _ = _imported(run, world, tmp_path)
    req_path, out = _request_files(tmp_path, world.request())
    assert run("present", "--request", str(req_path), "--out", str(out), input="y\n").exit_code == 0
    with Wallet.open(run.home, PASSPHRASE) as wallet:
        (entry,) = wallet.history()
    assert run("history").stdout == (
        f"{_date(entry.at)}  Municipality ({world.base.verifier.address})  {PURPOSE!r}: "
        f"age_over_18, municipality  [credential {cred_id}]\n"
    )


def test_present_refuses_an_unregistered_verifier(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    _imported(run, world, tmp_path)
    request = world.request(claims=["cpr_number"], account=world.unregistered)
    req_path, out = _request_files(tmp_path, request)
    result = run("present", "--request", str(req_path), "--out", str(out), "--yes")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: refused: Tax Office ({world.unregistered.address}) is not registered to ask for "
        f"credentials of type {world.base.vct} for the purpose {PURPOSE!r}\n"
    )
    assert not out.exists()


def test_present_allow_unregistered_warns_loudly(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    _imported(run, world, tmp_path)
    request = world.request(claims=["cpr_number"], account=world.unregistered)
    req_path, out = _request_files(tmp_path, request)
    result = run(
        "present", "--request", str(req_path), "--out", str(out), "--yes", "--allow-unregistered"
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("WARNING: this verifier is NOT registered on the ledger")
    assert "  cpr_number: 010190-1234\n" in result.stdout


def test_present_of_an_expired_request_is_an_error(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    _imported(run, world, tmp_path)
    request = world.request(ttl=60, now=int(time.time()) - 3600)
    req_path, out = _request_files(tmp_path, request)
    result = run("present", "--request", str(req_path), "--out", str(out), "--yes")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: request expired at {_date(request.expires_at)} (now ")


def test_present_qr_prints_the_presentation_as_a_qr_code(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    _imported(run, world, tmp_path)
    req_path, out = _request_files(tmp_path, world.request())
    result = run("present", "--request", str(req_path), "--out", str(out), "--yes", "--qr")
    assert result.exit_code == 0, result.output
    qr = result.stdout.split(f"Wrote presentation to {out}\n")[1]
    assert len(qr.splitlines()) > 20
    assert set(qr) <= set("█▀▄ \n\x1b[0m;1234567890")


def test_backup_and_restore_on_a_fresh_home(run: Cli, world: WalletWorld, tmp_path: Path) -> None:
    cred_id, _ = _imported(run, world, tmp_path)
    backup = tmp_path / "wallet.backup"
    result = run("backup", str(backup))
    assert result.stdout == f"Backup written to {backup}: 1 key, 1 credential, 0 history entries\n"
    fresh = Cli(tmp_path / "fresh", *run.base[3::2])
    result = fresh("restore", str(backup), WALLET_PASSPHRASE="a new passphrase")
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"Restored wallet in {fresh.home}: 1 credential, 0 history entries\n")
    listed = fresh("list", WALLET_PASSPHRASE="a new passphrase")
    assert listed.stdout.startswith(f"{cred_id}  ")
    with Wallet.open(fresh.home, "a new passphrase") as w:
        assert w.holder_jwk == _holder_jwk(run.home)


def test_wrong_passphrase_gives_its_specific_error(run: Cli) -> None:
    run("init")
    result = run("list", WALLET_PASSPHRASE="not the passphrase")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: wrong passphrase for the wallet in {run.home}\n",
    )


def test_wrong_backup_passphrase_gives_its_specific_error(run: Cli, tmp_path: Path) -> None:
    run("init")
    backup = tmp_path / "b"
    run("backup", str(backup))
    fresh = Cli(tmp_path / "fresh", *run.base[3::2])
    result = fresh("restore", str(backup), WALLET_BACKUP_PASSPHRASE="wrong")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: wrong passphrase for backup {backup} (or its header was altered)\n",
    )
    assert not (tmp_path / "fresh").exists()


def test_missing_passphrase_without_a_terminal_is_an_error(run: Cli) -> None:
    result = run("list", WALLET_PASSPHRASE=None)
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: no passphrase: set WALLET_PASSPHRASE or run in a terminal to be prompted\n",
    )


def test_missing_wallet_is_an_error(run: Cli) -> None:
    result = run("list")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: no wallet in {run.home} (run `wallet init` first)\n",
    )


def test_list_json_for_scripts(run: Cli, world: WalletWorld, tmp_path: Path) -> None:
    cred_id, _ = _imported(run, world, tmp_path)
    rows = json.loads(run("--json", "list").stdout)
    assert [(r["id"], r["issuer_name"], r["exp"]) for r in rows] == [
        (cred_id, "CPR Office", 4_000_000_000)
    ]


def test_list_does_not_import_web3(tmp_path: Path) -> None:
    home = tmp_path / "wallet"
    make_wallet(home).close()
    code = (
        "import sys\n"
        "from ledger.cli.wallet_cli import main\n"
        "try:\n"
        "    main(['list'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('web3', 'eth_account', 'eth_utils', 'rich'))\n"
        "print(heavy)\n"
    )
    env = {**os.environ, "WALLET_HOME": str(home), "WALLET_PASSPHRASE": PASSPHRASE}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout == "No credentials.\n[]\n"


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in cli.commands:
        assert f"  {name} " in result.stdout
    assert isinstance(cli, click.Group)


def test_show_offline_does_not_ask_the_ledger(run: Cli, world: WalletWorld, tmp_path: Path) -> None:
    cred_id, _ = _imported(run, world, tmp_path)
    result = run("--rpc", "http://127.0.0.1:9", "show", cred_id, "--offline")
    assert result.exit_code == 0, result.output
    assert "Status:   unknown\n" in result.stdout


def test_show_of_an_unknown_credential_is_an_error(run: Cli) -> None:
    run("init")
    result = run("show", "nope", "--offline")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: no credential 'nope' in the wallet (`wallet list` shows the ids)\n",
    )


def test_present_of_a_file_that_is_not_a_request_names_the_file(run: Cli, tmp_path: Path) -> None:
    run("init")
    req_path = tmp_path / "request.json"
    req_path.write_text("[]")
    result = run("present", "--request", str(req_path), "--out", str(tmp_path / "p.json"))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {req_path}: not a valid presentation request (request must be a JSON object)\n",
    )


def test_present_to_an_unwritable_path_fails_before_consent_and_records_nothing(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    _imported(run, world, tmp_path)
    req_path, out = tmp_path / "request.json", tmp_path / "missing-dir" / "presentation.json"
    req_path.write_text(world.request().to_json())
    result = run("present", "--request", str(req_path), "--out", str(out), "--yes")
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        f"Error: {out}: cannot write (No such file or directory)\n",
    )
    assert run("history").stdout == "Nothing disclosed yet.\n"


def test_present_json_asks_for_consent_on_stderr_and_prints_only_json(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    cred_id, _ = _imported(run, world, tmp_path)
    req_path, out = _request_files(tmp_path, world.request())
    result = run("--json", "present", "--request", str(req_path), "--out", str(out), input="y\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["credential_id"] == cred_id
    assert result.stderr.startswith(f"Municipality ({world.base.verifier.address}) asks for:\n")
    assert "Disclose 2 claims to Municipality? [y/N]: " in result.stderr


def test_present_json_with_qr_keeps_stdout_json(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    _imported(run, world, tmp_path)
    req_path, out = _request_files(tmp_path, world.request())
    result = run(
        "--json", "present", "--request", str(req_path), "--out", str(out), "--yes", "--qr"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["out"] == str(out)
    assert len(result.stderr.splitlines()) > 20
    assert set(result.stderr) <= set("█▀▄ \n")


def test_show_and_list_mark_an_expired_credential(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    run("init")
    exp = int(time.time()) - 10  # within the import's clock-skew allowance
    package, _ = world.issue(_holder_jwk(run.home), exp=exp)
    path = tmp_path / "c.json"
    path.write_text(package.to_json())
    cred_id = run("import", str(path)).stdout.split()[2].rstrip(":")
    assert f"  expires {_date(exp)} (expired)\n" in run("list").stdout
    assert f"Expires:  {_date(exp)} (expired)\nStatus:   valid\n" in run("show", cred_id).stdout


def test_show_without_the_ledger_points_to_offline(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    cred_id, _ = _imported(run, world, tmp_path)
    result = run("--rpc", "http://127.0.0.1:9", "show", cred_id)
    assert result.exit_code == 1
    assert result.stderr.endswith("; `wallet show --offline` works without it\n")


def test_show_lists_an_object_claim_member_by_member_in_registered_order(
    tmp_path: Path,
) -> None:
    from ledger.sdjwt import SigningKey, issue_sd_jwt_vc

    home = tmp_path / "wallet"
    with make_wallet(home) as wallet:
        compact = issue_sd_jwt_vc(
            {
                "nationalities": ["DK", "SE"],
                "address": {"municipality": "København", "street_address": "Nørregade 7"},
                "given_name": "Karen",
            },
            signing_key=SigningKey.generate(),
            issuer="did:example:cpr",
            vct="urn:person",
            holder_jwk=wallet.holder_jwk,
            status_idx=0,
            status_uri="urn:status",
        ).compact
        names = ["given_name", "address.street_address", "address.municipality", "nationalities"]
        wallet.store.put_credential("c1", compact, {"vct": "urn:person", "claim_names": names})
    result = CliRunner().invoke(
        cli, ["--home", str(home), "show", "--offline", "c1"], env={"WALLET_PASSPHRASE": PASSPHRASE}
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        "Claims:\n"
        "  given_name: Karen\n"
        "  address:\n"
        "    street_address: Nørregade 7\n"
        "    municipality: København\n"
        "  nationalities: DK, SE\n"
    )


def test_backup_to_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    make_wallet(tmp_path / "wallet").close()
    target = tmp_path / "missing-dir" / "wallet.backup"
    result = _offline(tmp_path / "wallet")("backup", str(target))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: cannot write backup {target}: No such file or directory\n",
    )


def test_init_where_no_home_can_be_made_is_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    home = blocker / "wallet"
    result = _offline(home)("init")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: cannot create a wallet in {home}: Not a directory\n",
    )


def test_restore_into_an_existing_wallet_names_the_force_option(tmp_path: Path) -> None:
    make_wallet(tmp_path / "wallet").close()
    run = _offline(tmp_path / "wallet")
    run("backup", str(tmp_path / "b"))
    result = run("restore", str(tmp_path / "b"))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: a wallet already exists in {tmp_path / 'wallet'}; restoring with --force "
        "replaces it (its credentials and history are then lost)\n",
    )


def test_restore_of_a_file_that_is_not_a_backup_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "credential.json"
    path.write_text("{}")
    result = _offline(tmp_path / "fresh")("restore", str(path))
    assert (result.exit_code, result.stderr) == (1, f"Error: {path}: not a wallet backup file\n")
    assert not (tmp_path / "fresh").exists()


def _offline(home: Path) -> Cli:
    """The CLI on `home` with a ledger nobody answers at (for commands that need none)."""
    return Cli(home, "http://127.0.0.1:9", home.parent / "no-ledger")
