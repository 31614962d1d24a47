"""Every command and code example in README.md runs, in document order, and does what it says.

The README's ```console blocks hold `$ `-prefixed commands (`ledger`, `wallet`, `export`) and,
after some of them, lines of the output a reader will see. Its ```python blocks are SDK examples.
This test runs them all in order in a scratch directory, against real anvil instances:

- `ledger ...` and `wallet ...` run in-process through click's CliRunner; a command must exit 0,
  unless the README shows `Error: ...` after it (then it must fail with exit code 1), and every
  output line the README shows must appear in what the command printed.
- `export NAME=VALUE` sets the environment for what follows.
- python blocks are executed in one shared namespace.

What the test has to adapt, and why: `ledger devnet up` gets a free `--port` (8545 may be taken
on a test machine); "…" in a README output line matches any text (block numbers differ between
runs); the README's example credential id is replaced by the id the wallet really gave the
credential; in the "existing network" section the session anvil stands in for the
consortium's node and the new operator account is funded with `anvil_setBalance`, which the
README leaves to the operator; keystores and the wallet use a cheap KDF to keep the test fast.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from world import CHEAP_WORK

from ledger.chain.devnet import devnet_down, free_port

if TYPE_CHECKING:
    from ledger.chain.devnet import Devnet
    from ledger.chain.rpc import Rpc

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLE_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass
class Step:
    kind: str  # "console" or "python"
    lines: list[str]


@dataclass
class Command:
    text: str
    output: list[str]


def _blocks(text: str) -> list[Step]:
    steps: list[Step] = []
    for m in re.finditer(r"^```(console|python)\n(.*?)^```", text, re.M | re.S):
        steps.append(Step(m.group(1), m.group(2).splitlines()))
    return steps


def _commands(lines: list[str]) -> list[Command]:
    commands: list[Command] = []
    for line in lines:
        if line.startswith("$ "):
            commands.append(Command(line[2:], []))
        elif commands:
            commands[-1].output.append(line)
    return commands


def test_readme_has_the_two_quickstart_commands() -> None:
    text = README.read_text()
    quickstart = text.split("## Quickstart", 1)[1].split("##", 1)[0]
    block = re.search(r"```console\n(.*?)```", quickstart, re.S)
    assert block is not None
    assert block.group(1).splitlines() == ["python3 run.py demo", "python3 run.py test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 run.py test" in ci


def test_every_readme_command_and_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, devnet: Devnet, rpc: Rpc
) -> None:
    from ledger.cli import wallet_cli
    from ledger.cli.ledger_cli import cli as ledger_cli

    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(ROOT / "examples", work / "examples")
    monkeypatch.chdir(work)
    for var in ("LEDGER_RPC", "LEDGER_ACCOUNT", "LEDGER_DEPLOYMENT", "LEDGER_POA",
                "WALLET_PASSPHRASE", "WALLET_BACKUP_PASSPHRASE"):
        monkeypatch.delenv(var, raising=False)
    home = work / "ledger-home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("WALLET_HOME", str(work / "wallet-home"))
    homes_with_devnet: list[Path] = []
    namespace: dict[str, object] = {"__name__": "readme"}
    ran = 0

    def run(command: Command) -> None:
        nonlocal ran
        argv = shlex.split(command.text)
        if argv[0] == "export":
            name, value = argv[1].split("=", 1)
            if name == "LEDGER_RPC":
                value = devnet.rpc_url  # the session anvil stands in for the consortium node
            monkeypatch.setenv(name, value)
            return
        assert argv[0] in ("ledger", "wallet"), f"unexpected command in README: {command.text}"
        args = argv[1:]
        if args[:2] == ["devnet", "up"]:
            args += ["--port", str(free_port())]
            homes_with_devnet.append(Path(str(_env("LEDGER_HOME"))))
        if argv[0] == "wallet" and "show" in args:
            args = [_real_credential_id() if EXAMPLE_ID.match(a) else a for a in args]
        cli = ledger_cli if argv[0] == "ledger" else wallet_cli.cli
        result = CliRunner().invoke(cli, args, catch_exceptions=False, obj=CHEAP_WORK)
        printed = result.stdout + result.stderr
        expects_error = any(line.startswith("Error:") for line in command.output)
        if expects_error:
            assert result.exit_code == 1, f"{command.text} should fail:\n{printed}"
        else:
            assert result.exit_code == 0, f"{command.text} failed:\n{printed}"
        for line in command.output:
            # "…" in a README output line stands for a value that differs between runs.
            pattern = ".*".join(re.escape(part) for part in line.split("…"))
            assert re.search(pattern, printed), (
                f"{command.text}: README shows {line!r}, got:\n{printed}"
            )
        if args[:2] == ["account", "create"] and _env("LEDGER_RPC"):
            _fund(rpc, json.loads((Path(str(_env("LEDGER_HOME"))) / "keystores" /
                                   f"{args[2]}.json").read_text())["address"])
        ran += 1

    try:
        for step in _blocks(README.read_text()):
            if step.kind == "python":
                exec(compile("\n".join(step.lines), str(README), "exec"), namespace)
                ran += 1
                continue
            if step.lines and not step.lines[0].startswith("$ "):
                continue  # the Quickstart block (covered by CI itself)
            for command in _commands(step.lines):
                run(command)
    finally:
        for path in homes_with_devnet:
            devnet_down(path)
    assert ran > 40


def _env(name: str) -> str | None:
    import os

    return os.environ.get(name)


def _real_credential_id() -> str:
    from ledger.cli import wallet_cli

    result = CliRunner().invoke(
        wallet_cli.cli, ["--json", "list"], catch_exceptions=False, obj=CHEAP_WORK
    )
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    return str(listed[0]["id"] if "id" in listed[0] else listed[0]["cred_id"])


def _fund(rpc: Rpc, address: str) -> None:
    rpc.call("anvil_setBalance", [address, hex(10**21)])
