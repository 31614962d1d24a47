"""Agency keys on disk: the Ethereum account and the P-256 credential-signing keys.

Everything lives in keystore V3 files under the ledger home's keystores directory, encrypted
under a passphrase (which comes from a prompt or an environment variable, never argv):

    <keystores>/<name>.json                          the agency account (secp256k1)
    <keystores>/<name>.signing.<kid>.json            a P-256 signing key (its 32-byte scalar)
    <keystores>/<name>.signing.<kid>.jwk.json        its public JWK (public, unencrypted)

A P-256 private scalar is below the secp256k1 group order too, so the eth-account keystore
encrypts it unchanged; the address recorded in such a file is meaningless and is not used.
`kid` is the base64url RFC 7638 thumbprint (the JWT header `kid`; the raw 32 bytes are the
on-chain key id).

Chain operations on keys (register, rotate, revoke) are thin wrappers over `LedgerChain`;
registering unlocks the key, as the registry wants its signature (proof of possession).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from eth_account.signers.local import LocalAccount

from ledger import untrusted_json
from ledger._atomic import write_atomic
from ledger._b64 import b64d, b64e
from ledger.chain.client import KeyInfo, LedgerChain
from ledger.chain.keystore import create_keystore, keystore_address, unlock_keystore
from ledger.chain.sender import Receipt
from ledger.errors import (
    AgencyKeyExists,
    AgencyKeyNotFound,
    InputError,
    JsonRejected,
    KeystoreExists,
)
from ledger.home import keystores_dir
from ledger.sdjwt.jwk import SigningKey, public_key_from_jwk

__all__ = ["AgencyKeyring", "kid_bytes"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_KID = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SIGNING = ".signing."


def kid_bytes(kid: str) -> bytes:
    """The raw 32-byte thumbprint (on-chain key id) of a base64url `kid`."""
    try:
        if _KID.match(kid):
            return b64d(kid, InputError)
    except InputError:
        pass
    raise InputError(f"not a key id (base64url SHA-256 thumbprint): {kid!r}")


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InputError(
            f"agency key name {name!r}: use letters, digits, '-' and '_' (at most 64 characters)"
        )
    return name


class AgencyKeyring:
    """The agency keystores under a ledger home. The constructor does no I/O.

    `kdf` / `work_factor` are passed to the keystore encryption: leave them at their defaults
    (scrypt, eth-account's work factor) outside tests.
    """

    def __init__(
        self,
        home: Path,
        *,
        kdf: Literal["scrypt", "pbkdf2"] = "scrypt",
        work_factor: int | None = None,
    ) -> None:
        self._home = Path(home)
        self._kdf: Literal["scrypt", "pbkdf2"] = kdf
        self._work_factor = work_factor

    @property
    def directory(self) -> Path:
        """The keystores directory (created on first use)."""
        return keystores_dir(self._home)

    # -- paths --------------------------------------------------------------------------------

    def account_path(self, name: str) -> Path:
        """The account keystore file of agency `name`."""
        return self.directory / f"{_check_name(name)}.json"

    def signing_key_path(self, name: str, kid: str) -> Path:
        """The keystore file of signing key `kid` of agency `name`."""
        kid_bytes(kid)
        return self.directory / f"{_check_name(name)}{_SIGNING}{kid}.json"

    def _jwk_path(self, name: str, kid: str) -> Path:
        kid_bytes(kid)
        return self.directory / f"{_check_name(name)}{_SIGNING}{kid}.jwk.json"

    # -- accounts -----------------------------------------------------------------------------

    def create_account(
        self, name: str, passphrase: str, *, private_key: bytes | None = None
    ) -> str:
        """Create agency `name`'s account keystore (a new random key unless `private_key` is
        given); returns its address. `AgencyKeyExists` if the name is taken."""
        try:
            return create_keystore(
                self.account_path(name),
                passphrase,
                private_key=private_key,
                kdf=self._kdf,
                work_factor=self._work_factor,
            )
        except KeystoreExists as exc:
            raise AgencyKeyExists(f"agency account {name!r} already exists") from exc

    def accounts(self) -> dict[str, str]:
        """Agency names and their addresses (read without unlocking), sorted by name."""
        out: dict[str, str] = {}
        for path in sorted(self.directory.glob("*.json")):
            if _SIGNING in path.name or not _NAME.match(path.stem):
                continue
            out[path.stem] = keystore_address(path)
        return out

    def address(self, name: str) -> str:
        """Agency `name`'s address, without unlocking."""
        path = self.account_path(name)
        if not path.exists():
            raise AgencyKeyNotFound(f"no agency account {name!r} in {self.directory}")
        return keystore_address(path)

    def unlock_account(self, name: str, passphrase: str) -> LocalAccount:
        """Decrypt agency `name`'s account (`AgencyKeyNotFound`, `WrongPassphrase`)."""
        path = self.account_path(name)
        if not path.exists():
            raise AgencyKeyNotFound(f"no agency account {name!r} in {self.directory}")
        return unlock_keystore(path, passphrase)

    # -- signing keys -------------------------------------------------------------------------

    def create_signing_key(self, name: str, passphrase: str) -> str:
        """Create a P-256 signing key for agency `name`, stored encrypted; returns its `kid`."""
        return self.import_signing_key(name, SigningKey.generate(), passphrase)

    def import_signing_key(self, name: str, key: SigningKey, passphrase: str) -> str:
        """Store an existing signing key encrypted under `passphrase`; returns its `kid`."""
        kid = key.kid
        jwk_path = self._jwk_path(name, kid)
        if jwk_path.exists():
            raise AgencyKeyExists(f"signing key {kid} of {name!r} already exists")
        scalar = b64d(key.to_private_jwk()["d"])
        try:
            create_keystore(
                self.signing_key_path(name, kid),
                passphrase,
                private_key=scalar,
                kdf=self._kdf,
                work_factor=self._work_factor,
            )
        except KeystoreExists as exc:
            raise AgencyKeyExists(f"signing key {kid} of {name!r} already exists") from exc
        write_atomic(jwk_path, json.dumps(key.public_jwk, sort_keys=True) + "\n")
        return kid

    def signing_keys(self, name: str) -> list[str]:
        """The kids of agency `name`'s signing keys, sorted."""
        prefix = f"{_check_name(name)}{_SIGNING}"
        return sorted(
            p.name[len(prefix) : -len(".jwk.json")]
            for p in self.directory.glob(f"{prefix}*.jwk.json")
        )

    def public_jwk(self, name: str, kid: str) -> dict[str, str]:
        """The public JWK of a signing key, without unlocking anything."""
        path = self._jwk_path(name, kid)
        try:
            jwk = untrusted_json.load_file(path)
        except FileNotFoundError as exc:
            raise AgencyKeyNotFound(f"no signing key {kid} of {name!r}") from exc
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        except JsonRejected as exc:
            raise type(exc)(f"{path}: not a JSON file ({exc})") from exc
        key = public_key_from_jwk(jwk)
        if key.kid != kid:
            raise InputError(f"{path} holds the public key of another kid ({key.kid})")
        return key.jwk

    def unlock_signing_key(self, name: str, kid: str, passphrase: str) -> SigningKey:
        """Decrypt a signing key (`AgencyKeyNotFound`, `WrongPassphrase`); checks its kid."""
        path = self.signing_key_path(name, kid)
        if not path.exists():
            raise AgencyKeyNotFound(f"no signing key {kid} of {name!r}")
        scalar = bytes(unlock_keystore(path, passphrase).key)
        jwk = {**self.public_jwk(name, kid), "d": b64e(scalar)}
        return SigningKey.from_private_jwk(jwk)

    # -- on chain -----------------------------------------------------------------------------

    def register(
        self,
        chain: LedgerChain,
        name: str,
        kid: str,
        passphrase: str,
        *,
        valid_from: int = 0,
        valid_until: int = 0,
    ) -> Receipt:
        """Register signing key `kid` of `name` for the agency signing `chain` (0 = now / open).
        The key is unlocked to sign the registry's proof of possession."""
        key = self.unlock_signing_key(name, kid, passphrase)
        return chain.register_key(key, valid_from=valid_from, valid_until=valid_until)

    def rotate(
        self,
        chain: LedgerChain,
        name: str,
        old_kid: str,
        new_kid: str,
        passphrase: str,
        *,
        valid_until: int = 0,
    ) -> Receipt:
        """Register `new_kid` from now and end `old_kid` now, in one transaction. The new key
        is unlocked to sign the registry's proof of possession."""
        key = self.unlock_signing_key(name, new_kid, passphrase)
        return chain.rotate_key(kid_bytes(old_kid), key, valid_until=valid_until)

    @staticmethod
    def revoke(chain: LedgerChain, kid: str) -> Receipt:
        """Emergency revocation of one of the agency's keys (e.g. reported stolen)."""
        return chain.revoke_key(kid_bytes(kid))

    @staticmethod
    def on_chain(chain: LedgerChain, kid: str) -> KeyInfo:
        """The key's on-chain record (agency None if never registered)."""
        return chain.key(kid_bytes(kid))
