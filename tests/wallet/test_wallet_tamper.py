"""Edits made to the store file outside the wallet are detected, never silently used."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from _wallet_sqlite import blob, execute, set_blob
from world import CHEAP_KDF, PASSPHRASE

from ledger.errors import WalletStoreCorrupt, WalletStoreTampered
from ledger.wallet import WalletStore
from ledger.wallet.store import store_path


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def test_flipped_ciphertext_byte_is_detected_naming_the_record(
    store: WalletStore, home: Path
) -> None:
    store.close()
    set_blob(home, "credential", "cred-b", _flip(blob(home, "credential", "cred-b"), 20))
    with pytest.raises(WalletStoreTampered, match="credential record 'cred-b'"):
        WalletStore.open(home, PASSPHRASE)


def test_tampering_while_open_is_detected_on_next_read(store: WalletStore, home: Path) -> None:
    set_blob(home, "key", "holder-1", _flip(blob(home, "key", "holder-1"), 30))
    with pytest.raises(WalletStoreTampered, match="key record 'holder-1'"):
        store.keys()
    with pytest.raises(WalletStoreTampered, match="holder-1"):
        store.get_key("holder-1")
    assert store.get_credential("cred-a").compact.startswith("eyJ")


def test_deleted_row_is_detected(store: WalletStore, home: Path) -> None:
    store.close()
    execute(home, "DELETE FROM records WHERE kind = 'credential' AND rid = 'cred-a'")
    with pytest.raises(WalletStoreTampered, match="'cred-a' is missing"):
        WalletStore.open(home, PASSPHRASE)


def test_deleted_row_is_detected_by_an_open_store(store: WalletStore, home: Path) -> None:
    execute(home, "DELETE FROM records WHERE kind = 'history'")
    with pytest.raises(WalletStoreTampered, match="missing"):
        store.history()
    execute(home, "DELETE FROM records WHERE kind = 'credential' AND rid = 'cred-b'")
    with pytest.raises(WalletStoreTampered, match="'cred-b' is missing"):
        store.get_credential("cred-b")


def test_row_reverted_to_an_older_ciphertext_is_detected(store: WalletStore, home: Path) -> None:
    old = blob(home, "credential", "cred-a")
    store.put_credential("cred-a", "renewed~", {"label": "new"})
    store.close()
    set_blob(home, "credential", "cred-a", old)
    with pytest.raises(WalletStoreTampered, match="rolled back"):
        WalletStore.open(home, PASSPHRASE)


def test_deleted_credential_cannot_be_resurrected(store: WalletStore, home: Path) -> None:
    old = blob(home, "credential", "cred-a")
    store.delete_credential("cred-a")
    store.close()
    execute(home, "INSERT INTO records VALUES ('credential', 'cred-a', ?)", old)
    with pytest.raises(WalletStoreTampered, match="not in the manifest"):
        WalletStore.open(home, PASSPHRASE)


def test_swapped_records_are_detected(store: WalletStore, home: Path) -> None:
    store.close()
    a, b = blob(home, "credential", "cred-a"), blob(home, "credential", "cred-b")
    set_blob(home, "credential", "cred-a", b)
    set_blob(home, "credential", "cred-b", a)
    with pytest.raises(WalletStoreTampered, match="swapped"):
        WalletStore.open(home, PASSPHRASE)


def test_record_from_another_wallet_is_detected(
    store: WalletStore, home: Path, tmp_path: Path
) -> None:
    other_home = tmp_path / "other"
    with WalletStore.create(other_home, PASSPHRASE, kdf_params=CHEAP_KDF) as other:
        other.put_credential("cred-a", "forged~", {})
    store.close()
    set_blob(home, "credential", "cred-a", blob(other_home, "credential", "cred-a"))
    with pytest.raises(WalletStoreTampered, match="cred-a"):
        WalletStore.open(home, PASSPHRASE)


@pytest.mark.parametrize(
    ("kind", "rid", "other_kind", "other_rid"),
    [
        ("credential", "cred-a", "credential", "cred-b"),
        ("credential", "cred-a", "history", "cred-a"),
        ("key", "holder-1", "credential", "holder-1"),
    ],
)
def test_ciphertext_is_bound_to_its_kind_and_id(
    store: WalletStore, home: Path, kind: str, rid: str, other_kind: str, other_rid: str
) -> None:
    # The manifest catches moved rows first; the AES-GCM associated data is the second wall.
    moved = blob(home, kind, rid)
    with pytest.raises(WalletStoreTampered, match="authentication tag"):
        store._decrypt_row(other_kind, other_rid, moved)
    assert store._decrypt_row(kind, rid, moved)


def test_tampered_manifest_is_detected(store: WalletStore, home: Path) -> None:
    store.close()
    conn = sqlite3.connect(store_path(home))
    (manifest,) = conn.execute("SELECT manifest FROM header").fetchone()
    conn.execute("UPDATE header SET manifest = ?", (_flip(manifest, 40),))
    conn.commit()
    conn.close()
    with pytest.raises(WalletStoreTampered, match="manifest"):
        WalletStore.open(home, PASSPHRASE)


@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_file_is_corrupt(store: WalletStore, home: Path, keep: float) -> None:
    for i in range(40):  # make the file span many pages
        store.put_credential(f"bulk-{i}", "x" * 3000 + "~", {"i": i})
    store.close()
    path = store_path(home)
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(int(size * keep))
    with pytest.raises(WalletStoreCorrupt):
        WalletStore.open(home, PASSPHRASE)


@pytest.mark.parametrize(
    "content", [b"", b"garbage" * 100, b"SQLite format 3\x00" + b"\xff" * 5000]
)
def test_garbage_file_is_corrupt(home: Path, content: bytes) -> None:
    home.mkdir()
    store_path(home).write_bytes(content)
    with pytest.raises(WalletStoreCorrupt):
        WalletStore.open(home, PASSPHRASE)


def test_sqlite_database_that_is_not_a_wallet_is_corrupt(home: Path) -> None:
    home.mkdir()
    conn = sqlite3.connect(store_path(home))
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(WalletStoreCorrupt, match="not a wallet store"):
        WalletStore.open(home, PASSPHRASE)


def test_unchanged_copy_of_a_store_opens(store: WalletStore, home: Path, tmp_path: Path) -> None:
    store.close()
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(store_path(home), store_path(copy))
    with WalletStore.open(copy, PASSPHRASE) as again:
        assert again.verify().credentials == 2


def test_absurd_kdf_parameters_in_header_are_refused_before_deriving(
    store: WalletStore, home: Path
) -> None:
    store.close()
    execute(
        home,
        "UPDATE header SET kdf = ?",
        '{"alg": "argon2id", "memory_kib": 1099511627776, "iterations": 3, "lanes": 4}',
    )
    with pytest.raises(WalletStoreCorrupt, match="KDF"):
        WalletStore.open(home, PASSPHRASE)
