"""`ledger` CLI: devnet, deploy, accounts, status, council and admin commands, bad inputs."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import click
import pytest
from click.testing import CliRunner, Result

from ledger.chain.deploy import SUITE, Deployment
from ledger.chain.devnet import Devnet, devnet_down, free_port
from ledger.chain.rpc import Rpc
from ledger.cli.ledger_cli import cli

#: `ledger ARGS...` run in-process (the `ledger` fixture of conftest.py).
Invoke = Callable[..., Result]

VCT = "https://credentials.example.dk/person/v1"


def _walk(
    command: click.Command, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, (*path, name)
            found += _walk(sub, (*path, name))
    return found


def test_every_command_and_subcommand_has_help_text(ledger: Invoke) -> None:
    walked = _walk(cli)
    paths = [path for path, _ in walked]
    assert ("council", "propose", "add-member") in paths
    assert {("devnet", "up"), ("keys", "rotate"), ("verify",), ("type", "register")} <= set(paths)
    for path, command in walked:
        assert command.help and command.help.strip(), f"ledger {' '.join(path)} has no help"
        result = ledger(*path, "--help")
        assert result.exit_code == 0, path
        assert result.stdout.startswith(f"Usage: ledger {' '.join(path)}".rstrip()), path


# ---------------------------------------------------------------------------------------------
# devnet (a real persistent anvil)
# ---------------------------------------------------------------------------------------------


def test_devnet_up_status_down_keeps_state_across_restart(ledger: Invoke, home: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        up = ledger("--json", "devnet", "up", "--port", str(port))
        assert up.exit_code == 0, up.output
        info = json.loads(up.stdout)
        assert (info["running"], info["started"], info["url"], info["chain_id"]) == (
            True, True, url, 31337,
        )
        assert info["ready_seconds"] > 0

        status = ledger("devnet", "status")
        assert status.exit_code == 0
        assert status.stdout == (
            "Devnet running.\n"
            f"  url       {url}\n"
            "  chain id  31337\n"
            f"  pid       {info['pid']}\n"
            "  block     0\n"
            f"  state     {home / 'devnet' / 'state.json'}\n"
        )
        again = ledger("devnet", "up", "--port", str(port))
        assert again.stdout.startswith("Devnet already running.\n")

        with Rpc(url) as rpc:
            rpc.call("evm_mine", [])
        down = ledger("devnet", "down")
        assert (down.exit_code, down.stdout) == (0, "Devnet stopped; state saved.\n")
        assert ledger("devnet", "status").stdout == "No devnet running.\n"
        assert ledger("devnet", "down").stdout == "No devnet was running.\n"

        restarted = ledger("--json", "devnet", "up", "--port", str(port))
        assert json.loads(restarted.stdout)["block"] == 1  # the mined block survived
    finally:
        devnet_down(home)
    assert ledger("devnet", "status").stdout == "No devnet running.\n"


def test_devnet_up_after_down_comes_back_on_the_port_the_deployment_recorded(
    ledger: Invoke, home: Path
) -> None:
    port = free_port()
    try:
        assert ledger("devnet", "up", "--port", str(port)).exit_code == 0
        _deploy(ledger)
        assert ledger("devnet", "down").exit_code == 0

        up = ledger("--json", "devnet", "up")  # no --port: the recorded one, not 8545
        assert up.exit_code == 0, up.output
        assert json.loads(up.stdout)["url"] == f"http://127.0.0.1:{port}"
        assert ledger("status").exit_code == 0
    finally:
        devnet_down(home)


def test_devnet_up_on_another_port_than_the_deployment_recorded_warns(
    ledger: Invoke, home: Path
) -> None:
    recorded, other = free_port(), free_port()
    (home / "network.json").parent.mkdir(parents=True, exist_ok=True)
    (home / "network.json").write_text(
        json.dumps({"rpc_url": f"http://127.0.0.1:{recorded}", "poa": False})
    )
    try:
        up = ledger("devnet", "up", "--port", str(other))
        assert up.exit_code == 0, up.output
        assert up.stderr == (
            f"Warning: the deployment of this home is recorded at port {recorded}; "
            f"commands will not find it on port {other}\n"
        )
    finally:
        devnet_down(home)


def test_devnet_commands_do_not_import_the_ethereum_stack(home: Path) -> None:
    # eth-account alone takes about a second to import; `ledger devnet up` must not pay for it.
    port = free_port()
    code = (
        "import sys\n"
        "from ledger.cli.ledger_cli import cli\n"
        f"for args in (['devnet', 'up', '--port', '{port}'], ['devnet', 'status'],"
        " ['devnet', 'down']):\n"
        "    cli.main(args, standalone_mode=False)\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'web3', 'eth_account', 'eth_keys', 'eth_abi', 'eth_utils', 'rich'})\n"
        "print(heavy)\n"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
    finally:
        devnet_down(home)
    assert out.stdout.splitlines()[-1] == "[]"
    assert "Devnet running." in out.stdout


# ---------------------------------------------------------------------------------------------
# deploy
# ---------------------------------------------------------------------------------------------


def _accounts(ledger: Invoke) -> dict[str, str]:
    listed = ledger("--json", "account", "list")
    assert listed.exit_code == 0, listed.output
    return {entry["name"]: entry["address"] for entry in json.loads(listed.stdout)}


def _deploy(ledger: Invoke, *extra: str) -> Deployment:
    result = ledger("--json", "deploy", "--council", "alice", "--council", "bob", *extra)
    assert result.exit_code == 0, result.output
    return Deployment.from_json(json.loads(result.stdout))


def test_deploy_seats_council_funds_it_and_records_the_deployment(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    result = ledger("deploy", "--council", "alice", "--council", "bob", "--threshold", "2")
    assert result.exit_code == 0, result.output
    dep = Deployment.load(home / "deployment.json")
    accounts = _accounts(ledger)
    assert sorted(accounts) == ["alice", "bob"]
    expected = [
        f"Created account alice ({accounts['alice']}).",
        "Funded alice with 100 ETH from anvil dev account 0.",
        f"Created account bob ({accounts['bob']}).",
        "Funded bob with 100 ETH from anvil dev account 0.",
        f"Deployed the suite on chain 31337 at block {dep.block_number}.",
        *[f"  {name.ljust(22)}  {dep.address(name)}" for name in SUITE],
        f"Council: alice ({accounts['alice']}), bob ({accounts['bob']}); threshold 2 of 2.",
        f"Recorded in {home / 'deployment.json'}.",
    ]
    assert result.stdout == "\n".join(expected) + "\n"
    assert json.loads((home / "network.json").read_text())["rpc_url"] == on_devnet
    with Rpc(on_devnet) as rpc:
        assert rpc.get_balance(accounts["alice"]) == 100 * 10**18


def test_deploy_refuses_to_overwrite_a_live_deployment_unless_forced(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    first = _deploy(ledger)
    refused = ledger("deploy", "--council", "alice", "--council", "bob")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: a live deployment is recorded in {home / 'deployment.json'} (chain 31337, "
        f"Council {first.address('Council')}); pass --force to replace it\n"
    )
    assert Deployment.load(home / "deployment.json") == first

    forced = ledger("--json", "deploy", "--council", "alice", "--council", "bob", "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["replacedLive"] is True
    second = Deployment.load(home / "deployment.json")
    assert second.address("Council") != first.address("Council")


def test_deploy_replaces_a_record_whose_chain_is_gone(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    first = _deploy(ledger)
    stale = dict(first.to_json(), chainId=999)
    (home / "deployment.json").write_text(json.dumps(stale))
    result = ledger("--json", "deploy", "--council", "alice", "--council", "bob")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["replacedLive"] is False


# ---------------------------------------------------------------------------------------------
# council and admin
# ---------------------------------------------------------------------------------------------


def test_council_flow_registers_type_admits_and_accredits_an_agency(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    _deploy(ledger, "--threshold", "2")
    assert ledger("account", "create", "cpr").exit_code == 0
    cpr = _accounts(ledger)["cpr"]

    proposed = ledger("--as", "alice", "type", "register", VCT, "--claims", "given_name,birthdate")
    assert (proposed.exit_code, proposed.stdout) == (
        0,
        f"Proposal 1 (register type {VCT}): 1 of 2 votes; needs 1 more "
        "(`ledger --as MEMBER council vote 1`).\n",
    )
    voted = ledger("--as", "bob", "council", "vote", "1")
    assert (voted.exit_code, voted.stdout) == (0, "Proposal 1: executed.\n")

    admit = ledger("--as", "alice", "--json", "agency", "admit", "cpr", "--name", "CPR Office")
    assert json.loads(admit.stdout) | {"tx": None} == {
        "proposal": 2,
        "description": f"admit agency CPR Office ({cpr})",
        "executed": False,
        "votes": 1,
        "threshold": 2,
        "missing_votes": 1,
        "execution_failed": None,
        "tx": None,
    }
    shown = ledger("council", "show", "2")
    assert shown.stdout.splitlines()[:3] == [
        "Proposal 2: open, needs 1 more",
        "  target    TrustRegistry",
        f"  call      admitAgency({cpr}, 'CPR Office', 0x{'00' * 32})",
    ]
    assert ledger("--as", "bob", "council", "vote", "2").stdout == "Proposal 2: executed.\n"

    accredit = ledger("--as", "alice", "agency", "accredit", "cpr", "--type", VCT,
                      "--until", "2100-01-01")
    assert accredit.stdout == (
        f"Proposal 3 (accredit {cpr} for type 1): 1 of 2 votes; needs 1 more "
        "(`ledger --as MEMBER council vote 3`).\n"
    )
    assert ledger("--as", "bob", "council", "vote", "3").exit_code == 0

    show = ledger("--json", "agency", "show", cpr)
    data = json.loads(show.stdout)
    assert (data["name"], data["status"]) == ("CPR Office", "active")
    assert [(a["type"], a["valid_until"], a["can_anchor_now"]) for a in data["accreditations"]] == [
        (VCT, 4102444800, True)
    ]

    suspend = ledger("--as", "alice", "agency", "suspend", "cpr")
    assert suspend.stdout.startswith(f"Proposal 4 (suspend agency {cpr}): 1 of 2 votes")
    ledger("--as", "bob", "council", "vote", "4")
    assert json.loads(ledger("--json", "agency", "show", "cpr").stdout)["status"] == "suspended"


def test_a_proposal_that_would_fail_now_is_proposed_with_a_warning(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    _deploy(ledger, "--threshold", "2")
    ledger("account", "create", "cpr")
    cpr = _accounts(ledger)["cpr"]
    first = ledger("--as", "alice", "agency", "admit", "cpr", "--name", "CPR Office")
    assert (first.exit_code, first.stderr) == (0, "")
    ledger("--as", "bob", "council", "vote", "1")

    again = ledger("--as", "alice", "agency", "admit", "cpr", "--name", "CPR Office")
    assert again.exit_code == 0
    assert again.stderr.startswith(
        "Warning: executed now, this proposal would fail: TrustRegistryAgencyExists: "
    )
    assert cpr.lower() in again.stderr.lower()
    assert again.stdout.startswith("Proposal 2 (admit agency CPR Office")
    # It depends on nothing that could change, so the vote that executes it fails as warned.
    voted = ledger("--as", "bob", "council", "vote", "2")
    assert voted.exit_code == 1 and "TrustRegistryAgencyExists" in voted.stderr


def test_council_execute_retries_a_proposal_whose_call_failed_once_the_cause_is_fixed(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    _deploy(ledger, "--threshold", "2")
    ledger("account", "create", "cpr")
    cpr = _accounts(ledger)["cpr"]
    ledger("--as", "alice", "type", "register", VCT, "--claims", "given_name")
    ledger("--as", "bob", "council", "vote", "1")
    # Accrediting an agency that is not admitted yet: the last vote counts, the call fails.
    ledger("--as", "alice", "agency", "accredit", "cpr", "--type", VCT)
    failure = (
        f"The agency was never admitted: TrustRegistryUnknownAgency(agency={cpr})"
    )
    voted = ledger("--as", "bob", "council", "vote", "2")
    assert (voted.exit_code, voted.stderr) == (1, f"Error: {failure}\n")
    assert voted.stdout == (
        f"Proposal 2: 2 of 2 votes, but its execution failed: {failure}. The votes stay and the "
        "proposal stays open: once the cause is fixed, `ledger --as MEMBER council execute 2`.\n"
    )
    shown = ledger("council", "show", "2")
    lines = shown.stdout.splitlines()
    assert lines[0] == "Proposal 2: executable (`ledger --as MEMBER council execute 2`)"
    assert lines[-1].startswith("  failed    in block ")
    assert lines[-1].endswith(f": {failure}")
    data = json.loads(ledger("--json", "council", "show", "2").stdout)
    assert (data["executed"], data["executable"], data["execution_failed"]) == (
        False, True, failure
    )
    again = ledger("--as", "alice", "council", "execute", "2")
    assert (again.exit_code, again.stdout, again.stderr) == (1, "", f"Error: {failure}\n")

    ledger("--as", "alice", "agency", "admit", "cpr", "--name", "CPR Office")
    ledger("--as", "bob", "council", "vote", "3")
    outsider = ledger("--as", "cpr", "council", "execute", "2")
    assert outsider.exit_code == 1 and "CouncilNotMember" in outsider.stderr
    executed = ledger("--as", "alice", "council", "execute", "2")
    assert (executed.exit_code, executed.stdout) == (0, "Proposal 2: executed.\n")
    assert ledger("council", "show", "2").stdout.startswith("Proposal 2: executed\n")
    done = ledger("--as", "bob", "council", "execute", "2")
    assert (done.exit_code, done.stderr) == (
        1, "Error: The proposal already executed: CouncilProposalAlreadyExecuted(id=2)\n"
    )


def test_verifier_register_rejects_claims_outside_the_type(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    _deploy(ledger, "--threshold", "1")
    ledger("--as", "alice", "type", "register", VCT, "--claims", "given_name,birthdate")
    result = ledger("--as", "alice", "verifier", "register", "bob", "--type", VCT,
                    "--claims", "cpr_number", "--purpose", "Age check")
    assert (result.exit_code, result.stderr) == (
        1, "Error: claim 'cpr_number' is not one of the type's claims\n"
    )
    bob = _accounts(ledger)["bob"]
    not_agency = ledger("--as", "alice", "verifier", "register", "bob", "--type", VCT,
                        "--claims", "birthdate", "--purpose", "Age check")
    assert (not_agency.exit_code, not_agency.stderr) == (
        1,
        "Error: The verifier is not an Active agency: "
        f"VerifierRegistryAgencyNotActive(verifier={bob}, status=0)\n",
    )


def test_status_shows_network_council_and_acting_account(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    dep = _deploy(ledger, "--threshold", "1")
    result = ledger("--as", "alice", "--json", "status")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["chain_id"] == 31337
    assert data["deployment"]["addresses"] == dict(dep.addresses)
    assert [m["name"] for m in data["council"]["members"]] == ["alice", "bob"]
    assert data["council"]["threshold"] == 1
    assert data["account"]["name"] == "alice"
    assert data["account"]["council_member"] is True
    assert data["account"]["agency_status"] == "none"
    text = ledger("--as", "alice", "status").stdout.splitlines()
    assert text[0] == f"Home        {home}"
    assert text[-1].startswith(f"Account     alice {data['account']['address']}, ")
    assert text[-1].endswith(", council member, not an agency")
    assert data["deployment"]["outdated_contracts"] == [] and result.stderr == ""


def test_deploy_refuses_a_chain_without_p256verify(ledger: Invoke, home: Path) -> None:
    with Devnet(die_with_parent=True, hardfork="prague") as net:
        result = ledger("--rpc", net.rpc_url, "deploy", "--council", "alice")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: chain 31337 has no P256VERIFY precompile (EIP-7951, Osaka hardfork): its "
        "KeyRegistry can register no signing key\n"
    )
    assert not (home / "deployment.json").exists()


def test_deployment_of_other_contract_code_is_flagged(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    _deploy(ledger, "--threshold", "1")
    record = Path(json.loads(ledger("--json", "status").stdout)["deployment"]["record"])
    raw = json.loads(record.read_text())
    raw["artifactDigests"]["KeyRegistry"] = "0x" + "00" * 32  # as an older version recorded it
    record.write_text(json.dumps(raw))
    result = ledger("--json", "status")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deployment"]["outdated_contracts"] == ["KeyRegistry"]
    assert result.stderr == (
        "Warning: the recorded deployment runs other code than this version of ledger for "
        "KeyRegistry; calls to it may revert without a reason. Redeploy with `ledger deploy "
        "--force` (the new contracts start empty)\n"
    )
    text = ledger("status").stdout
    assert "Contracts   outdated: the recorded deployment runs other code" in text


# ---------------------------------------------------------------------------------------------
# bad inputs
# ---------------------------------------------------------------------------------------------


def test_unknown_account_is_an_error(ledger: Invoke, home: Path, on_devnet: str) -> None:
    _deploy(ledger)
    result = ledger("--as", "nobody", "agency", "admit", "bob", "--name", "X")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: no agency account 'nobody' in {home / 'keystores'}\n"


def test_wrong_passphrase_is_an_error(ledger: Invoke, home: Path, on_devnet: str) -> None:
    _deploy(ledger)
    result = ledger("--as", "alice", "agency", "admit", "bob", "--name", "X",
                    env={"LEDGER_PASSPHRASE_ALICE": "not it"})
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: wrong passphrase for keystore {home / 'keystores' / 'alice.json'}\n"
    )


def test_keys_create_with_a_wrong_passphrase_creates_no_key(ledger: Invoke, home: Path) -> None:
    assert ledger("account", "create", "cpr").exit_code == 0
    result = ledger("--as", "cpr", "keys", "create", env={"LEDGER_PASSPHRASE_CPR": "not it"})
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: wrong passphrase for keystore {home / 'keystores' / 'cpr.json'}\n"
    )
    assert ledger("--as", "cpr", "keys", "show").stdout == "cpr has no signing keys.\n"


def test_keys_show_of_an_unknown_account_is_an_error(ledger: Invoke, home: Path) -> None:
    result = ledger("--as", "nobody", "keys", "show")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: no agency account 'nobody' in {home / 'keystores'}\n"


def test_missing_passphrase_without_terminal_is_an_error(ledger: Invoke, home: Path) -> None:
    result = ledger("account", "create", "carol", env={"LEDGER_PASSPHRASE": ""})
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no passphrase: set LEDGER_PASSPHRASE or run in a terminal to be prompted\n"
    )


def test_account_name_taken_or_invalid_is_an_error(ledger: Invoke, home: Path) -> None:
    assert ledger("account", "create", "carol").exit_code == 0
    taken = ledger("account", "create", "carol")
    assert (taken.exit_code, taken.stderr) == (1, "Error: agency account 'carol' already exists\n")
    bad = ledger("account", "create", "../x")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: agency key name '../x': ")


def test_keystores_have_the_default_work_factor_unless_a_caller_passes_less(
    ledger: Invoke, home: Path
) -> None:
    account = ledger("account", "create", "cpr")  # the tests' cheap work factors
    assert (account.exit_code, account.stderr) == (0, "")
    assert account.stdout.startswith("Created account cpr: ")
    key = ledger("--as", "cpr", "keys", "create")
    assert (key.exit_code, key.stderr) == (0, "")
    assert key.stdout.startswith("Created signing key ")
    strong = CliRunner().invoke(cli, ["account", "create", "muni"])  # no obj: the defaults
    assert (strong.exit_code, strong.stderr) == (0, "")

    def scrypt_n(name: str) -> int:
        keystore = json.loads((home / "keystores" / f"{name}.json").read_text())
        return int(keystore["crypto"]["kdfparams"]["n"])

    assert scrypt_n("cpr") == 2**4 and scrypt_n("muni") >= 2**17


def test_no_chain_configured_is_an_error(ledger: Invoke, home: Path) -> None:
    result = ledger("status")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no chain configured: pass --rpc, set LEDGER_RPC, or start one with "
        "`ledger devnet up` and `ledger deploy`\n"
    )


def test_unreachable_rpc_is_an_error(ledger: Invoke, home: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = ledger("--rpc", url, "deploy")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: JSON-RPC endpoint {url} is unavailable: nothing is listening there; "
        "is the node (or `ledger devnet up`) running? (ConnectionRefusedError: "
    )


def test_missing_or_corrupt_deployment_record_is_an_error(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    missing = ledger("status")
    assert missing.stderr == (
        f"Error: no deployment record at {home / 'deployment.json'} (run `ledger deploy`)\n"
    )
    (home / "deployment.json").write_text("{not json")
    corrupt = ledger("status")
    assert corrupt.exit_code == 1
    assert corrupt.stderr.startswith(
        f"Error: cannot read deployment record {home / 'deployment.json'}: "
    )


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01"])
def test_bad_time_option_is_a_usage_error(ledger: Invoke, home: Path, value: str) -> None:
    result = ledger("agency", "accredit", "0x" + "11" * 20, "--type", VCT, "--until", value)
    assert result.exit_code == 2
    assert "is neither Unix seconds nor an ISO 8601 date" in result.stderr


def test_deploy_seats_the_acting_account_when_no_council_is_named(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    result = ledger("--as", "ops", "--json", "deploy")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(m["name"], m["created"], m["funded"]) for m in data["council"]] == [
        ("ops", True, True)
    ]
    assert data["threshold"] == 1
    assert data["deployer"] != data["council"][0]["address"]  # anvil's dev account paid


class _NotAnvil(BaseHTTPRequestHandler):
    """A JSON-RPC node that is not anvil (it only knows its name and chain id)."""

    answers: ClassVar[dict[str, str]] = {
        "web3_clientVersion": "Geth/v1.14.0",
        "eth_chainId": "0x539",
    }

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        reply = {"jsonrpc": "2.0", "id": request["id"], "result": self.answers[request["method"]]}
        body = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def not_anvil() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _NotAnvil)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_funding_and_implicit_deployer_are_refused_off_devnet(
    ledger: Invoke, home: Path, not_anvil: str
) -> None:
    fund = ledger("--rpc", not_anvil, "account", "create", "carol", "--fund")
    assert (fund.exit_code, fund.stderr) == (
        1, "Error: --fund works on an anvil devnet only; fund the account yourself\n"
    )
    assert _accounts(ledger) == {}  # nothing was created
    deploy = ledger("--rpc", not_anvil, "deploy")
    assert (deploy.exit_code, deploy.stderr) == (
        1, "Error: no acting account: pass --as NAME or set LEDGER_ACCOUNT\n"
    )


@pytest.mark.parametrize("kid", ["-h" + "A" * 41, "-" + "x0_-" * 10 + "ab", "--" + "h" * 41])
def test_a_kid_starting_with_a_dash_is_an_argument_not_an_option(
    ledger: Invoke, home: Path, kid: str
) -> None:
    # Base64url thumbprints start with "-" one time in 64.
    ledger("account", "create", "cpr")
    shown = ledger("--as", "cpr", "keys", "show", kid)
    assert shown.exit_code == 1
    assert "No such option" not in shown.stderr and "Usage:" not in shown.stderr
    assert kid in shown.stderr


def test_a_kid_argument_leaves_the_other_options_of_its_command_alone(
    ledger: Invoke, home: Path
) -> None:
    ledger("account", "create", "cpr")
    kid = "-h" + "A" * 41
    refused = ledger("--as", "cpr", "keys", "register", kid, "--until", "not-a-time")
    assert refused.exit_code == 2 and "--until" in refused.stderr


def test_json_after_the_command_is_the_same_as_before_it(ledger: Invoke, home: Path) -> None:
    ledger("account", "create", "cpr")
    before = ledger("--json", "account", "list")
    after = ledger("account", "list", "--json")
    assert after.exit_code == 0 and json.loads(after.stdout) == json.loads(before.stdout)
    nested = ledger("--as", "cpr", "keys", "show", "--json")
    assert nested.exit_code == 0 and isinstance(json.loads(nested.stdout), dict)


def test_every_leaf_command_accepts_json(ledger: Invoke) -> None:
    from ledger.cli.ledger_cli import COMMANDS, cli

    ctx = click.Context(cli)
    leaves = []
    for name in COMMANDS:
        stack = [cli.get_command(ctx, name)]
        while stack:
            command = stack.pop()
            if isinstance(command, click.Group):
                stack.extend(command.commands.values())
            elif command is not None:
                leaves.append(command)
    assert leaves
    assert [c.name for c in leaves if not any("--json" in p.opts for p in c.params)] == []

