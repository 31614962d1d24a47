"""`ledger devnet up|down|status`: the persistent local devnet (anvil) of the ledger home.

`ledger.chain.devnet` is imported inside the commands: it pulls in eth-account, which takes
over a second to import, and `devnet up` should be ready in well under two seconds.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ledger.cli._common import emit, reports_errors
from ledger.cli._ledger_context import LedgerContext, pass_ledger
from ledger.errors import ConfigError

if TYPE_CHECKING:
    from ledger.chain.devnet import DevnetInfo

__all__ = ["devnet"]

DEFAULT_PORT = 8545
_LOCAL_URL = re.compile(r"http://127\.0\.0\.1:(\d{1,5})/?")


def _recorded_port(home: Path) -> int | None:
    """The port of the local devnet the home's network record (`ledger deploy`) points at.

    `down` forgets the running devnet, but every later command still goes to the recorded URL,
    so `up` must come back on that port for the state it kept to be found.
    """
    from ledger.network import saved_network

    try:
        url = saved_network(home).get("rpc_url")
    except ConfigError:
        return None
    match = _LOCAL_URL.fullmatch(str(url or ""))
    return int(match.group(1)) if match else None


def _devnet_json(info: DevnetInfo) -> dict[str, Any]:
    return {
        "running": True,
        "url": info.rpc_url,
        "chain_id": info.chain_id,
        "pid": info.pid,
        "block": info.block_number,
        "state_file": str(info.state_file),
        "started_at": info.started_at.isoformat(),
    }


def _devnet_text(info: DevnetInfo) -> str:
    return (
        f"  url       {info.rpc_url}\n"
        f"  chain id  {info.chain_id}\n"
        f"  pid       {info.pid}\n"
        f"  block     {info.block_number}\n"
        f"  state     {info.state_file}"
    )


@click.group()
def devnet() -> None:
    """Run a persistent local devnet (anvil) whose state survives down/up."""


@devnet.command("up")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help=f"TCP port anvil listens on (127.0.0.1; default: the port of the home's "
                   f"deployment, else {DEFAULT_PORT}).")
@click.option("--chain-id", type=click.IntRange(1), default=31337, show_default=True,
              help="Chain id of the devnet.")
@click.option("--state-interval", type=click.IntRange(1), default=1, show_default=True,
              metavar="SECONDS",
              help="How often anvil saves its state; a killed devnet loses the blocks since "
                   "(except what the issuer saved before delivering).")
@pass_ledger
@reports_errors
def devnet_up_cmd(ctx: LedgerContext, port: int | None, chain_id: int,
                  state_interval: int) -> None:
    """Start the devnet of the ledger home (or report the running one).

    Chain state is kept in <home>/devnet/state.json, so `down` then `up` loses nothing. A
    killed devnet (kill -9, power loss) loses at most the blocks mined since anvil's last save
    (--state-interval), never an anchor whose credentials were written: the issuer saves the
    state to state.durable.json first, and `up` starts from the further of the two files.
    """
    from ledger.chain.devnet import devnet_status, devnet_up

    already = devnet_status(ctx.home)
    recorded = _recorded_port(ctx.home)
    if port is None:
        port = recorded or DEFAULT_PORT
    elif already is None and recorded is not None and port != recorded:
        click.echo(f"Warning: the deployment of this home is recorded at port {recorded}; "
                   f"commands will not find it on port {port}", err=True)
    start = time.perf_counter()
    info = already or devnet_up(ctx.home, port=port, chain_id=chain_id,
                                state_interval=state_interval)
    ready = time.perf_counter() - start
    data = _devnet_json(info) | {"started": already is None}
    if already is None:
        data["ready_seconds"] = round(ready, 3)
        human = f"Devnet started.\n{_devnet_text(info)}\nReady in {ready:.2f} s."
    else:
        human = f"Devnet already running.\n{_devnet_text(info)}"
    emit(data, human, as_json=ctx.as_json)


@devnet.command("down")
@pass_ledger
@reports_errors
def devnet_down_cmd(ctx: LedgerContext) -> None:
    """Stop the devnet of the ledger home (its state is saved first)."""
    from ledger.chain.devnet import devnet_down

    stopped = devnet_down(ctx.home)
    human = "Devnet stopped; state saved." if stopped else "No devnet was running."
    emit({"stopped": stopped}, human, as_json=ctx.as_json)


@devnet.command("status")
@pass_ledger
@reports_errors
def devnet_status_cmd(ctx: LedgerContext) -> None:
    """Show the devnet of the ledger home: URL, chain id, pid, latest block."""
    from ledger.chain.devnet import devnet_status

    info = devnet_status(ctx.home)
    if info is None:
        emit({"running": False}, "No devnet running.", as_json=ctx.as_json)
    else:
        emit(_devnet_json(info), f"Devnet running.\n{_devnet_text(info)}", as_json=ctx.as_json)
