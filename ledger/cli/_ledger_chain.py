"""`ledger deploy`, `ledger account` and `ledger status`: the deployed suite and its accounts."""

from __future__ import annotations

from typing import Any

import click

from ledger.agency.issuer import STATE_FILE
from ledger.agency.outbox import held_count_in
from ledger.chain.client import AgencyStatus
from ledger.chain.deploy import SUITE
from ledger.cli._common import emit, reports_errors
from ledger.cli._ledger_accounts import (
    create_account,
    keyring,
    list_accounts,
    name_of,
    read_account_passphrase,
)
from ledger.cli._ledger_context import LedgerContext, format_time, outdated_message, pass_ledger
from ledger.errors import ConfigError
from ledger.network_setup import DEVNET_FUNDING, ETHER, deploy_network, fund_on_devnet, is_devnet

__all__ = ["account", "deploy", "status"]


# ---------------------------------------------------------------------------------------------
# deploy
# ---------------------------------------------------------------------------------------------


@click.command()
@click.option("--council", "council", multiple=True, metavar="NAME",
              help="Keystore account of a first council member (repeatable; default: the "
                   "--as account, else one named 'council'). On a devnet missing accounts are "
                   "created and funded from anvil's dev accounts.")
@click.option("--threshold", type=click.IntRange(1), default=None,
              help="Votes needed to execute a proposal (default: a majority).")
@click.option("--force", is_flag=True, help="Replace the record of a deployment that is live.")
@click.option("--deployer", metavar="NAME", default=None,
              help="Account that pays for the deployment (default: on a devnet anvil's dev "
                   "account 0, elsewhere the --as account). It gets no role.")
@pass_ledger
@reports_errors
def deploy(ctx: LedgerContext, council: tuple[str, ...], threshold: int | None,
           force: bool, deployer: str | None) -> None:
    """Deploy and wire the contract suite and seat the first council.

    Writes the deployment record and the network record (RPC URL) into the ledger home, where
    every later command finds them. A live deployment is never replaced without --force.
    """
    rpc = ctx.rpc()
    if deployer is not None:
        payer = ctx.unlock(deployer)
    elif not is_devnet(rpc):
        payer = ctx.unlock()  # the --as account; ConfigError without one
    else:
        payer = None  # anvil's dev account 0
    result = deploy_network(
        rpc,
        keyring(ctx.home),
        ctx.home,
        ctx.network().deployment_path,
        council=list(council) or [ctx.account or "council"],
        threshold=threshold,
        deployer=payer,
        force=force,
        new_passphrase=lambda name: read_account_passphrase(name, confirm=True),
    )
    dep = result.deployment
    data = dep.to_json() | {
        "rpcUrl": result.rpc_url,
        "record": str(result.record_path),
        "council": [
            {"name": s.name, "address": s.address, "created": s.created, "funded": s.funded}
            for s in result.council
        ],
        "threshold": result.threshold,
        "replacedLive": result.replaced_live,
    }
    width = max(len(name) for name in SUITE)
    lines = []
    for seat in result.council:
        if seat.created:
            lines.append(f"Created account {seat.name} ({seat.address}).")
        if seat.funded:
            lines.append(
                f"Funded {seat.name} with {DEVNET_FUNDING // ETHER} ETH from anvil dev account 0."
            )
    if result.replaced_live:
        lines.append("Replaced the record of a live deployment (--force).")
    lines.append(f"Deployed the suite on chain {dep.chain_id} at block {dep.block_number}.")
    lines += [f"  {name.ljust(width)}  {dep.address(name)}" for name in SUITE]
    members = ", ".join(f"{s.name} ({s.address})" for s in result.council)
    lines.append(f"Council: {members}; threshold {result.threshold} of {len(result.council)}.")
    lines.append(f"Recorded in {result.record_path}.")
    emit(data, "\n".join(lines), as_json=ctx.as_json)


# ---------------------------------------------------------------------------------------------
# account
# ---------------------------------------------------------------------------------------------


@click.group()
def account() -> None:
    """Agency and council accounts: Ethereum keystore V3 files in the ledger home."""


@account.command("create")
@click.argument("name")
@click.option("--fund", is_flag=True,
              help=f"On a devnet, send it {DEVNET_FUNDING // ETHER} ETH from anvil's dev "
                   "account 0.")
