"""A hung node (SIGSTOP) makes every chain call fail within its timeout, naming the node.

A stopped anvil still completes TCP handshakes (the kernel does), so a client connects, sends,
and then waits for an answer that never comes. Each transport must give up after the RPC
timeout with `RpcTimeout`, whose message names the URL and says what to do. The only timing
assertion is a correctness bound: an error, in well under 3x the timeout.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ledger.chain.client import CheckRequest, LedgerChain
from ledger.chain.deploy import Deployment, deploy_suite
from ledger.chain.devnet import Devnet
from ledger.chain.lens_pipe import LensPipe
from ledger.chain.rpc import DEFAULT_RPC_TIMEOUT, Rpc
from ledger.errors import ConfigError, RpcTimeout
from ledger.network import resolve_network

TIMEOUT = 1.0
BOUND = 3 * TIMEOUT


@dataclass(frozen=True)
class HungNode:
    url: str
    deployment: Deployment
    deployment_file: Path


@pytest.fixture(scope="module")
def hung(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HungNode]:
    """A dedicated anvil with the suite deployed, then stopped with SIGSTOP (SIGCONT and a
    normal stop afterwards)."""
    with Devnet(die_with_parent=True) as net:
        owner = net.dev_accounts[0]
        with Rpc(net.rpc_url) as rpc:
            deployment = deploy_suite(rpc, owner, council_members=[owner.address], threshold=1)
        path = tmp_path_factory.mktemp("hung") / "deployment.json"
        deployment.save(path)
        assert net.pid is not None
        os.kill(net.pid, signal.SIGSTOP)
        _wait_stopped(net.pid)
        try:
            yield HungNode(net.rpc_url, deployment, path)
        finally:
            os.kill(net.pid, signal.SIGCONT)


def _wait_stopped(pid: int) -> None:
    """Wait until `pid` is stopped (state T in /proc; Linux only, elsewhere trusted): the premise
    of every test here. A pid that is not the node answering on the URL (say it exited and
    another node answers there) fails here instead of as a call that returned."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return
    deadline = time.monotonic() + 5
    while (state := stat.read_text().rsplit(")", 1)[1].split()[0]) != "T":
        assert time.monotonic() < deadline, f"anvil (pid {pid}) is in state {state}, not stopped"
        time.sleep(0.01)


def fails_in_time(call: Callable[[], Any]) -> RpcTimeout:
    started = time.monotonic()
    with pytest.raises(RpcTimeout) as raised:
        call()
    assert time.monotonic() - started < BOUND
    return raised.value


def says_what_to_do(message: str, url: str) -> None:
    assert f"JSON-RPC endpoint {url} did not answer within 1 s" in message
    assert "LEDGER_RPC_TIMEOUT" in message and "--rpc-timeout" in message


def test_an_sdk_read_on_a_hung_node_fails_within_the_timeout(hung: HungNode) -> None:
    chain = LedgerChain(Rpc(hung.url, timeout=TIMEOUT), hung.deployment)
    error = fails_in_time(lambda: chain.agency(hung.deployment.address("Council")))
    assert (error.url, error.timeout) == (hung.url, TIMEOUT)
    says_what_to_do(str(error), hung.url)


def test_the_verifiers_lens_pipe_gives_up_within_the_timeout(hung: HungNode) -> None:
    chain = LedgerChain(Rpc(hung.url, timeout=TIMEOUT), hung.deployment)
    pipe = LensPipe(chain.lens)  # its timeout is the Rpc's
    request = CheckRequest(digest=b"\1" * 32, kid=b"\2" * 32, list_id=1, status_index=0)
    try:
        assert pipe.send(request)
        says_what_to_do(str(fails_in_time(pipe.receive)), hung.url)
    finally:
        pipe.close()


def test_web3_on_the_same_endpoint_has_the_same_timeout(hung: HungNode) -> None:
    w3 = Rpc(hung.url, timeout=TIMEOUT).web3()
    started = time.monotonic()
    with pytest.raises(Exception, match=r"(?i)timed out"):
        w3.eth.get_block_number()
    assert time.monotonic() - started < BOUND


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_cli_command_on_a_hung_node_fails_within_the_timeout(
    hung: HungNode, tmp_path: Path, how: str
) -> None:
    from ledger.cli.ledger_cli import cli

    env = {"LEDGER_HOME": str(tmp_path), "LEDGER_DEPLOYMENT": str(hung.deployment_file)}
    args = ["--rpc", hung.url, "status"]
    if how == "option":
        args = ["--rpc-timeout", "1", *args]
    else:
        env["LEDGER_RPC_TIMEOUT"] = "1"
    started = time.monotonic()
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert time.monotonic() - started < BOUND
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    says_what_to_do(result.stderr, hung.url)


def test_a_wallet_command_on_a_hung_node_fails_within_the_timeout(
    hung: HungNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.agency.packages import AnchorEvidence, CredentialPackage, issuer_did, status_uri
    from ledger.cli import wallet_cli
    from ledger.cli._common import WorkFactors
    from ledger.sdjwt import SigningKey, issue_sd_jwt_vc
    from ledger.wallet import KdfParams

    cheap = WorkFactors(wallet=KdfParams(memory_kib=1024, iterations=1, lanes=1))
    agency, chain_id = hung.deployment.address("Council"), hung.deployment.chain_id
    credential = issue_sd_jwt_vc(
        {"given_name": "Karen"},
        signing_key=SigningKey.generate(),
        issuer=issuer_did(chain_id, agency),
        vct="https://credentials.example.dk/person/v1",
        holder_jwk=SigningKey.generate().public_jwk,
        status_idx=1,
        status_uri=status_uri(hung.deployment.address("StatusRegistry"), chain_id, agency, 1),
    )
    package = tmp_path / "credential.json"
    package.write_text(
        CredentialPackage(credential.compact, AnchorEvidence(), 1, chain_id).to_json()
    )
    ledger_home = tmp_path / "ledger"
    hung.deployment.save(ledger_home / "deployment.json")
    base = ["--home", str(tmp_path / "wallet"), "--ledger-home", str(ledger_home)]
    env = {"WALLET_PASSPHRASE": "correct horse battery staple"}
    runner = CliRunner()
    assert runner.invoke(wallet_cli.cli, [*base, "init"], env=env, obj=cheap).exit_code == 0
    args = [*base, "--rpc", hung.url, "--rpc-timeout", "1", "import", str(package)]
    started = time.monotonic()
    result = runner.invoke(wallet_cli.cli, args, env=env, catch_exceptions=False)
    assert time.monotonic() - started < BOUND
    assert result.exit_code == 1
    says_what_to_do(result.stderr, hung.url)


def test_the_timeout_comes_from_the_option_the_environment_or_the_network_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGER_RPC_TIMEOUT", raising=False)
    url = "http://127.0.0.1:1"
    assert resolve_network(tmp_path, rpc_url=url).rpc_timeout == DEFAULT_RPC_TIMEOUT
    assert DEFAULT_RPC_TIMEOUT <= 10
    (tmp_path / "network.json").write_text(json.dumps({"rpc_url": url, "rpc_timeout": 2.5}))
    assert resolve_network(tmp_path).rpc_timeout == 2.5
    monkeypatch.setenv("LEDGER_RPC_TIMEOUT", "4")
    assert resolve_network(tmp_path).rpc_timeout == 4.0
    assert resolve_network(tmp_path, rpc_timeout=0.5).rpc_timeout == 0.5
    monkeypatch.setenv("LEDGER_RPC_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="LEDGER_RPC_TIMEOUT"):
        resolve_network(tmp_path)
