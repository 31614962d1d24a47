"""`ledger`: the operator and agency command line.

Global options pick the ledger home (`--home`, `LEDGER_HOME`), the chain (`--rpc`,
`LEDGER_RPC`), how long a request may wait on its node (`--rpc-timeout`, `LEDGER_RPC_TIMEOUT`),
machine output (`--json`) and the acting keystore account (`--as`, `LEDGER_ACCOUNT`). Commands
are thin: parse the arguments, make one SDK call, print. Expected failures print
`Error: <message>` and exit with code 1.

The click group is `cli`; other modules register more commands on it with `cli.add_command`.
Built-in commands are imported only when invoked (or listed by `--help`): the chain SDK
pulls in eth-account, whose import alone takes over a second, and `ledger devnet up` must not
pay for it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import click

from ledger.cli._common import adopt_work_factors
from ledger.cli._ledger_context import LedgerContext

__all__ = ["COMMANDS", "LazyGroup", "cli", "main"]

#: Built-in commands: name -> "module:attribute" of the click command.
COMMANDS: dict[str, str] = {
    "account": "ledger.cli._ledger_chain:account",
    "agency": "ledger.cli._ledger_admin:agency",
    "anchor": "ledger.cli._ledger_agency:anchor",
    "council": "ledger.cli._ledger_admin:council",
    "demo": "ledger.cli._ledger_demo:demo",
    "deploy": "ledger.cli._ledger_chain:deploy",
    "devnet": "ledger.cli._ledger_devnet:devnet",
    "fetch": "ledger.cli._ledger_service:fetch",
    "held": "ledger.cli._ledger_held:held",
    "issue": "ledger.cli._ledger_agency:issue",
    "issue-many": "ledger.cli._ledger_agency:issue_many",
    "keys": "ledger.cli._ledger_keys:keys",
    "receipts": "ledger.cli._ledger_exchange:receipts",
    "register": "ledger.cli._ledger_register:register",
    "reinstate": "ledger.cli._ledger_agency:reinstate",
    "request": "ledger.cli._ledger_verify:request",
    "revoke": "ledger.cli._ledger_agency:revoke",
    "serve": "ledger.cli._ledger_service:serve",
    "service": "ledger.cli._ledger_exchange:service",
    "status": "ledger.cli._ledger_chain:status",
    "suspend": "ledger.cli._ledger_agency:suspend",
    "type": "ledger.cli._ledger_admin:credential_type",
    "verifier": "ledger.cli._ledger_admin:verifier",
    "verify": "ledger.cli._ledger_verify:verify",
}


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and isinstance(ctx.obj, LedgerContext):
        ctx.obj.as_json = True


def _accept_json_after_command(command: click.Command) -> None:
    """Let `ledger CMD ... --json` mean `ledger --json CMD ...` for every leaf command that has
    no `--json` of its own."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_json_after_command(sub)
        return
    if any("--json" in getattr(param, "opts", ()) for param in command.params):
        return
    command.params.append(
        click.Option(["--json"], is_flag=True, expose_value=False, callback=_set_json,
                     help="Print machine-readable JSON (same as `ledger --json`).")
    )


class LazyGroup(click.Group):
    """A click group whose built-in subcommands are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, built-in or added, sorted."""
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command `cmd_name`, importing its module the first time."""
        if cmd_name not in self.commands and cmd_name in self._lazy:
            module, attribute = self._lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self._lazy[cmd_name]} is not a click command")
            _accept_json_after_command(command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group("ledger", cls=LazyGroup, lazy=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), envvar="LEDGER_HOME",
              help="Ledger home directory (default ~/.ledger; env LEDGER_HOME).")
@click.option("--rpc", "rpc_url", metavar="URL", envvar="LEDGER_RPC",
              help="JSON-RPC endpoint (default: the deployment's, else the home's devnet; "
                   "env LEDGER_RPC).")
@click.option("--rpc-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              envvar="LEDGER_RPC_TIMEOUT",
              help="Give up on a node that does not answer a request within SECONDS (default 5; "
                   "env LEDGER_RPC_TIMEOUT).")
@click.option("--confirmations", type=click.IntRange(min=1), metavar="BLOCKS",
              help="Blocks an anchor needs (its own included) before its credentials are "
                   "written (default: confirmations in network.json, else what the consensus "
                   "needs: 1 on QBFT and on the devnet, 12 elsewhere; env LEDGER_CONFIRMATIONS).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--as", "account_name", metavar="NAME", envvar="LEDGER_ACCOUNT",
              help="Keystore account that acts (env LEDGER_ACCOUNT).")
@click.version_option(package_name="identity-ledger", prog_name="ledger")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, rpc_url: str | None, rpc_timeout: float | None,
        confirmations: int | None, as_json: bool, account_name: str | None) -> None:
    """Operate an identity ledger: devnet, deployment, council, agencies, credentials.

    Passphrases of keystore accounts come from LEDGER_PASSPHRASE_<NAME> or LEDGER_PASSPHRASE,
    else a prompt; never from the command line.
    """
    adopt_work_factors(ctx)
    ctx.obj = LedgerContext(home=home, rpc_url=rpc_url, as_json=as_json, account=account_name,
                            rpc_timeout=rpc_timeout, confirmations=confirmations)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ledger")


if __name__ == "__main__":
    main()
