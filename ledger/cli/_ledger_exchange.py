"""`ledger service` and `ledger receipts`: a data source's entries on chain.

`service publish|withdraw` (as the source agency, `--as`) and `service show` (anyone) work on
the DataServiceDirectory: where the authoritative source of a credential type answers.
`receipts anchor` (as the source) seals its stored access receipts into batches and anchors
their roots in the ReceiptRegistry (`ledger.exchange.anchoring`); rerun it after a crash or a
failure, it catches up and never anchors a batch twice.

The source's exchange store (register, receipts, consents) is `<home>/agencies/<NAME>/exchange.db`
unless `--store` names another SQLite file or a PostgreSQL URL (``postgresql://...``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ledger.chain.client import LedgerChain
from ledger.cli._common import emit, reports_errors
from ledger.cli._ledger_context import LedgerContext, format_time, pass_ledger
from ledger.errors import DataServiceNotPublished, InputError
from ledger.exchange.anchoring import DEFAULT_BATCH_SIZE, AnchorRun, anchor_receipts
from ledger.exchange.store import ExchangeStore, SqliteExchangeStore
from ledger.service.state import EXCHANGE_STORE_FILE  # the one `ledger serve` uses

__all__ = ["EXCHANGE_STORE_FILE", "exchange_store", "receipts", "service"]

_POSTGRES_PREFIXES = ("postgresql://", "postgres://")

store_option = click.option(
    "--store", "store", default=None, metavar="PATH|URL",
    help=f"The exchange store: a SQLite file or a postgresql:// URL "
         f"(default: the agency's {EXCHANGE_STORE_FILE}).",
)


def exchange_store(ctx: LedgerContext, store: str | None) -> ExchangeStore:
    """The acting agency's exchange store (not opened): `store` if given (a SQLite path or a
    PostgreSQL URL), else `<state dir>/exchange.db`."""
    if store is not None and store.startswith(_POSTGRES_PREFIXES):
        from ledger.exchange.store_postgres import PostgresExchangeStore

        return PostgresExchangeStore(store)
    return SqliteExchangeStore(Path(store) if store else ctx.state_dir() / EXCHANGE_STORE_FILE)


def _type_id(chain: LedgerChain, vct: str) -> int:
    type_id = chain.type_id_of(vct)
    if type_id == 0:
        raise InputError(f"unknown credential type {vct!r} (see `ledger type register`)")
    return type_id


type_option = click.option("--type", "vct", required=True, help="Credential type (vct).")


@click.group()
def service() -> None:
    """Where each credential type's authoritative source answers (the directory on chain)."""


@service.command("publish")
@type_option
@click.option("--url", required=True, help="The data service's endpoint (http(s), <= 256 bytes).")
@pass_ledger
@reports_errors
def service_publish(ctx: LedgerContext, vct: str, url: str) -> None:
    """Publish the acting agency's data service URL for --type (it must be accredited for it)."""
    chain = ctx.chain()
    type_id = _type_id(chain, vct)
    receipt = chain.directory.publish(type_id, url)
    data = {"type": vct, "type_id": type_id, "url": url, "agency": chain.address,
            "block": receipt.block_number}
    emit(data, f"Published the data service of {vct} (type {type_id}): {url}",
         as_json=ctx.as_json)


@service.command("withdraw")
@type_option
@pass_ledger
@reports_errors
def service_withdraw(ctx: LedgerContext, vct: str) -> None:
    """Withdraw the acting agency's data service for --type."""
    chain = ctx.chain()
    type_id = _type_id(chain, vct)
    chain.directory.withdraw(type_id)
    emit({"type": vct, "type_id": type_id, "withdrawn": True},
         f"Withdrew the data service of {vct} (type {type_id}).", as_json=ctx.as_json)


@service.command("show")
@type_option
@pass_ledger
@reports_errors
def service_show(ctx: LedgerContext, vct: str) -> None:
    """Show the data service of --type: its URL and the agency that serves it."""
    chain = ctx.reader()
    type_id = _type_id(chain, vct)
    info = chain.directory.service_of(type_id)
    if info is None:
        raise DataServiceNotPublished(f"no data service is published for {vct}")
    data = {"type": vct, "type_id": type_id, "url": info.url, "agency": info.agency,
            "published_at": info.published_at, "current": info.current}
    state = "" if info.current else (
        "\n  NOT CURRENT: the agency can no longer anchor this type; do not use it"
    )
    human = (
        f"{vct} (type {type_id}): {info.url}\n"
        f"  served by {info.agency} since {format_time(info.published_at)}{state}"
    )
    emit(data, human, as_json=ctx.as_json)


@click.group()
def receipts() -> None:
    """The acting source's access receipts, anchored on chain in batches."""


def _render(run: AnchorRun) -> str:
    lines = [
        f"Batch {b.batch_no}: {b.count:,} receipts "
        + (f"anchored in block {b.block_number}" if b.block_number is not None
           else "found on chain (anchored by an earlier run)")
        + (" (recorded by an earlier run)" if b.resent and b.block_number is not None else "")
        + f", root 0x{b.root.hex()}"
        for b in run.batches
    ]
    if not run.batches:
        lines.append("No receipts to anchor.")
    lines.append(f"{run.last_batch_no} batches anchored in all.")
    return "\n".join(lines)


@receipts.command("anchor")
@click.option("--batch-size", type=click.IntRange(1, 2**32 - 1), default=DEFAULT_BATCH_SIZE,
              show_default=True, help="Receipts per batch at most.")
@store_option
@pass_ledger
@reports_errors
def receipts_anchor(ctx: LedgerContext, batch_size: int, store: str | None) -> None:
    """Anchor the acting source's unanchored receipts in batches (catches up after a crash)."""
    chain = ctx.chain()
    with exchange_store(ctx, store) as opened:
        run = anchor_receipts(opened, chain, batch_size=batch_size)
    data: dict[str, Any] = {
        "source": run.source,
        "last_batch_no": run.last_batch_no,
        "batches": [
            {"batch_no": b.batch_no, "count": b.count, "root": "0x" + b.root.hex(),
             "block": b.block_number, "tx": b.tx_hash, "resent": b.resent}
            for b in run.batches
        ],
    }
    emit(data, _render(run), as_json=ctx.as_json)
