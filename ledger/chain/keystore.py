"""Ethereum keystore V3 files (the format of geth, eth-account and MetaMask exports).

Agency keys live only in these files, encrypted under a passphrase; a raw private key is never
written to disk. Production uses the eth-account default work factors (scrypt n=2**18, about a
second per unlock, which is the point); `work_factor` exists so tests can use a cheap one.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any, Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from ledger import untrusted_json
from ledger._atomic import write_atomic
from ledger.errors import (
    JsonRejected,
    KeystoreCorrupt,
    KeystoreExists,
    KeystoreNotFound,
    WrongPassphrase,
)

__all__ = ["create_keystore", "keystore_address", "unlock_keystore"]


def create_keystore(
    path: Path,
    passphrase: str,
    *,
    private_key: bytes | None = None,
    kdf: Literal["scrypt", "pbkdf2"] = "scrypt",
    work_factor: int | None = None,
) -> str:
    """Encrypt a key (a new random one unless `private_key` is given) into a keystore file.

    Returns the checksummed address. The file is written atomically with mode 0o600 and never
    replaces an existing file (`KeystoreExists`). `work_factor` is scrypt's n (a power of two)
    or pbkdf2's iteration count; leave it None outside tests.
    """
    path = Path(path)
    if path.exists():
        raise KeystoreExists(f"keystore {path} already exists")
    key = private_key if private_key is not None else secrets.token_bytes(32)
    document = Account.encrypt(key, passphrase, kdf=kdf, iterations=work_factor)
    address = to_checksum_address("0x" + str(document["address"]))
    _write_new_file(path, json.dumps(document).encode())
    return address


def _write_new_file(path: Path, content: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:  # exclusive: two writers cannot overwrite each other
        write_atomic(path, content, mode=0o600, exclusive=True)
    except FileExistsError as exc:
        raise KeystoreExists(f"keystore {path} already exists") from exc


def _read_document(path: Path) -> dict[str, Any]:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise KeystoreNotFound(f"no keystore at {path}") from exc
    except IsADirectoryError as exc:
        raise KeystoreNotFound(f"{path} is a directory, not a keystore") from exc
    try:
        document = untrusted_json.loads(raw)
    except JsonRejected as exc:
        raise KeystoreCorrupt(f"keystore {path} is not JSON ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("crypto"), dict):
        raise KeystoreCorrupt(f"keystore {path} has no 'crypto' section")
    if document.get("version") != 3:
        raise KeystoreCorrupt(f"keystore {path} is not version 3")
    return document


def keystore_address(path: Path) -> str:
    """The checksummed address recorded in a keystore file, without unlocking it."""
    document = _read_document(path)
    address = document.get("address")
    if not isinstance(address, str):
        raise KeystoreCorrupt(f"keystore {path} has no address")
    try:
        return to_checksum_address(address if address.startswith("0x") else "0x" + address)
    except ValueError as exc:
        raise KeystoreCorrupt(f"keystore {path} has an invalid address") from exc


# The most work a keystore may ask of its unlock: scrypt n*r*p up to geth's "standard" 2**18 * 8
# times four (about 1 GiB of memory at r=8), PBKDF2 up to ten times eth-account's default
# rounds. A file asking for more is refused before deriving, so an untrusted keystore cannot
# make an unlock run for hours or exhaust memory.
_MAX_SCRYPT_WORK = 2**20 * 8
_MAX_PBKDF2_ROUNDS = 10_000_000


def _check_kdf_cost(document: dict[str, Any], path: Path) -> None:
    crypto = document["crypto"]
    kdf, params = crypto.get("kdf"), crypto.get("kdfparams")
    if not isinstance(params, dict):
        raise KeystoreCorrupt(f"keystore {path} has no KDF parameters")

    def number(name: str, default: int | None = None) -> int:
        value = params.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise KeystoreCorrupt(
                f"keystore {path}: KDF parameter {name!r} is not a positive integer"
            )
        return value

    if number("dklen") != 32:
        raise KeystoreCorrupt(f"keystore {path}: KDF key length must be 32 bytes")
    if kdf == "scrypt":
        n, r, p = number("n"), number("r"), number("p")
        if n < 2 or n & (n - 1) or n * r * p > _MAX_SCRYPT_WORK:
            raise KeystoreCorrupt(
                f"keystore {path} asks for a scrypt work factor (n={n}, r={r}, p={p}) "
                f"beyond n*r*p = {_MAX_SCRYPT_WORK}, or n is not a power of two; "
                "refused before deriving"
            )
    elif kdf == "pbkdf2":
        if number("c") > _MAX_PBKDF2_ROUNDS:
            raise KeystoreCorrupt(
                f"keystore {path} asks for a PBKDF2 work factor beyond {_MAX_PBKDF2_ROUNDS} rounds"
            )
    else:
        raise KeystoreCorrupt(f"keystore {path} uses an unsupported KDF {kdf!r}")


def unlock_keystore(path: Path, passphrase: str) -> LocalAccount:
    """Decrypt a keystore file into a signing account.

    Raises `KeystoreNotFound`, `KeystoreCorrupt` (also for a file asking for more KDF work than
    `_MAX_SCRYPT_WORK` / `_MAX_PBKDF2_ROUNDS`) or `WrongPassphrase`.
    """
    document = _read_document(path)
    _check_kdf_cost(document, path)
    try:
        key = Account.decrypt(document, passphrase)
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise WrongPassphrase(f"wrong passphrase for keystore {path}") from exc
        raise KeystoreCorrupt(f"keystore {path} cannot be decrypted: {exc}") from exc
    except (KeyError, TypeError) as exc:
        raise KeystoreCorrupt(f"keystore {path} is malformed: {exc}") from exc
    account: LocalAccount = Account.from_key(key)
    recorded = document.get("address")
    if isinstance(recorded, str) and recorded.lower().removeprefix("0x") != (
        account.address.lower().removeprefix("0x")
    ):
        raise KeystoreCorrupt(f"keystore {path} decrypts to another address than it records")
    return account
