"""`ledger demo`: run `ledger.demo.run_demo` and print its narration (styled) or its result."""

from __future__ import annotations

import dataclasses
import json

import click

from ledger.cli._common import CliError
from ledger.demo import run_demo
from ledger.errors import LedgerError

__all__ = ["demo"]


def _styled(line: str) -> str:
    if line.startswith("["):
        return click.style(line, bold=True)
    for mark, colour in (("✓", "green"), ("✗", "red")):
        if line.startswith(f"  {mark} "):
            return f"  {click.style(mark, fg=colour)}{line[3:]}"
    return line


@click.command("demo")
@click.option(
    "--rpc",
    "rpc_url",
    metavar="URL",
    help="Use this anvil instead of starting an ephemeral devnet.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print only what the scenario observed, as JSON."
)
def demo(rpc_url: str | None, as_json: bool) -> None:
    """Run the end-to-end Danish scenario on a devnet it starts and stops itself."""
    if not as_json:
        click.echo(
            click.style(
                "Identity ledger demo: Karen, the CPR office and Københavns Kommune", bold=True
            )
        )
    try:
        result = run_demo(
            (lambda _: None) if as_json else (lambda line: click.echo(_styled(line))),
            rpc_url=rpc_url,
        )
    except LedgerError as exc:
        raise CliError(f"{type(exc).__name__}: {exc}") from exc
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=2))
