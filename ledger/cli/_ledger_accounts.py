"""Named agency accounts of the `ledger` CLI: keystore V3 files under the ledger home.

An account NAME lives in `<home>/keystores/<NAME>.json`. Its passphrase comes from
`LEDGER_PASSPHRASE_<NAME>` (upper case, `-` as `_`), else `LEDGER_PASSPHRASE`, else a prompt —
never from argv. `LEDGER_TEST_FAST_KDF=1` makes new keystores use a cheap scrypt work factor
(tests only: such a keystore is easy to brute-force).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address

from ledger.chain.keystore import create_keystore, keystore_address, unlock_keystore
from ledger.cli._common import read_secret
from ledger.errors import InputError, KeystoreError, KeystoreNotFound
from ledger.home import keystores_dir

__all__ = [
    "FAST_KDF_ENV",
    "PASSPHRASE_ENV",
    "AccountEntry",
    "account_path",
    "create_account",
    "find_account",
    "list_accounts",
    "name_of",
    "passphrase_env_var",
    "read_account_passphrase",
    "resolve_address",
    "unlock_account",
]

PASSPHRASE_ENV = "LEDGER_PASSPHRASE"
FAST_KDF_ENV = "LEDGER_TEST_FAST_KDF"
_FAST_WORK_FACTOR = 2**4
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class AccountEntry:
    """A named keystore account of the ledger home."""

    name: str
    address: str
    path: Path


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InputError(
            f"invalid account name {name!r}: use letters, digits, '_', '-' or '.' (max 64)"
        )
    return name


def account_path(home: Path, name: str) -> Path:
    """The keystore file of account `name` (the keystores directory is created)."""
    return keystores_dir(home) / f"{_check_name(name)}.json"


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
    """Create a new random account `name` in a keystore file; `KeystoreExists` if taken."""
    path = account_path(home, name)
    fast = os.environ.get(FAST_KDF_ENV) == "1"
    address = create_keystore(path, passphrase, work_factor=_FAST_WORK_FACTOR if fast else None)
    return AccountEntry(name, address, path)


def list_accounts(home: Path) -> list[AccountEntry]:
    """Every account of the ledger home, sorted by name (unreadable files are skipped)."""
    entries = []
    directory = home / "keystores"
    if not directory.is_dir():
        return []
    for path in sorted(directory.glob("*.json")):
        try:
            entries.append(AccountEntry(path.stem, keystore_address(path), path))
        except KeystoreError:
            continue
    return entries


def find_account(home: Path, name: str) -> AccountEntry:
    """The account `name`; `KeystoreNotFound` naming the account if there is none."""
    path = account_path(home, name)
    if not path.exists():
        raise KeystoreNotFound(
            f"unknown account {name!r}: no keystore at {path} (see `ledger account list`)"
        )
    return AccountEntry(name, keystore_address(path), path)


def unlock_account(home: Path, name: str) -> LocalAccount:
    """Unlock account `name` with its passphrase (env or prompt)."""
    entry = find_account(home, name)
    return unlock_keystore(entry.path, read_account_passphrase(name))


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
