"""A damaged wallet file is told apart from a wrong passphrase (issue 13, 4c).

The right passphrase on a file with any byte flipped gives a `WalletStoreDamaged` error (or, for
a flip in bytes SQLite does not use, the intact wallet), never `WrongWalletPassphrase`; a wrong
passphrase on an intact file gives `WrongWalletPassphrase`. `data/wallet-store-v1.sqlite` was
written by the store before header checksums (format version 1, commit 51953b4): it still opens,
and is upgraded in place.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from _wallet_sqlite import execute
from click.testing import CliRunner
from world import CHEAP_KDF, PASSPHRASE

from ledger.cli import wallet_cli
from ledger.errors import (
    WalletHeaderDamaged,
    WalletStoreCorrupt,
    WalletStoreDamaged,
    WalletStoreTampered,
    WrongWalletPassphrase,
)
from ledger.wallet import WalletStore
from ledger.wallet.store import store_path

V1_FIXTURE = Path(__file__).with_name("data") / "wallet-store-v1.sqlite"
PAGE = 4096


def _contents(store: WalletStore) -> Any:
    """Everything the store holds, decrypted and checked, in a comparable form."""
    return (
        store.verify(),
        store.keys(),
        store.list_credentials(),
        store.history(),
        store.get_meta("default_key"),
    )


def _small_store(home: Path) -> Any:
    with WalletStore.create(home, PASSPHRASE, kdf_params=CHEAP_KDF, now=lambda: 1.7e9) as s:
        s.put_key("holder-1", {"kty": "EC", "crv": "P-256", "x": "X", "y": "Y", "d": "SECRET"})
        s.put_credential("cred-a", "eyJhbGciOi.A.sig~d1~", {"issuer": "0xCPR"})
        s.put_credential("cred-b", "eyJhbGciOi.B.sig~d2~", {"issuer": "0xROAD"})
        s.add_history(
            verifier_address="0xMUNI",
            verifier_name="Municipality",
            purpose="age check",
            claims=["age_over_18"],
            credential_id="cred-a",
        )
        s.set_meta("default_key", "holder-1")
        return _contents(s)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Any]:
    """The bytes of a small store in the current format, and what it holds."""
    home = tmp_path_factory.mktemp("pristine") / "w"
    contents = _small_store(home)
    return store_path(home).read_bytes(), contents


def _open_flipped(home: Path, data: bytes, contents: Any, index: int, mask: int) -> str:
    """Write `data` with byte `index` XOR `mask`, open it with the right passphrase: "intact"
    if it opens and holds what it held, else the damage error's class name (failing the test
    on any other outcome)."""
    flipped = bytearray(data)
    flipped[index] ^= mask
    store_path(home).write_bytes(flipped)
    try:
        with WalletStore.open(home, PASSPHRASE) as store:
            return "intact" if _contents(store) == contents else "CHANGED"
    except WalletStoreDamaged as exc:
        return type(exc).__name__


@pytest.mark.parametrize("page", [0, 1, 2])
def test_flipped_byte_is_damage_never_a_wrong_passphrase(
    pristine: tuple[bytes, Any], tmp_path: Path, page: int
) -> None:
    data, contents = pristine
    assert len(data) == 3 * PAGE, "the sample below assumes a three-page file"
    home = tmp_path / "w"
    home.mkdir()
    outcomes: dict[str, list[int]] = {}
    for index in range(page * PAGE, (page + 1) * PAGE):
        # Every byte in use, both ends of it; of the zero filling every 8th (it is unused space).
        masks = (0x01, 0x80) if data[index] else (0x01,) if index % 8 == 0 else ()
        for mask in masks:
            try:
                outcome = _open_flipped(home, data, contents, index, mask)
            except WrongWalletPassphrase:
                outcome = "WrongWalletPassphrase"
            outcomes.setdefault(outcome, []).append(index)
    assert "WrongWalletPassphrase" not in outcomes, outcomes["WrongWalletPassphrase"][:20]
    assert "CHANGED" not in outcomes, outcomes["CHANGED"][:20]
    assert set(outcomes) - {"intact"}, "no flip was detected at all: the sample is wrong"


def test_wrong_passphrase_on_an_intact_store_is_a_wrong_passphrase(
    pristine: tuple[bytes, Any], tmp_path: Path
) -> None:
    home = tmp_path / "w"
    home.mkdir()
    store_path(home).write_bytes(pristine[0])
    with pytest.raises(WrongWalletPassphrase, match="wrong passphrase"):
        WalletStore.open(home, "not the passphrase")


@pytest.mark.parametrize("column", ["salt", "kdf", "store_id", "canary", "created_at"])
def test_damaged_header_field_is_named_as_the_header(
    pristine: tuple[bytes, Any], tmp_path: Path, column: str
) -> None:
    home = tmp_path / "w"
    home.mkdir()
    store_path(home).write_bytes(pristine[0])
    conn = sqlite3.connect(store_path(home))
    (value,) = conn.execute(f"SELECT {column} FROM header").fetchone()
    changed: object
    if isinstance(value, bytes):
        changed = bytes([value[0] ^ 0x01]) + value[1:]
    elif isinstance(value, str):
        changed = value.replace("65536", "65537").replace("1024", "1025")
    else:
        changed = value + 1
    assert changed != value
    conn.execute(f"UPDATE header SET {column} = ?", (changed,))
    conn.commit()
    conn.close()
    with pytest.raises(WalletHeaderDamaged, match="header"):
        WalletStore.open(home, PASSPHRASE)
    with pytest.raises(WalletHeaderDamaged):  # no passphrase could open it: said so for any
        WalletStore.open(home, "not the passphrase")


def test_damage_families_are_one(tmp_path: Path) -> None:
    assert issubclass(WalletStoreCorrupt, WalletStoreDamaged)
    assert issubclass(WalletStoreTampered, WalletStoreDamaged)
    assert issubclass(WalletHeaderDamaged, WalletStoreCorrupt)


def test_changed_passphrase_keeps_the_header_checksum_right(tmp_path: Path) -> None:
    home = tmp_path / "w"
    contents = _small_store(home)
    with WalletStore.open(home, PASSPHRASE) as store:
        store.change_passphrase("a new passphrase", kdf_params=CHEAP_KDF)
    with pytest.raises(WrongWalletPassphrase):
        WalletStore.open(home, PASSPHRASE)
    with WalletStore.open(home, "a new passphrase") as store:
        assert _contents(store)[1:] == contents[1:]


# -- a store written before header checksums ---------------------------------------------------


@pytest.fixture
def v1_home(tmp_path: Path) -> Path:
    home = tmp_path / "v1"
    home.mkdir()
    shutil.copy(V1_FIXTURE, store_path(home))
    return home


def _header_version(home: Path) -> int:
    conn = sqlite3.connect(store_path(home))
    try:
        return int(conn.execute("SELECT version FROM header").fetchone()[0])
    finally:
        conn.close()


def test_version_1_store_opens_and_is_upgraded_in_place(v1_home: Path) -> None:
    assert _header_version(v1_home) == 1
    with WalletStore.open(v1_home, PASSPHRASE) as store:
        check = store.verify()
        assert (check.keys, check.credentials, check.history, check.meta) == (1, 2, 1, 1)
        assert store.get_credential("cred-a").compact == "eyJhbGciOi.A.sig~d1~"
        assert store.get_key("holder-1").jwk["d"] == "SECRET-D"
        assert [h.purpose for h in store.history()] == ["age check"]
        assert store.get_meta("default_key") == "holder-1"
        store.put_credential("cred-c", "eyJhbGciOi.C.sig~d3~", {})
    assert _header_version(v1_home) == 2
    with WalletStore.open(v1_home, PASSPHRASE) as store:
        assert [c.cred_id for c in store.list_credentials()] == ["cred-a", "cred-b", "cred-c"]
    # Upgraded, it tells a damaged header from a wrong passphrase like a new store.
    execute(v1_home, "UPDATE header SET salt = zeroblob(16)")
    with pytest.raises(WalletHeaderDamaged):
        WalletStore.open(v1_home, PASSPHRASE)


def test_version_1_store_with_a_wrong_passphrase_is_not_upgraded(v1_home: Path) -> None:
    before = store_path(v1_home).read_bytes()
    with pytest.raises(WrongWalletPassphrase, match="wrong passphrase"):
        WalletStore.open(v1_home, "not the passphrase")
    assert store_path(v1_home).read_bytes() == before


def test_header_claiming_version_1_beside_a_checksum_column_is_damage(
    pristine: tuple[bytes, Any], tmp_path: Path
) -> None:
    home = tmp_path / "w"
    home.mkdir()
    store_path(home).write_bytes(pristine[0])
    execute(home, "UPDATE header SET version = 1")
    with pytest.raises(WalletHeaderDamaged):
        WalletStore.open(home, PASSPHRASE)


# -- the CLI -----------------------------------------------------------------------------------


def test_cli_names_the_damage_and_points_to_restore(
    pristine: tuple[bytes, Any], tmp_path: Path
) -> None:
    home = tmp_path / "w"
    home.mkdir()
    store_path(home).write_bytes(pristine[0])
    execute(home, "UPDATE header SET salt = zeroblob(16)")
    result = CliRunner().invoke(
        wallet_cli.cli, ["--home", str(home), "list"], env={"WALLET_PASSPHRASE": PASSPHRASE}
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert result.output.count("\n") == 1
    assert "damaged" in result.output and "header" in result.output
    assert "wallet restore" in result.output
    assert "wrong passphrase" not in result.output
