"""Encrypted wallet backups: one file, its own passphrase, restorable into a fresh home.

File layout::

    b"LEDGER-WALLET-BACKUP\\n"
    header JSON (one line): format, version, kdf params, salt, canary, created_at
    b"\\n"
    nonce || AES-256-GCM(content JSON)      associated data = the header line

The key comes from the backup passphrase through Argon2id with the backup's own salt. The canary
(AES-GCM of a fixed text) tells a wrong passphrase (`WrongBackupPassphrase`) from damaged or
altered content (`WalletBackupTampered`). The file is written to a temp file and moved into
place with `os.replace`, so a crash never leaves half a backup under the final name.
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger import untrusted_json
from ledger._atomic import write_atomic
from ledger._rand import Clock, Rng
from ledger.errors import (
    InputError,
    JsonRejected,
    WalletAlreadyExists,
    WalletBackupError,
    WalletBackupInvalid,
    WalletBackupTampered,
    WalletPassphraseInvalid,
    WrongBackupPassphrase,
)
from ledger.wallet import _crypto
from ledger.wallet._crypto import DEFAULT_KDF, InvalidTag, KdfParams
from ledger.wallet.home import FILE_MODE
from ledger.wallet.records import KIND_CREDENTIAL, KIND_HISTORY, KIND_KEY, KINDS
from ledger.wallet.store import WalletStore

MAGIC = b"LEDGER-WALLET-BACKUP\n"
FORMAT = "ledger-wallet-backup"
VERSION = 1
_CANARY = b"ledger-wallet backup canary v1"

__all__ = ["BackupInfo", "export_backup", "restore_backup"]


@dataclass(frozen=True)
class BackupInfo:
    """What `export_backup` wrote."""

    path: Path
    created_at: int
    keys: int
    credentials: int
    history: int


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def export_backup(
    store: WalletStore,
    path: Path,
    backup_passphrase: str,
    *,
    kdf_params: KdfParams = DEFAULT_KDF,
    now: Clock | None = None,
    rng: Rng | None = None,
) -> BackupInfo:
    """Write every record of `store` (checked first) to one encrypted file at `path` (0o600)."""
    if not backup_passphrase:
        raise WalletPassphraseInvalid("the backup passphrase must not be empty")
    get_random: Rng = os.urandom if rng is None else rng
    created_at = int((time.time if now is None else now)())
    records = store._records_for_backup()
    salt = get_random(_crypto.SALT_BYTES)
    key = _crypto.derive_key(backup_passphrase, salt, kdf_params)
    canary = _crypto.seal(key, _CANARY, _crypto.aad("backup-canary", salt), get_random)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "kdf": kdf_params.to_json(),
        "salt": _b64(salt),
        "canary": _b64(canary),
        "created_at": created_at,
    }
    header_line = _crypto.canonical_json(header)
    content = _crypto.canonical_json({"records": [[kind, rid, obj] for kind, rid, obj in records]})
    body = _crypto.seal(key, content, _crypto.aad("backup", header_line), get_random)
    path = Path(path)
    try:
        write_atomic(path, MAGIC + header_line + b"\n" + body, mode=FILE_MODE)
    except OSError as exc:
        raise WalletBackupError(f"cannot write backup {path}: {exc.strerror or exc}") from exc
    counts = {kind: sum(1 for k, _, _ in records if k == kind) for kind in KINDS}
    return BackupInfo(
        path, created_at, counts[KIND_KEY], counts[KIND_CREDENTIAL], counts[KIND_HISTORY]
    )


def _parse(raw: bytes) -> tuple[bytes, dict[str, Any], bytes]:
    if not raw.startswith(MAGIC):
        raise WalletBackupInvalid("not a wallet backup file")
    header_line, sep, body = raw[len(MAGIC) :].partition(b"\n")
    if not sep:
        raise WalletBackupInvalid("wallet backup is truncated (no header)")
    try:
        header = untrusted_json.loads(header_line)
    except JsonRejected as exc:
        raise WalletBackupInvalid(f"wallet backup header is not JSON ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise WalletBackupInvalid("not a wallet backup file")
    if header.get("version") != VERSION:
        raise WalletBackupInvalid(f"unsupported wallet backup version {header.get('version')!r}")
    return header_line, header, body


def _load(path: Path, backup_passphrase: str) -> list[tuple[str, str, Any]]:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise WalletBackupInvalid(f"cannot read backup {path}: {exc.strerror or exc}") from exc
    try:
        header_line, header, body = _parse(raw)
    except WalletBackupInvalid as exc:
        raise WalletBackupInvalid(f"{path}: {exc}") from exc
    try:
        salt = base64.b64decode(header["salt"], validate=True)
        canary = base64.b64decode(header["canary"], validate=True)
        params = KdfParams.from_json(header["kdf"])
    except (InputError, KeyError, TypeError, ValueError) as exc:
        raise WalletBackupInvalid(f"malformed wallet backup header: {exc}") from exc
    key = _crypto.derive_key(backup_passphrase, salt, params)
    try:
        _crypto.unseal(key, canary, _crypto.aad("backup-canary", salt))
    except InvalidTag:
        raise WrongBackupPassphrase(
            f"wrong passphrase for backup {path} (or its header was altered)"
        ) from None
    try:
        plain = _crypto.unseal(key, body, _crypto.aad("backup", header_line))
    except InvalidTag:
        raise WalletBackupTampered(
            f"backup {path} fails its authentication tag: altered or damaged"
        ) from None
    try:
        # Authenticated, and as large as the wallet it came from: no size limit of its own.
        content = untrusted_json.loads(plain, max_bytes=len(plain))
    except JsonRejected as exc:
        raise WalletBackupInvalid(f"wallet backup content is not JSON ({exc})") from exc
    records = content.get("records") if isinstance(content, dict) else None
    if not isinstance(records, list):
        raise WalletBackupInvalid("wallet backup content has no records")
    out: list[tuple[str, str, Any]] = []
    for item in records:
        ok = isinstance(item, list) and len(item) == 3 and item[0] in KINDS
        if not ok or not isinstance(item[1], str) or not isinstance(item[2], dict):
            raise WalletBackupInvalid("wallet backup holds a malformed record")
        out.append((item[0], item[1], item[2]))
    return out


def restore_backup(
    path: Path,
    backup_passphrase: str,
    home: Path,
    new_passphrase: str,
    *,
    force: bool = False,
    kdf_params: KdfParams = DEFAULT_KDF,
    now: Clock | None = None,
    rng: Rng | None = None,
) -> WalletStore:
    """Restore the backup at `path` as a new store in `home`, locked by `new_passphrase`.

    Refuses (`WalletAlreadyExists`) if `home` already has a wallet, unless `force` — which
    replaces it atomically. Raises `WrongBackupPassphrase`, `WalletBackupTampered` or
    `WalletBackupInvalid` before touching `home`. Returns the restored store, unlocked.
    """
    if WalletStore.exists(home) and not force:
        raise WalletAlreadyExists(f"a wallet already exists in {home} (use force to replace it)")
    records = _load(path, backup_passphrase)
    return WalletStore._build(
        home, new_passphrase, records, kdf_params=kdf_params, now=now, rng=rng, replace=force
    )