@pass_ledger
@reports_errors
def account_create(ctx: LedgerContext, name: str, fund: bool) -> None:
    """Create account NAME (a new random key in an encrypted keystore).

    The passphrase comes from LEDGER_PASSPHRASE_<NAME> or LEDGER_PASSPHRASE, else a prompt.
    """
    rpc = ctx.rpc() if fund else None
    if rpc is not None and not is_devnet(rpc):  # refuse before creating anything
        raise ConfigError("--fund works on an anvil devnet only; fund the account yourself")
    entry = create_account(ctx.home, name, read_account_passphrase(name, confirm=True))
    lines = [f"Created account {entry.name}: {entry.address}", f"  keystore {entry.path}"]
    if rpc is not None:
        fund_on_devnet(rpc, [entry.address])
        lines.append(f"  funded with {DEVNET_FUNDING // ETHER} ETH from anvil dev account 0")
    data = {"name": entry.name, "address": entry.address, "keystore": str(entry.path),
            "funded": rpc is not None}
    emit(data, "\n".join(lines), as_json=ctx.as_json)


@account.command("list")
@pass_ledger
@reports_errors
def account_list(ctx: LedgerContext) -> None:
    """List the accounts of the ledger home (name and address)."""
    entries = list_accounts(ctx.home)
    data = [{"name": e.name, "address": e.address} for e in entries]
    if not entries:
        human = "No accounts (create one with `ledger account create NAME`)."
    else:
        width = max(len(e.name) for e in entries)
        human = "\n".join(f"{e.name.ljust(width)}  {e.address}" for e in entries)
    emit(data, human, as_json=ctx.as_json)


# ---------------------------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------------------------


@click.command()
@pass_ledger
@reports_errors
def status(ctx: LedgerContext) -> None:
    """Show the network, the deployment, the chain head, the council and this account.

    Also counts the credentials each agency of this home holds because it was suspended
    (`ledger --as NAME held list`).
    """
    net = ctx.network()
    rpc = ctx.rpc()
    reader = ctx.reader()
    dep = reader.deployment
    if rpc.chain_id != dep.chain_id:
        raise ConfigError(
            f"{net.rpc_url} is chain {rpc.chain_id}, the deployment record is for chain "
            f"{dep.chain_id}"
        )
    head = rpc.block_number()
    outdated = dep.outdated_contracts()
    members = reader.council_members()
    threshold = reader.council_threshold()
    named = [(name_of(ctx.home, m), m) for m in members]
    data: dict[str, Any] = {
        "home": str(ctx.home),
        "rpc_url": net.rpc_url,
        "chain_id": dep.chain_id,
        "head": head,
        "deployment": {"record": str(net.deployment_path), "block": dep.block_number,
                       "addresses": dict(dep.addresses),
                       "outdated_contracts": list(outdated)},
        "council": {"members": [{"name": n, "address": a} for n, a in named],
                    "threshold": threshold},
        "account": None,
    }
    lines = [
        f"Home        {ctx.home}",
        f"Network     {net.rpc_url} (chain {dep.chain_id}), head block {head}",
        f"Deployment  {net.deployment_path} (block {dep.block_number}), "
        f"Council {dep.address('Council')}",
        f"Council     {threshold} of {len(members)}: "
        + ", ".join(f"{n} ({a})" if n else a for n, a in named),
    ]
    if outdated:
        lines.append(f"Contracts   outdated: {outdated_message(outdated)}")
    if ctx.account:
        address = ctx.address(ctx.account)
        info = reader.agency(address)
        balance = rpc.get_balance(address)
        data["account"] = {
            "name": ctx.account,
            "address": address,
            "balance_wei": balance,
            "council_member": address in members,
            "agency_status": info.status.name.lower(),
            "agency_name": info.name,
            "admitted_at": info.admitted_at,
        }
        role = "council member" if address in members else "not on the council"
        agency = (
            "not an agency"
            if info.status == AgencyStatus.NONE
            else f"agency {info.name!r}: {info.status.name.lower()} "
            f"(admitted {format_time(info.admitted_at)})"
        )
        lines.append(
            f"Account     {ctx.account} {address}, {balance / ETHER:.4f} ETH, {role}, {agency}"
        )
    held = _held_counts(ctx)
    data["held_credentials"] = held
    if ctx.account:
        data["account"]["held_credentials"] = held.get(ctx.account, 0)
    for name, count in sorted(held.items()):
        if count:
            lines.append(f"Held        {name}: {count} credential(s) held while the agency was "
                         f"suspended (`ledger --as {name} held list`)")
    emit(data, "\n".join(lines), as_json=ctx.as_json)


def _held_counts(ctx: LedgerContext) -> dict[str, int]:
    """Held credentials per agency with an outbox in this home (and the acting account)."""
    agencies = ctx.home / "agencies"
    names = {p.name for p in agencies.iterdir() if p.is_dir()} if agencies.is_dir() else set()
    if ctx.account:
        names.add(ctx.account)
    return {name: held_count_in(agencies / name / STATE_FILE) for name in sorted(names)}
