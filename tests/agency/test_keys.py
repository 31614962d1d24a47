"""Agency keyring: keystore files under the ledger home, and key registration, rotation and
revocation on chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from world import AgencyWorld

from ledger.agency.keys import AgencyKeyring, kid_bytes
from ledger.errors import (
    AgencyKeyExists,
    AgencyKeyNotFound,
    InputError,
    KeyRegistryKeyRevoked,
    WrongPassphrase,
)
from ledger.home import keystores_dir
from ledger.sdjwt import SigningKey

PASS = "correct horse battery staple"


@pytest.fixture
def keyring(tmp_path: Path) -> AgencyKeyring:
    return AgencyKeyring(tmp_path / "home", kdf="pbkdf2", work_factor=2)


def test_account_keystore_round_trip(keyring: AgencyKeyring) -> None:
    address = keyring.create_account("cpr-office", PASS)
    assert keyring.accounts() == {"cpr-office": address}
    assert keyring.address("cpr-office") == address
    assert keyring.unlock_account("cpr-office", PASS).address == address
    assert keyring.account_path("cpr-office").parent == keystores_dir(keyring._home)


def test_wrong_passphrase_is_refused(keyring: AgencyKeyring) -> None:
    keyring.create_account("cpr-office", PASS)
    kid = keyring.create_signing_key("cpr-office", PASS)
    with pytest.raises(WrongPassphrase):
        keyring.unlock_account("cpr-office", "guess")
    with pytest.raises(WrongPassphrase):
        keyring.unlock_signing_key("cpr-office", kid, "guess")


def test_duplicate_account_is_refused(keyring: AgencyKeyring) -> None:
    address = keyring.create_account("cpr-office", PASS)
    with pytest.raises(AgencyKeyExists):
        keyring.create_account("cpr-office", "other")
    assert keyring.unlock_account("cpr-office", PASS).address == address


def test_unknown_account_and_key_are_reported(keyring: AgencyKeyring) -> None:
    with pytest.raises(AgencyKeyNotFound):
        keyring.unlock_account("nobody", PASS)
    with pytest.raises(AgencyKeyNotFound):
        keyring.address("nobody")
    kid = SigningKey.generate().kid
    with pytest.raises(AgencyKeyNotFound):
        keyring.public_jwk("nobody", kid)
    with pytest.raises(AgencyKeyNotFound):
        keyring.unlock_signing_key("nobody", kid, PASS)


def test_bad_names_and_kids_are_input_errors(keyring: AgencyKeyring) -> None:
    for name in ("../escape", "a.b", "", "x" * 65):
        with pytest.raises(InputError):
            keyring.create_account(name, PASS)
    with pytest.raises(InputError):
        keyring.public_jwk("cpr-office", "not-a-kid")


def test_signing_key_is_encrypted_and_its_public_jwk_readable_without_unlocking(
    keyring: AgencyKeyring,
) -> None:
    key = SigningKey.generate()
    kid = keyring.import_signing_key("cpr-office", key, PASS)
    assert kid == key.kid
    assert keyring.signing_keys("cpr-office") == [kid]
    assert keyring.public_jwk("cpr-office", kid) == key.public_jwk
    stored = keyring.signing_key_path("cpr-office", kid)
    assert stored.name == f"cpr-office.signing.{kid}.json"
    document = json.loads(stored.read_text())
    assert document["version"] == 3
    d = key.to_private_jwk()["d"]
    assert d not in stored.read_text()
    unlocked = keyring.unlock_signing_key("cpr-office", kid, PASS)
    assert unlocked.to_private_jwk() == key.to_private_jwk()
    with pytest.raises(AgencyKeyExists):
        keyring.import_signing_key("cpr-office", key, PASS)


def test_signing_keys_are_not_listed_as_accounts(keyring: AgencyKeyring) -> None:
    keyring.create_account("cpr-office", PASS)
    keyring.create_signing_key("cpr-office", PASS)
    keyring.create_signing_key("cpr-office", PASS)
    assert list(keyring.accounts()) == ["cpr-office"]
    assert len(keyring.signing_keys("cpr-office")) == 2
    assert keyring.signing_keys("other") == []


def test_register_rotate_and_revoke_on_chain(
    agency_world: AgencyWorld,
    chain_snapshot: str,
    keyring: AgencyKeyring,
) -> None:
    world = agency_world
    agency = world.new_agency("Road Directorate", accredit=True)
    chain = world.chain(agency)
    old = keyring.create_signing_key("roads", PASS)
    keyring.register(chain, "roads", old, PASS)
    record = keyring.on_chain(chain, old)
    x, y = keyring.unlock_signing_key("roads", old, PASS).public_xy
    assert (record.agency, record.x, record.y, record.revoked_at) == (agency.address, x, y, 0)

    new = keyring.create_signing_key("roads", PASS)
    world.advance(10)
    keyring.rotate(chain, "roads", old, new, PASS)
    t = world.now()
    old_record, new_record = keyring.on_chain(chain, old), keyring.on_chain(chain, new)
    assert new_record.agency == agency.address and new_record.valid_from <= t
    assert 0 < old_record.valid_until <= t
    reader = world.reader()
    assert reader.is_key_valid_at(kid_bytes(new), agency.address, t)
    assert not reader.is_key_valid_at(kid_bytes(old), agency.address, t + 1)
    assert reader.is_key_valid_at(kid_bytes(old), agency.address, old_record.valid_from)

    keyring.revoke(chain, new)
    assert keyring.on_chain(chain, new).revoked_at > 0
    assert not reader.is_key_valid_at(kid_bytes(new), agency.address, world.now())
    with pytest.raises(KeyRegistryKeyRevoked):
        keyring.revoke(chain, new)
