"""Named accounts of the `ledger` CLI, over the SDK's `AgencyKeyring` (keystore V3 files).

An account NAME lives in `<home>/keystores/<NAME>.json`, its P-256 signing keys beside it
(`ledger.agency.keys`). Passphrases come from `LEDGER_PASSPHRASE_<NAME>` (upper case, `-` as
`_`), else `LEDGER_PASSPHRASE`, else a prompt — never from argv; an account's signing keys
use the account's passphrase.

`LEDGER_TEST_FAST_KDF=1` makes new keystores (accounts and signing keys) use a cheap scrypt
work factor. It is for tests only: such a keystore is easy to brute-force. So that it is never
left on unnoticed, a command that writes a keystore under it prints `FAST_KDF_WARNING` (one
line) on stderr.
Existing keystores are read whatever their work factor.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
from eth_utils.address import is_address, to_checksum_address

from ledger.agency.keys import AgencyKeyring
from ledger.cli._common import read_secret
from ledger.errors import InputError

if TYPE_CHECKING:
    from ledger.sdjwt.jwk import SigningKey

__all__ = [
    "FAST_KDF_ENV",
    "FAST_KDF_WARNING",
    "PASSPHRASE_ENV",
    "AccountEntry",
    "create_account",
    "find_account",
    "keyring",
    "list_accounts",
    "name_of",
    "passphrase_env_var",
    "read_account_passphrase",
    "resolve_address",
]

PASSPHRASE_ENV = "LEDGER_PASSPHRASE"
FAST_KDF_ENV = "LEDGER_TEST_FAST_KDF"
FAST_KDF_WARNING = f"Warning: {FAST_KDF_ENV}=1: new keystores use a cheap KDF; for tests only"
_FAST_WORK_FACTOR = 2**4


@dataclass(frozen=True)
class AccountEntry:
    """A named keystore account of the ledger home."""

    name: str
    address: str
    path: Path


class _FastKdfKeyring(AgencyKeyring):
    """A keyring writing keystores under a cheap scrypt work factor, saying so on stderr once
    a command has written one."""

    def __init__(self, home: Path) -> None:
        super().__init__(home, work_factor=_FAST_WORK_FACTOR)

    def create_account(
        self, name: str, passphrase: str, *, private_key: bytes | None = None
    ) -> str:
        address = super().create_account(name, passphrase, private_key=private_key)
        _warn_fast_kdf()
        return address

    def import_signing_key(self, name: str, key: SigningKey, passphrase: str) -> str:
        # create_signing_key writes through this method too.
        kid = super().import_signing_key(name, key, passphrase)
        _warn_fast_kdf()
        return kid


def _warn_fast_kdf() -> None:
    """`FAST_KDF_WARNING` on stderr, once per command (each time outside a click command)."""
    ctx = click.get_current_context(silent=True)
    meta: dict[str, object] = ctx.meta if ctx is not None else {}  # shared by nested contexts
    if not meta.get(FAST_KDF_ENV):
        click.echo(FAST_KDF_WARNING, err=True)
        meta[FAST_KDF_ENV] = True


def keyring(home: Path) -> AgencyKeyring:
    """The keyring of the ledger home (a cheap KDF, and a warning when a keystore is written,
    when `LEDGER_TEST_FAST_KDF=1`)."""
    if os.environ.get(FAST_KDF_ENV) == "1":
        return _FastKdfKeyring(home)
    return AgencyKeyring(home)


def passphrase_env_var(name: str) -> str:
    """The per-account passphrase variable: `LEDGER_PASSPHRASE_<NAME>`."""
    return f"{PASSPHRASE_ENV}_{re.sub(r'[^A-Za-z0-9]', '_', name).upper()}"


def read_account_passphrase(name: str, *, confirm: bool = False) -> str:
    """The passphrase of account `name`: per-account env var, shared env var, else a prompt."""
    specific = os.environ.get(passphrase_env_var(name))
    if specific:
        return specific
    return read_secret(PASSPHRASE_ENV, f"Passphrase for account {name}", confirm=confirm)


def create_account(home: Path, name: str, passphrase: str) -> AccountEntry:
    """Create a new random account `name`; `AgencyKeyExists` if the name is taken."""
    ring = keyring(home)
    address = ring.create_account(name, passphrase)
    return AccountEntry(name, address, ring.account_path(name))


def list_accounts(home: Path) -> list[AccountEntry]:
    """Every account of the ledger home, sorted by name."""
    ring = keyring(home)
    return [AccountEntry(n, a, ring.account_path(n)) for n, a in ring.accounts().items()]


def find_account(home: Path, name: str) -> AccountEntry:
    """The account `name`; `AgencyKeyNotFound` if there is none."""
    ring = keyring(home)
    return AccountEntry(name, ring.address(name), ring.account_path(name))


def resolve_address(home: Path, name_or_address: str) -> str:
    """A checksummed address from `0x...` or from the name of a local account."""
    if name_or_address.startswith("0x"):
        if not is_address(name_or_address):
            raise InputError(f"not an Ethereum address: {name_or_address!r}")
        return to_checksum_address(name_or_address)
    return find_account(home, name_or_address).address


def name_of(home: Path, address: str) -> str | None:
    """The local account name of `address`, if the ledger home holds its keystore."""
    wanted = address.lower()
    for entry in list_accounts(home):
        if entry.address.lower() == wanted:
            return entry.name
    return None
