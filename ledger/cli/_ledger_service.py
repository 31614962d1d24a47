"""`ledger serve` (a source's data service) and `ledger fetch` (a requester's pull).

Thin: each parses its options, makes one SDK call (`ledger.service.serve` over a
`DataSource` from the agency's state, `DataRequester.fetch`) and prints the result.
"""

from __future__ import annotations

import click

from ledger.cli._common import emit, reports_errors
from ledger.cli._ledger_context import LedgerContext, pass_ledger

__all__ = ["fetch", "serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="Port to listen on.")
@click.option("--kid", default=None, help="Signing key (default: the one valid on chain now).")
@pass_ledger
@reports_errors
def serve(ctx: LedgerContext, host: str, port: int, kid: str | None) -> None:
    """Run the acting agency's data service until Ctrl-C or SIGTERM."""
    from ledger.cli._ledger_accounts import keyring
    from ledger.cli._ledger_keys import checked_kid, current_kid
    from ledger.service.app import create_app
    from ledger.service.server import serve as run
    from ledger.service.state import source_from_state

    reader = ctx.reader()
    name = ctx.acting()
    ring = keyring(ctx.home)
    kid = checked_kid(ctx, reader, kid) if kid else current_kid(ctx, reader)
    key = ring.unlock_signing_key(name, kid, ctx.passphrase(name))
    source = source_from_state(
        ctx.state_dir(), chain=reader, agency=ring.address(name), signing_key=key
    )
    click.echo(f"Serving the data service of {name} on http://{host}:{port}", err=True)
    run(create_app(source), host=host, port=port)


@click.command()
@click.option("--subject", required=True, help="The subject's CPR number (never logged).")
@click.option("--type", "vct", required=True, help="Credential type (vct).")
@click.option("--claims", required=True, help="Claim paths, comma-separated.")
@click.option("--purpose", required=True, help="The purpose, as registered on chain.")
@click.option("--case", "case_ref", required=True, help="Your case reference.")
@click.option("--source", default=None,
              help="The source agency's address (default: from the directory on chain).")
@click.option("--url", default=None,
              help="The source's data service URL (default: from the directory on chain).")
@pass_ledger
@reports_errors
def fetch(ctx: LedgerContext, subject: str, vct: str, claims: str, purpose: str,
          case_ref: str, source: str | None, url: str | None) -> None:
    """Pull verified claims about a subject from the source, as the acting agency."""
    from ledger.exchange.requester import DataRequester

    names = [c.strip() for c in claims.split(",") if c.strip()]
    with DataRequester(chain=ctx.reader(), account=ctx.unlock()) as requester:
        got = requester.fetch(subject, vct, names, purpose, case_ref, source=source, url=url)
    emit(
        {"claims": got.claims, "receipt_id": got.receipt_id, "source": got.source,
         "vct": got.vct},
        "\n".join(
            [f"Verified claims from {got.source} (receipt {got.receipt_id}):"]
            + [f"  {k}: {v}" for k, v in got.claims.items()]
        ),
        as_json=ctx.as_json,
    )
