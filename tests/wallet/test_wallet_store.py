"""WalletStore: create, open, records, passphrases."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from _wallet_sqlite import raw
from world import CHEAP_KDF, PASSPHRASE

from ledger.errors import (
    InputError,
    WalletAlreadyExists,
    WalletHomeUnusable,
    WalletNotFound,
    WalletPassphraseInvalid,
    WalletRecordNotFound,
    WrongWalletPassphrase,
)
from ledger.wallet import HistoryEntry, KdfParams, StoredCredential, WalletStore, _crypto
from ledger.wallet.store import store_path


def test_created_store_reopens_with_every_record(store: WalletStore, home: Path) -> None:
    store.close()
    with WalletStore.open(home, PASSPHRASE) as again:
        assert [c.cred_id for c in again.list_credentials()] == ["cred-a", "cred-b"]
        assert again.get_credential("cred-b").compact == "eyJhbGciOi.B.sig~d2~"
        assert again.get_credential("cred-a").metadata == {"issuer": "0xCPR", "vct": "urn:person"}
        (key,) = again.keys()
        assert key.key_id == "holder-1" and key.jwk["d"] == "SECRET-D"
        (entry,) = again.history()
        assert entry.verifier_name == "Municipality" and entry.claims == ("age_over_18",)
        assert again.verify().credentials == 2


def test_wrong_passphrase_is_rejected_clearly(store: WalletStore, home: Path) -> None:
    store.close()
    with pytest.raises(WrongWalletPassphrase, match="wrong passphrase"):
        WalletStore.open(home, "not the passphrase")


def test_open_without_wallet_raises_not_found(home: Path) -> None:
    with pytest.raises(WalletNotFound):
        WalletStore.open(home, PASSPHRASE)
    assert not home.exists()


def test_create_refuses_to_overwrite_an_existing_wallet(store: WalletStore, home: Path) -> None:
    with pytest.raises(WalletAlreadyExists):
        WalletStore.create(home, "other", kdf_params=CHEAP_KDF)
    assert len(store.list_credentials()) == 2


def test_create_where_the_home_cannot_be_made_raises_home_unusable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(WalletHomeUnusable) as raised:
        WalletStore.create(blocker / "wallet", PASSPHRASE, kdf_params=CHEAP_KDF)
    assert str(raised.value) == f"cannot create a wallet in {blocker / 'wallet'}: Not a directory"


def test_empty_passphrase_is_refused(home: Path) -> None:
    with pytest.raises(WalletPassphraseInvalid):
        WalletStore.create(home, "", kdf_params=CHEAP_KDF)
    assert not store_path(home).exists()


def test_store_uses_injected_clock(store: WalletStore) -> None:
    stored = store.put_credential("cred-c", "x.y.z~", {})
    assert stored == StoredCredential("cred-c", "x.y.z~", {}, stored.stored_at)
    assert 1_700_000_000 <= stored.stored_at < 1_700_000_100
    assert store.get_credential("cred-c").stored_at == stored.stored_at


def test_put_credential_replaces_same_id(store: WalletStore) -> None:
    store.put_credential("cred-a", "new~", {"label": "renewed"})
    assert store.get_credential("cred-a").compact == "new~"
    assert len(store.list_credentials()) == 2


def test_deleted_credential_is_gone(store: WalletStore) -> None:
    store.delete_credential("cred-a")
    assert [c.cred_id for c in store.list_credentials()] == ["cred-b"]
    with pytest.raises(WalletRecordNotFound):
        store.get_credential("cred-a")
    with pytest.raises(WalletRecordNotFound):
        store.delete_credential("cred-a")
    store.verify()


def test_unknown_ids_raise_record_not_found(store: WalletStore) -> None:
    with pytest.raises(WalletRecordNotFound):
        store.get_credential("nope")
    with pytest.raises(WalletRecordNotFound):
        store.get_key("nope")


def test_history_keeps_insertion_order(store: WalletStore) -> None:
    for i in range(12):
        store.add_history(
            verifier_address=f"0x{i}",
            verifier_name=f"v{i}",
            purpose="p",
            claims=["a", "b"],
            credential_id="cred-b",
            at=2_000_000_000 - i,
        )
    entries = store.history()
    assert [e.seq for e in entries] == list(range(1, 14))
    assert entries[-1] == HistoryEntry(
        13, 2_000_000_000 - 11, "0x11", "v11", "p", ("a", "b"), "cred-b"
    )


def test_meta_values_round_trip(store: WalletStore) -> None:
    assert store.get_meta("default_key", "none") == "none"
    store.set_meta("default_key", "holder-1")
    store.set_meta("settings", {"qr": True, "n": [1, 2]})
    assert store.get_meta("default_key") == "holder-1"
    assert store.get_meta("settings") == {"qr": True, "n": [1, 2]}


def test_non_json_metadata_is_input_error(store: WalletStore) -> None:
    with pytest.raises(InputError):
        store.put_credential("cred-x", "a~", {"when": object()})
    with pytest.raises(InputError):
        store.put_credential("", "a~", {})
    assert len(store.list_credentials()) == 2


def test_every_write_advances_the_generation(store: WalletStore) -> None:
    before = store.generation
    store.set_meta("a", 1)
    store.delete_credential("cred-b")
    assert store.generation == before + 2


def test_nothing_secret_is_on_disk_in_clear(store: WalletStore, home: Path) -> None:
    store.close()
    data = store_path(home).read_bytes()
    for secret in (PASSPHRASE, "SECRET-D", "eyJhbGciOi", "Municipality", "0xCPR", "age_over_18"):
        assert secret.encode() not in data
    conn = raw(home)
    salt, kdf = conn.execute("SELECT salt, kdf FROM header").fetchone()
    conn.close()
    key = _crypto.derive_key(PASSPHRASE, salt, KdfParams.from_json(json.loads(kdf)))
    assert key not in data
    assert key.hex().encode() not in data


def test_kdf_parameters_are_stored_in_the_header(store: WalletStore, home: Path) -> None:
    store.close()
    with WalletStore.open(home, PASSPHRASE) as again:
        assert again.kdf_params == CHEAP_KDF


def test_change_passphrase_reencrypts_and_can_raise_cost(store: WalletStore, home: Path) -> None:
    stronger = KdfParams(memory_kib=2048, iterations=2, lanes=1)
    store.change_passphrase("new passphrase", kdf_params=stronger)
    assert store.get_credential("cred-a").compact == "eyJhbGciOi.A.sig~d1~"
    store.close()
    with pytest.raises(WrongWalletPassphrase):
        WalletStore.open(home, PASSPHRASE)
    with WalletStore.open(home, "new passphrase") as again:
        assert again.kdf_params == stronger
        assert again.verify().keys == 1


def test_two_handles_see_each_others_writes(
    store: WalletStore, home: Path, clock: Callable[[], float]
) -> None:
    with WalletStore.open(home, PASSPHRASE, now=clock) as other:
        other.put_credential("cred-c", "c~", {})
        store.put_credential("cred-d", "d~", {})
        assert [c.cred_id for c in other.list_credentials()] == [
            "cred-a",
            "cred-b",
            "cred-c",
            "cred-d",
        ]
    store.verify()


def test_default_kdf_is_rfc9106_second_recommendation() -> None:
    assert KdfParams(memory_kib=65536, iterations=3, lanes=4) == _crypto.DEFAULT_KDF
