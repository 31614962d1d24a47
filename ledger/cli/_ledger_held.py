"""`ledger held list|anchor|discard`: credentials held because their agency was suspended.

A credential signed while its agency is suspended, or still waiting for its anchor when
`ledger anchor` finds the agency suspended, is held in the agency's outbox: it is not anchored
when the agency is reinstated, and `ledger anchor` only says it is there. An operator of the
agency decides, credential by credential or for all at once: `held anchor` (once the agency is
reinstated) anchors them and writes their recorded `--out` files; `held discard` drops them for
good (they stay in the outbox as discarded, their status entries unused, and are never written).
"""

from __future__ import annotations

import click

from ledger.cli._common import emit, reports_errors
from ledger.cli._ledger_agency import _deliveries, _issuer_without_key
from ledger.cli._ledger_context import LedgerContext, format_time, pass_ledger
from ledger.errors import InputError

__all__ = ["held"]


def _chosen(ids: tuple[str, ...], every: bool) -> list[str] | None:
    """The ids decided on (None: all held ones); one of the two must be given."""
    if bool(ids) == every:
        raise InputError("name the held credentials (CREDENTIAL_ID...) or pass --all, not both")
    return None if every else list(ids)


@click.group()
def held() -> None:
    """Credentials held because the agency was suspended: list them, anchor or discard them."""


@held.command("list")
@pass_ledger
@reports_errors
def held_list(ctx: LedgerContext) -> None:
    """List the acting agency's held credentials, oldest first."""
    with _issuer_without_key(ctx) as issuer:
        items = issuer.held()
    data = {"held": [{"credential_id": h.id, "type_id": h.type_id,
                      "status": {"list_id": h.list_id, "idx": h.status_idx},
                      "created_at": h.created_at, "held_at": h.held_at} for h in items]}
    if not items:
        emit(data, "No held credentials.", as_json=ctx.as_json)
        return
    lines = [f"{len(items)} held credential(s) (signed or queued while the agency was "
             "suspended):"]
    lines += [f"  {h.id}  type {h.type_id}  held since {format_time(h.held_at)}" for h in items]
    lines.append(f"Decide: `ledger --as {ctx.acting()} held anchor ID...|--all` or "
                 "`held discard ID...|--all`.")
    emit(data, "\n".join(lines), as_json=ctx.as_json)


@held.command("anchor")
@click.argument("ids", metavar="[CREDENTIAL_ID]...", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Anchor every held credential.")
@click.option("--max-batch", type=click.IntRange(1), default=10_000, show_default=True,
              help="Most credentials under one Merkle root.")
@pass_ledger
@reports_errors
def held_anchor(ctx: LedgerContext, ids: tuple[str, ...], every: bool, max_batch: int) -> None:
    """Anchor held credentials now that the agency is reinstated, and write their files.

    Refused while the agency is still suspended.
    """
    chosen = _chosen(ids, every)
    with _issuer_without_key(ctx) as issuer:
        count = len(chosen) if chosen is not None else len(issuer.held())
        packages = issuer.anchor_held(chosen, max_batch=max_batch)
        report = _deliveries(ctx).deliver(issuer)
    emit({"released": count, "anchored": len(packages), "written": len(report.written),
          "still_waiting": report.waiting},
         f"Anchored {count} held credential(s) ({len(packages)} credentials anchored in all); "
         f"wrote {len(report.written)} files.", as_json=ctx.as_json)


@held.command("discard")
@click.argument("ids", metavar="[CREDENTIAL_ID]...", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Discard every held credential.")
@pass_ledger
@reports_errors
def held_discard(ctx: LedgerContext, ids: tuple[str, ...], every: bool) -> None:
    """Discard held credentials for good: they are never anchored nor written."""
    chosen = _chosen(ids, every)
    with _issuer_without_key(ctx) as issuer:
        count = issuer.discard_held(chosen)
        _deliveries(ctx).deliver(issuer)  # drops their --out records
    emit({"discarded": count},
         f"Discarded {count} held credential(s); they will never be anchored.",
         as_json=ctx.as_json)
