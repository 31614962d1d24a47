"""What every `ledger` command shares: the global options and lazily opened chain handles.

The group callback builds one `LedgerContext` from `--home`, `--rpc`, `--rpc-timeout`, `--json`
and `--as`;
commands get it with `@pass_ledger`. Nothing is read or connected until a command asks
(`rpc`, `deployment`, `chain`), and the chain and keystore modules are imported only then
(eth-account alone takes over a second to import), so `--help` and `devnet` stay fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ledger.errors import ConfigError, InputError
from ledger.home import ensure_dir, ledger_home
from ledger.network import NetworkConfig, resolve_network

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ledger.chain.client import LedgerChain
    from ledger.chain.deploy import Deployment
    from ledger.chain.rpc import Rpc

F = TypeVar("F", bound=Callable[..., Any])


def outdated_message(contracts: tuple[str, ...]) -> str:
    """What to tell the user when the recorded deployment runs other contract code."""
    return (
        f"the recorded deployment runs other code than this version of ledger for "
        f"{', '.join(contracts)}; calls to it may revert without a reason. Redeploy with "
        "`ledger deploy --force` (the new contracts start empty)"
    )


class LedgerContext:
    """Global options of one `ledger` invocation, and the handles built from them."""

    def __init__(
        self,
        *,
        home: Path | None,
        rpc_url: str | None,
        as_json: bool,
        account: str | None,
        rpc_timeout: float | None = None,
        confirmations: int | None = None,
    ) -> None:
        self.home = ledger_home(home)
        self.rpc_url = rpc_url
        self.rpc_timeout = rpc_timeout
        self.confirmations = confirmations
        self.as_json = as_json
        self.account = account
        self._network: NetworkConfig | None = None
        self._rpc: Rpc | None = None
        self._deployment: Deployment | None = None
        self._unlocked: dict[str, LocalAccount] = {}
        self._passphrases: dict[str, str] = {}

    # -- chain --------------------------------------------------------------------------------

    def network(self) -> NetworkConfig:
        """RPC URL and deployment record path (see `ledger.network.resolve_network`)."""
        if self._network is None:
            self._network = resolve_network(
                self.home, rpc_url=self.rpc_url, rpc_timeout=self.rpc_timeout
            )
        return self._network

    def rpc(self) -> Rpc:
        """The JSON-RPC client (opened once, closed when the command ends)."""
        if self._rpc is None:
            from ledger.chain.rpc import Rpc

            network = self.network()
            self._rpc = Rpc(network.rpc_url, timeout=network.rpc_timeout)
            click.get_current_context().call_on_close(self._rpc.close)
        return self._rpc

    def deployment(self) -> Deployment:
        """The deployment record (`ConfigError` when there is none: run `ledger deploy`)."""
        if self._deployment is None:
            from ledger.chain.deploy import Deployment

            self._deployment = Deployment.load(self.network().deployment_path)
            outdated = self._deployment.outdated_contracts()
            if outdated:
                click.echo(f"Warning: {outdated_message(outdated)}", err=True)
        return self._deployment

    def reader(self) -> LedgerChain:
        """A read-only chain client."""
        from ledger.chain.client import LedgerChain

        return LedgerChain(self.rpc(), self.deployment())

    def chain(self, name: str | None = None) -> LedgerChain:
        """A chain client signing as account `name` (default: `--as`)."""
        from ledger.chain.client import LedgerChain

        return LedgerChain(self.rpc(), self.deployment(), self.unlock(name))

    def finality(self) -> dict[str, Any]:
        """`Issuer` keyword arguments saying when an anchor is final: `confirmations`
        (`--confirmations`, else `LEDGER_CONFIRMATIONS` / `network.json`, else what the
        network's consensus needs) and, on the home's persistent devnet, a `persist_state` hook
        that saves its state before a credential is handed out."""
        from ledger.agency.anchoring import default_confirmations
        from ledger.chain.devnet import devnet_persister

        network = self.network()
        confirmations = self.confirmations
        if confirmations is None:
            confirmations = network.confirmations
        if confirmations is None:
            confirmations = default_confirmations(self.rpc(), poa=network.poa)
        return {
            "confirmations": confirmations,
            "persist_state": devnet_persister(self.home, self.rpc()),
        }

    # -- accounts -----------------------------------------------------------------------------

    def acting(self) -> str:
        """The name of the acting account (`--as` / `LEDGER_ACCOUNT`); `ConfigError` if unset."""
        if not self.account:
            raise ConfigError("no acting account: pass --as NAME or set LEDGER_ACCOUNT")
        return self.account

    def passphrase(self, name: str) -> str:
        """The passphrase of account `name` (env or prompt), asked at most once per command."""
        from ledger.cli._ledger_accounts import keyring, read_account_passphrase

        if name not in self._passphrases:
            keyring(self.home).address(name)  # an unknown name fails before any prompt
            self._passphrases[name] = read_account_passphrase(name)
        return self._passphrases[name]

    def unlock(self, name: str | None = None) -> LocalAccount:
        """Unlock account `name` (default: the acting account); each is unlocked once."""
        name = name or self.acting()
        if name not in self._unlocked:
            from ledger.cli._ledger_accounts import keyring

            ring = keyring(self.home)
            self._unlocked[name] = ring.unlock_account(name, self.passphrase(name))
        return self._unlocked[name]

    def state_dir(self, name: str | None = None) -> Path:
        """Per-agency state (issuer outbox, verifier nonces): `<home>/agencies/<NAME>/`."""
        from ledger.cli._ledger_accounts import keyring

        name = name or self.acting()
        keyring(self.home).account_path(name)  # validates the name
        return ensure_dir(self.home / "agencies" / name)

    def address(self, name_or_address: str) -> str:
        """An address from `0x...` or a local account name."""
        from ledger.cli._ledger_accounts import resolve_address

        return resolve_address(self.home, name_or_address)


def pass_ledger(fn: F) -> F:
    """Decorator: pass the `LedgerContext` as the first argument."""
    return click.pass_obj(fn)  # type: ignore[return-value]


class Timestamp(click.ParamType[int]):
    """A point in time: Unix seconds, or an ISO 8601 date / date-time (UTC unless zoned)."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """Parse `value` into Unix seconds."""
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.isdigit():
            return int(text)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is neither Unix seconds nor an ISO 8601 date", param, ctx)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())


TIMESTAMP = Timestamp()


def validity_options(command: F) -> F:
    """Decorator: the `--from` and `--until` options (`valid_from`, `valid_until`; 0 if unset)."""
    command = click.option("--until", "valid_until", type=TIMESTAMP, default=0,
                           help="End of validity (Unix seconds or ISO date; default open-ended).")(
                               command)
    return click.option("--from", "valid_from", type=TIMESTAMP, default=0,
                        help="Start of validity (Unix seconds or ISO date; default now).")(command)


def format_time(seconds: int) -> str:
    """Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`, `-` for 0 (unset)."""
    if seconds == 0:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def split_list(text: str) -> list[str]:
    """`a,b, c` → `["a", "b", "c"]`; an empty item is an `InputError`."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise InputError(f"expected a comma-separated list, got {text!r}")
    return items
