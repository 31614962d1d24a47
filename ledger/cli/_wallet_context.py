"""What the `wallet` commands share: the group's context object (global options, the unlocked
wallet, a chain client), its pass decorator, and small helpers. Its own module so that the
command modules (`wallet_cli`, `_wallet_exchange`) import it, not each other."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ledger.cli._common import read_secret
from ledger.wallet import PASSPHRASE_ENV, Wallet, wallet_home

if TYPE_CHECKING:
    from ledger.chain.client import LedgerChain

__all__ = ["WalletContext", "check_writable", "format_date", "pass_wallet"]


class WalletContext:
    """Global options of one `wallet` invocation (no I/O until a command asks)."""

    def __init__(
        self,
        *,
        home: Path | None,
        rpc_url: str | None,
        ledger_home: Path | None,
        as_json: bool,
        rpc_timeout: float | None = None,
    ) -> None:
        self.home = wallet_home(home)
        self.rpc_url = rpc_url
        self.rpc_timeout = rpc_timeout
        self.ledger_home = ledger_home
        self.as_json = as_json

    def passphrase(self, *, confirm: bool = False) -> str:
        """The wallet passphrase (WALLET_PASSPHRASE or a prompt)."""
        return read_secret(PASSPHRASE_ENV, "Wallet passphrase", confirm=confirm)

    @contextmanager
    def wallet(self) -> Iterator[Wallet]:
        """The unlocked wallet, closed afterwards. A damaged store is named so, with the way
        back: a backup."""
        from ledger.errors import WalletStoreDamaged

        try:
            wallet = Wallet.open(self.home, self.passphrase())
        except WalletStoreDamaged as exc:
            raise type(exc)(
                f"{exc}. If you have a backup, `wallet restore BACKUP --force` replaces the "
                "damaged wallet with it (copy the damaged file aside first)"
            ) from exc
        try:
            yield wallet
        finally:
            wallet.close()

    def chain(self) -> LedgerChain:
        """A read-only client of the ledger (closed when the command ends)."""
        from ledger.chain.client import LedgerChain
        from ledger.chain.deploy import Deployment
        from ledger.chain.rpc import Rpc
        from ledger.network import resolve_network

        network = resolve_network(
            self.ledger_home, rpc_url=self.rpc_url, rpc_timeout=self.rpc_timeout
        )
        deployment = Deployment.load(network.deployment_path)
        rpc = Rpc(network.rpc_url, timeout=network.rpc_timeout)
        click.get_current_context().call_on_close(rpc.close)
        return LedgerChain(rpc, deployment)


pass_wallet = click.make_pass_decorator(WalletContext)


def format_date(ts: int | None) -> str:
    if ts is None:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


def check_writable(out: Path) -> None:
    """Raise `InputError` unless a file can be created in `out`'s directory."""
    import tempfile

    from ledger.errors import InputError

    try:
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.probe-"):
            pass
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror or exc})") from exc
