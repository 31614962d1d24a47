from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from ledger.chain.keystore import create_keystore, keystore_address, unlock_keystore
from ledger.errors import KeystoreCorrupt, KeystoreExists, KeystoreNotFound, WrongPassphrase

CHEAP = 2**4  # scrypt n for tests only; production uses the eth-account default (2**18)
KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
KEY_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"


def test_created_keystore_unlocks_to_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "agency.json"
    address = create_keystore(path, "correct horse", private_key=KEY, work_factor=CHEAP)
    assert address == KEY_ADDRESS
    account = unlock_keystore(path, "correct horse")
    assert account.address == KEY_ADDRESS
    assert bytes(account.key) == KEY


def test_keystore_file_is_private_and_holds_no_raw_key(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "pw", private_key=KEY, work_factor=CHEAP)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KEY.hex() not in path.read_text()
    assert json.loads(path.read_text())["crypto"]["kdf"] == "scrypt"
    assert [p.name for p in tmp_path.iterdir()] == ["k.json"]  # no temp file left behind


def test_random_key_by_default(tmp_path: Path) -> None:
    a = create_keystore(tmp_path / "a.json", "pw", work_factor=CHEAP)
    b = create_keystore(tmp_path / "b.json", "pw", work_factor=CHEAP)
    assert a != b


def test_pbkdf2_keystore_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    create_keystore(path, "pw", private_key=KEY, kdf="pbkdf2", work_factor=1000)
    assert unlock_keystore(path, "pw").address == KEY_ADDRESS


def test_existing_keystore_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "pw", private_key=KEY, work_factor=CHEAP)
    before = path.read_bytes()
    with pytest.raises(KeystoreExists):
        create_keystore(path, "other", work_factor=CHEAP)
    assert path.read_bytes() == before


def test_wrong_passphrase_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "right", private_key=KEY, work_factor=CHEAP)
    with pytest.raises(WrongPassphrase):
        unlock_keystore(path, "wrong")


def test_missing_keystore_is_reported(tmp_path: Path) -> None:
    with pytest.raises(KeystoreNotFound):
        unlock_keystore(tmp_path / "nope.json", "pw")
    with pytest.raises(KeystoreNotFound):
        keystore_address(tmp_path / "nope.json")


@pytest.mark.parametrize(
    "content",
    [b"not json", b"[]", b'{"version": 3}', b'{"version": 2, "crypto": {}}'],
    ids=["not-json", "not-object", "no-crypto", "wrong-version"],
)
def test_corrupt_keystore_is_reported(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "k.json"
    path.write_bytes(content)
    with pytest.raises(KeystoreCorrupt):
        unlock_keystore(path, "pw")


def test_tampered_ciphertext_is_not_mistaken_for_a_key(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "pw", private_key=KEY, work_factor=CHEAP)
    document = json.loads(path.read_text())
    del document["crypto"]["cipherparams"]
    path.write_text(json.dumps(document))
    with pytest.raises(KeystoreCorrupt):
        unlock_keystore(path, "pw")


def test_address_is_read_without_the_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "pw", private_key=KEY, work_factor=CHEAP)
    assert keystore_address(path) == KEY_ADDRESS


@pytest.mark.parametrize(
    ("kdf", "params"),
    [
        ("scrypt", {"n": 2**30}),
        ("scrypt", {"n": 2**18, "r": 2**20}),
        ("scrypt", {"n": 2**18, "p": 2**20}),
        ("scrypt", {"n": 3}),
        ("scrypt", {"dklen": 2**30}),
        ("pbkdf2", {"c": 10**12}),
        ("pbkdf2", {"c": "many"}),
    ],
)
def test_keystore_asking_for_absurd_kdf_work_is_refused_before_deriving(
    tmp_path: Path, kdf: str, params: dict[str, object]
) -> None:
    path = tmp_path / "k.json"
    work = CHEAP if kdf == "scrypt" else 2
    create_keystore(path, "pw", private_key=KEY, kdf=kdf, work_factor=work)  # type: ignore[arg-type]
    document = json.loads(path.read_text())
    document["crypto"]["kdfparams"].update(params)
    path.write_text(json.dumps(document))
    with pytest.raises(KeystoreCorrupt, match=r"work factor|KDF"):
        unlock_keystore(path, "pw")
