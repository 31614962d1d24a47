"""`ledger`: the operator and agency command line.

Global options pick the ledger home (`--home`, `LEDGER_HOME`), the chain (`--rpc`,
`LEDGER_RPC`), machine output (`--json`) and the acting keystore account (`--as`,
`LEDGER_ACCOUNT`). Commands are thin: parse the arguments, make one SDK call, print. Expected
failures print `Error: <message>` and exit with code 1.

The click group is `cli`; other modules register more commands on it with `cli.add_command`.
"""

from __future__ import annotations

from pathlib import Path

import click

from ledger.cli._ledger_admin import agency, council, credential_type, verifier
from ledger.cli._ledger_agency import (
    anchor,
    issue,
    keys,
    reinstate,
    request,
    revoke,
    suspend,
    verify,
)
from ledger.cli._ledger_chain import account, deploy, devnet, status
from ledger.cli._ledger_context import LedgerContext

__all__ = ["cli", "main"]


@click.group("ledger", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), envvar="LEDGER_HOME",
              help="Ledger home directory (default ~/.ledger; env LEDGER_HOME).")
@click.option("--rpc", "rpc_url", metavar="URL", envvar="LEDGER_RPC",
              help="JSON-RPC endpoint (default: the deployment's, else the home's devnet; "
                   "env LEDGER_RPC).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--as", "account_name", metavar="NAME", envvar="LEDGER_ACCOUNT",
              help="Keystore account that acts (env LEDGER_ACCOUNT).")
@click.version_option(package_name="identity-ledger", prog_name="ledger")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, rpc_url: str | None, as_json: bool,
        account_name: str | None) -> None:
    """Operate an identity ledger: devnet, deployment, council, agencies, credentials.

    Passphrases of keystore accounts come from LEDGER_PASSPHRASE_<NAME> or LEDGER_PASSPHRASE,
    else a prompt; never from the command line.
    """
    ctx.obj = LedgerContext(home=home, rpc_url=rpc_url, as_json=as_json, account=account_name)


for _command in (
    devnet, deploy, account, status, council, agency, verifier, credential_type,
    keys, issue, anchor, revoke, suspend, reinstate, request, verify,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ledger")


if __name__ == "__main__":
    main()
