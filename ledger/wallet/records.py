"""What the wallet store keeps: holder keys, credentials, disclosure history (and, as JSON
records of `ledger.wallet.data_consents`, the citizen's consents to once-only pulls).

Frozen dataclasses returned by `WalletStore`. Each has a JSON form (`to_json` / `from_json`)
which is what gets encrypted into the store and into backups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ledger.errors import InputError, WalletStoreCorrupt

KIND_KEY: Final = "key"
KIND_CREDENTIAL: Final = "credential"
KIND_HISTORY: Final = "history"
KIND_META: Final = "meta"
#: The citizen's consents to once-only pulls (`ledger.wallet.data_consents`).
KIND_DATA_CONSENT: Final = "data-consent"
KINDS: Final = (KIND_KEY, KIND_CREDENTIAL, KIND_HISTORY, KIND_META, KIND_DATA_CONSENT)

__all__ = [
    "KINDS",
    "KIND_CREDENTIAL",
    "KIND_DATA_CONSENT",
    "KIND_HISTORY",
    "KIND_KEY",
    "KIND_META",
    "HistoryEntry",
    "HolderKeyRecord",
    "StoredCredential",
]


def _str(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise WalletStoreCorrupt(f"record field {name!r} is not a string")
    return value


def _int(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise WalletStoreCorrupt(f"record field {name!r} is not an integer")
    return value


def _dict(obj: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = obj.get(name)
    if not isinstance(value, dict):
        raise WalletStoreCorrupt(f"record field {name!r} is not an object")
    return value


def check_record_id(record_id: str) -> str:
    """Return `record_id` if it is a usable id (1–200 printable characters), else raise."""
    if not isinstance(record_id, str) or not 0 < len(record_id) <= 200:
        raise InputError(
            f"record id must be a non-empty string of at most 200 chars: {record_id!r}"
        )
    if not record_id.isprintable():
        raise InputError(f"record id must be printable: {record_id!r}")
    return record_id


@dataclass(frozen=True)
class HolderKeyRecord:
    """A holder key pair: `jwk` is the private JWK (with `d`); `key_id` names it in the wallet."""

    key_id: str
    jwk: Mapping[str, Any]
    created_at: int
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form (as encrypted in the store)."""
        return {
            "key_id": self.key_id,
            "jwk": dict(self.jwk),
            "created_at": self.created_at,
            "label": self.label,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> HolderKeyRecord:
        """Parse the JSON form; raise WalletStoreCorrupt if it is not one."""
        return cls(
            _str(obj, "key_id"), _dict(obj, "jwk"), _int(obj, "created_at"), _str(obj, "label")
        )


@dataclass(frozen=True)
class StoredCredential:
    """A credential as imported: the SD-JWT compact form plus wallet metadata.

    `metadata` is free-form JSON chosen by the importer (issuer, vct, type id, anchor info such as
    batch root and inclusion proof, a label, ...). `stored_at` is when the wallet stored it.
    """

    cred_id: str
    compact: str
    metadata: Mapping[str, Any]
    stored_at: int

    def to_json(self) -> dict[str, Any]:
        """JSON form (as encrypted in the store)."""
        return {
            "cred_id": self.cred_id,
            "compact": self.compact,
            "metadata": dict(self.metadata),
            "stored_at": self.stored_at,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> StoredCredential:
        """Parse the JSON form; raise WalletStoreCorrupt if it is not one."""
        return cls(
            _str(obj, "cred_id"),
            _str(obj, "compact"),
            _dict(obj, "metadata"),
            _int(obj, "stored_at"),
        )


@dataclass(frozen=True)
class HistoryEntry:
    """One disclosure: when (`at`, unix seconds), to whom, why, which claims, from which credential.

    `seq` orders the history (1, 2, 3, ... in the order entries were added).
    """

    seq: int
    at: int
    verifier_address: str
    verifier_name: str
    purpose: str
    claims: tuple[str, ...]
    credential_id: str

    def to_json(self) -> dict[str, Any]:
        """JSON form (as encrypted in the store)."""
        return {
            "seq": self.seq,
            "at": self.at,
            "verifier_address": self.verifier_address,
            "verifier_name": self.verifier_name,
            "purpose": self.purpose,
            "claims": list(self.claims),
            "credential_id": self.credential_id,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> HistoryEntry:
        """Parse the JSON form; raise WalletStoreCorrupt if it is not one."""
        claims = obj.get("claims")
        if not isinstance(claims, list) or not all(isinstance(c, str) for c in claims):
            raise WalletStoreCorrupt("record field 'claims' is not a list of strings")
        return cls(
            _int(obj, "seq"),
            _int(obj, "at"),
            _str(obj, "verifier_address"),
            _str(obj, "verifier_name"),
            _str(obj, "purpose"),
            tuple(claims),
            _str(obj, "credential_id"),
        )


def history_record_id(seq: int) -> str:
    """Row id of history entry `seq`: zero-padded so ids sort in insertion order."""
    return f"{seq:012d}"
