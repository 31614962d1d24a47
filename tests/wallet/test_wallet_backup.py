"""Encrypted backups: round trip into a fresh home, wrong passphrase, tampering, overwrite."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from world import CHEAP_KDF, PASSPHRASE

from ledger.errors import (
    WalletAlreadyExists,
    WalletBackupError,
    WalletBackupInvalid,
    WalletBackupTampered,
    WalletStoreTampered,
    WrongBackupPassphrase,
    WrongWalletPassphrase,
)
from ledger.wallet import WalletStore, export_backup, restore_backup
from ledger.wallet.backup import MAGIC
from ledger.wallet.store import store_path

BACKUP_PASS = "backup passphrase"


@pytest.fixture
def backup(store: WalletStore, tmp_path: Path) -> Path:
    path = tmp_path / "wallet.backup"
    info = export_backup(store, path, BACKUP_PASS, kdf_params=CHEAP_KDF)
    assert (info.keys, info.credentials, info.history) == (1, 2, 1)
    return path


def test_restore_on_a_fresh_home_gives_back_everything(
    store: WalletStore, backup: Path, tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh"
    with restore_backup(backup, BACKUP_PASS, fresh, "new pass", kdf_params=CHEAP_KDF) as r:
        assert r.list_credentials() == store.list_credentials()
        assert r.keys() == store.keys()
        assert r.history() == store.history()
        assert r.store_id != store.store_id
    with WalletStore.open(fresh, "new pass") as again:
        assert again.verify().credentials == 2
    with pytest.raises(WrongWalletPassphrase):
        WalletStore.open(fresh, BACKUP_PASS)


def test_backup_file_is_private_and_has_no_plaintext(backup: Path) -> None:
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    data = backup.read_bytes()
    assert data.startswith(MAGIC)
    for secret in ("SECRET-D", "eyJhbGciOi", "Municipality", BACKUP_PASS, PASSPHRASE):
        assert secret.encode() not in data
    assert not [p for p in backup.parent.iterdir() if p.name.endswith(".tmp")]


def test_wrong_backup_passphrase_is_rejected(backup: Path, tmp_path: Path) -> None:
    with pytest.raises(WrongBackupPassphrase):
        restore_backup(backup, "wrong", tmp_path / "fresh", "new pass", kdf_params=CHEAP_KDF)
    assert not (tmp_path / "fresh").exists()


@pytest.mark.parametrize("offset_from_end", [1, 17, 200])
def test_tampered_backup_content_is_rejected(
    backup: Path, tmp_path: Path, offset_from_end: int
) -> None:
    data = bytearray(backup.read_bytes())
    data[-offset_from_end] ^= 0x80
    backup.write_bytes(bytes(data))
    with pytest.raises(WalletBackupTampered):
        restore_backup(backup, BACKUP_PASS, tmp_path / "fresh", "new pass", kdf_params=CHEAP_KDF)
    assert not (tmp_path / "fresh").exists()


def test_tampered_backup_header_is_rejected(backup: Path, tmp_path: Path) -> None:
    data = backup.read_bytes()
    edited = data.replace(b'"created_at":', b'"created_at":1', 1)
    assert edited != data
    backup.write_bytes(edited)
    with pytest.raises(WalletBackupTampered):
        restore_backup(backup, BACKUP_PASS, tmp_path / "fresh", "new pass", kdf_params=CHEAP_KDF)


def test_truncated_backup_is_rejected(backup: Path, tmp_path: Path) -> None:
    data = backup.read_bytes()
    backup.write_bytes(data[: len(data) - 40])
    with pytest.raises(WalletBackupTampered):
        restore_backup(backup, BACKUP_PASS, tmp_path / "fresh", "new pass", kdf_params=CHEAP_KDF)
    backup.write_bytes(data[:10])
    with pytest.raises(WalletBackupInvalid):
        restore_backup(backup, BACKUP_PASS, tmp_path / "fresh", "new pass", kdf_params=CHEAP_KDF)


def test_non_backup_file_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"hello")
    with pytest.raises(WalletBackupInvalid):
        restore_backup(path, BACKUP_PASS, tmp_path / "fresh", "new pass", kdf_params=CHEAP_KDF)
    with pytest.raises(WalletBackupInvalid):
        restore_backup(tmp_path / "missing", BACKUP_PASS, tmp_path / "f", "p", kdf_params=CHEAP_KDF)


def test_restore_refuses_an_existing_wallet_unless_forced(
    store: WalletStore, backup: Path, home: Path
) -> None:
    store.put_credential("only-in-live-wallet", "z~", {})
    store.close()
    with pytest.raises(WalletAlreadyExists):
        restore_backup(backup, BACKUP_PASS, home, "new pass", kdf_params=CHEAP_KDF)
    with WalletStore.open(home, PASSPHRASE) as live:
        assert len(live.list_credentials()) == 3
    restore_backup(backup, BACKUP_PASS, home, "new pass", force=True, kdf_params=CHEAP_KDF).close()
    with WalletStore.open(home, "new pass") as restored:
        assert [c.cred_id for c in restored.list_credentials()] == ["cred-a", "cred-b"]


def test_backup_of_a_tampered_store_is_refused(
    store: WalletStore, home: Path, tmp_path: Path
) -> None:
    conn = sqlite3.connect(store_path(home), isolation_level=None)
    conn.execute("DELETE FROM records WHERE kind = 'key'")
    conn.close()
    with pytest.raises(WalletStoreTampered):
        export_backup(store, tmp_path / "b", BACKUP_PASS, kdf_params=CHEAP_KDF)
    assert not (tmp_path / "b").exists()


def test_export_overwrites_an_older_backup_atomically(store: WalletStore, backup: Path) -> None:
    store.delete_credential("cred-a")
    export_backup(store, backup, BACKUP_PASS, kdf_params=CHEAP_KDF)
    fresh = backup.parent / "fresh"
    with restore_backup(backup, BACKUP_PASS, fresh, "p", kdf_params=CHEAP_KDF) as restored:
        assert [c.cred_id for c in restored.list_credentials()] == ["cred-b"]


def test_backup_with_absurd_kdf_parameters_is_invalid(backup: Path, tmp_path: Path) -> None:
    data = backup.read_bytes()
    edited = data.replace(b'"memory_kib":1024', b'"memory_kib":999999999999', 1)
    assert edited != data
    backup.write_bytes(edited)
    with pytest.raises(WalletBackupInvalid, match="header"):
        restore_backup(backup, BACKUP_PASS, tmp_path / "fresh", "new pass", kdf_params=CHEAP_KDF)


def test_backup_into_a_missing_directory_raises_backup_error(
    store: WalletStore, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "wallet.backup"
    with pytest.raises(WalletBackupError) as raised:
        export_backup(store, target, BACKUP_PASS, kdf_params=CHEAP_KDF)
    assert str(raised.value) == f"cannot write backup {target}: No such file or directory"
    assert not (tmp_path / "missing").exists()


def test_restoring_a_file_that_is_not_a_backup_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_text("Dear Karen,")
    with pytest.raises(WalletBackupInvalid) as raised:
        restore_backup(path, BACKUP_PASS, tmp_path / "fresh", "new pass", kdf_params=CHEAP_KDF)
    assert str(raised.value) == f"{path}: not a wallet backup file"
