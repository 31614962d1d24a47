"""`ledger register`: the source agency's subject register (the data its service answers from).

`register import FILE` (as the source agency, `--as`) reads a CSV, JSON or JSON Lines register
file through `ledger.exchange.importer` (bounded, every row checked, all or nothing) into the
agency's exchange store, the one `ledger serve` answers from: `<home>/agencies/<NAME>/exchange.db`
unless `--store` names another SQLite file or a PostgreSQL URL. A bad row is named by its line
(or record) number and its reason; no message holds a CPR number or any other value of the file.
Progress goes to stderr every `PROGRESS_EVERY` rows.

`register generate` writes a seeded synthetic register (`ledger.exchange.synthetic`) as JSON
Lines, for tests and demonstrations; it needs no account.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click

from ledger.cli._common import emit, reports_errors
from ledger.cli._ledger_context import LedgerContext, pass_ledger
from ledger.cli._ledger_exchange import EXCHANGE_STORE_FILE, exchange_store, store_option
from ledger.exchange.importer import import_file
from ledger.exchange.register import StoreRegister

__all__ = ["PROGRESS_EVERY", "register"]

#: Rows between two progress lines on stderr while a file is read.
PROGRESS_EVERY = 10_000


def _persons(n: int) -> str:
    return f"{n:,} person" + ("" if n == 1 else "s")


def _store_name(ctx: LedgerContext, store: str | None) -> str:
    """Where the store is, for the output: its path, or a PostgreSQL URL without credentials."""
    if store is None:
        return str(ctx.state_dir() / EXCHANGE_STORE_FILE)
    if "://" not in store:
        return store
    parts = urlsplit(store)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class _Progress:
    """Prints "N rows read" on stderr each time the importer reports a further step."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self, rows: int) -> None:
        if rows > self.last and rows % PROGRESS_EVERY == 0:
            self.last = rows
            click.echo(f"  {rows:,} rows read ...", err=True)


@click.group()
def register() -> None:
    """The acting source agency's subject register (what its data service answers from)."""


@register.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]), default=None,
              help="The file's format (default: from its suffix: .csv, .json, .jsonl/.ndjson).")
@store_option
@pass_ledger
@reports_errors
def register_import(ctx: LedgerContext, file: Path, fmt: str | None, store: str | None) -> None:
    """Import the register FILE (CSV, JSON or JSON Lines) into the acting agency's exchange store.

    Every row is checked before anything is stored; one bad row stores nothing, and the error
    names each bad row by its line number. A subject already held is replaced.
    """
    where = _store_name(ctx, store)
    with exchange_store(ctx, store) as opened:
        report = import_file(file, StoreRegister(opened), fmt=fmt, progress=_Progress(),
                             progress_every=PROGRESS_EVERY)
    data = {"file": str(file), "format": report.fmt, "imported": report.rows, "store": where}
    emit(data, f"Imported {_persons(report.rows)} into {where}", as_json=ctx.as_json)


@register.command("generate")
@click.option("--count", type=click.IntRange(0, 5_000_000), default=10_000, show_default=True,
              help="How many persons.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="The same seed and count write the same file.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The JSON Lines file to write (replaced atomically).")
@pass_ledger
@reports_errors
def register_generate(ctx: LedgerContext, count: int, seed: int, out: Path) -> None:
    """Write a synthetic register (fictitious Danish persons, seeded) as JSON Lines.

    Import it with `ledger --as AGENCY register import FILE`.
    """
    from ledger.exchange.synthetic import write_synthetic  # Faker is slow to import

    path = write_synthetic(out, count, seed)
    data = {"file": str(path), "persons": count, "seed": seed}
    emit(data, f"Wrote {_persons(count)} (seed {seed}) to {path}", as_json=ctx.as_json)
