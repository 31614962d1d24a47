"""Named accounts of the `ledger` CLI, over the SDK's `AgencyKeyring` (keystore V3 files).

An account NAME lives in `<home>/keystores/<NAME>.json`, its P-256 signing keys beside it
(`ledger.agency.keys`). Passphrases come from `LEDGER_PASSPHRASE_<NAME>` (upper case, `-` as
`_`), else `LEDGER_PASSPHRASE`, else a prompt — never from argv; an account's signing keys
use the account's passphrase.
New keystores use eth-account's scrypt work factor (tests pass a cheaper one as click's `obj`,
`ledger.cli._common.WorkFactors`); existing keystores are read whatever their work factor.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from eth_utils.address import is_address, to_checksum_address

from ledger.agency.keys import AgencyKeyring
from ledger.cli._common import read_secret, work_factors
from ledger.errors import InputError

__all__ = [
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


@dataclass(frozen=True)
class AccountEntry:
    """A named keystore account of the ledger home."""

    name: str
    address: str
    path: Path


def keyring(home: Path) -> AgencyKeyring:
    """The keyring of the ledger home, writing keystores at the command's work factor
    (`ledger.cli._common.work_factors`: eth-account's default scrypt unless a test passed less)."""
    return AgencyKeyring(home, work_factor=work_factors().keystore)


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
