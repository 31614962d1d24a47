"""Wallet import: a credential is verified against the chain and this wallet's key before it is
stored, and refused with its reason otherwise."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from world import (
    PASSPHRASE,
    PERSON,
    WalletWorld,
    make_wallet,
)

from ledger.errors import (
    CredentialNotAnchored,
    CredentialRevoked,
    CredentialSuspended,
    HolderKeyMismatch,
    InvalidSignature,
    IssuerNotActiveAtAnchor,
    SigningKeyNotValidAtAnchor,
    UnknownIssuerKey,
    WalletImportRefused,
    WalletRecordNotFound,
)
from ledger.report import Check
from ledger.sdjwt import SigningKey
from ledger.wallet.wallet import Wallet


def _refusal(wallet: Wallet, world: WalletWorld, package: object) -> WalletImportRefused:
    with pytest.raises(WalletImportRefused) as info:
        wallet.import_credential(package, chain=world.reader())  # type: ignore[arg-type]
    assert wallet.list() == ()
    return info.value


def test_verified_credential_is_stored_with_its_issuer_and_validity(
    wallet: Wallet, world: WalletWorld
) -> None:
    package, idx = world.issue(wallet.holder_jwk)
    stored = wallet.import_credential(package, chain=world.reader())
    assert wallet.list() == (stored,)
    meta = stored.metadata
    assert meta["issuer_name"] == "CPR Office"
    assert meta["issuer_address"] == world.base.issuer.address
    assert meta["vct"] == world.base.vct
    assert meta["status"]["idx"] == idx
    assert meta["anchor"] == {"kind": "single"}
    assert meta["anchored_at"] > 0


def test_batch_anchored_credential_imports_with_its_inclusion_proof(
    wallet: Wallet, world: WalletWorld
) -> None:
    package, _ = world.issue(wallet.holder_jwk, anchor="batch")
    stored = wallet.import_credential(package, chain=world.reader())
    assert stored.metadata["anchor"]["kind"] == "batch"
    assert stored.metadata["anchor"]["root"] == "0x" + package.anchor.root.hex()  # type: ignore[union-attr]


def test_show_gives_claims_issuer_name_validity_and_current_status(
    wallet: Wallet, world: WalletWorld
) -> None:
    package, idx = world.issue(wallet.holder_jwk, exp=4_000_000_000)
    stored = wallet.import_credential(package, chain=world.reader())
    view = wallet.show(stored.cred_id, world.reader())
    assert view.claims == PERSON
    assert (view.issuer_name, view.status, view.exp) == ("CPR Office", "valid", 4_000_000_000)
    world.set_status(idx, 1)
    assert wallet.show(stored.cred_id, world.reader()).status == "revoked"
    assert wallet.show(stored.cred_id).status == "unknown"


def test_a_credential_is_found_by_a_unique_prefix_or_by_its_issuers_id(
    wallet: Wallet, world: WalletWorld
) -> None:
    package, _ = world.issue(wallet.holder_jwk)
    package = dataclasses.replace(package, metadata={"credential_id": "a1" * 16})
    stored = wallet.import_credential(package, chain=world.reader())
    assert wallet.get(stored.cred_id[:6]) == stored
    assert wallet.get("a1" * 16) == stored
    assert wallet.show("a1" * 16).claims == PERSON
    for unknown in ("", "ff" * 16, stored.cred_id + "0"):
        with pytest.raises(WalletRecordNotFound):
            wallet.get(unknown)


def test_forged_signature_is_refused(wallet: Wallet, world: WalletWorld) -> None:
    genuine, _ = world.issue(wallet.holder_jwk)
    other, _ = world.issue(wallet.holder_jwk, claims={**PERSON, "given_name": "Mallory"})
    header, _, signature = genuine.sd_jwt.split("~")[0].split(".")
    payload = other.sd_jwt.split("~")[0].split(".")[1]
    forged_jwt = f"{header}.{payload}.{signature}"
    forged = dataclasses.replace(other, sd_jwt=forged_jwt + other.sd_jwt[other.sd_jwt.index("~") :])
    err = _refusal(wallet, world, forged)
    assert (err.check, type(err.cause)) == ("signature", InvalidSignature)
    assert "forged or altered" in str(err)


def test_credential_signed_with_an_unregistered_key_is_refused(
    wallet: Wallet, world: WalletWorld
) -> None:
    package, _ = world.issue(wallet.holder_jwk, signing_key=SigningKey.generate())
    err = _refusal(wallet, world, package)
    assert err.check == "issuer_key"
    assert isinstance(err.cause, UnknownIssuerKey)


def test_unanchored_credential_is_refused(wallet: Wallet, world: WalletWorld) -> None:
    package, _ = world.issue(wallet.holder_jwk, anchor="none")
    err = _refusal(wallet, world, package)
    assert (err.check, type(err.cause)) == ("anchor", CredentialNotAnchored)
    assert str(err).startswith("refused to import the credential: it is not anchored on chain")


def test_revoked_credential_is_refused(wallet: Wallet, world: WalletWorld) -> None:
    package, idx = world.issue(wallet.holder_jwk)
    world.set_status(idx, 1)
    err = _refusal(wallet, world, package)
    assert (err.check, type(err.cause)) == ("status", CredentialRevoked)
    assert "it has been revoked" in str(err)


def test_suspended_credential_is_refused(wallet: Wallet, world: WalletWorld) -> None:
    package, idx = world.issue(wallet.holder_jwk)
    world.set_status(idx, 2)
    assert type(_refusal(wallet, world, package).cause) is CredentialSuspended


def test_someone_elses_credential_is_refused(wallet: Wallet, world: WalletWorld) -> None:
    package, _ = world.issue(SigningKey.generate().public_jwk)
    err = _refusal(wallet, world, package)
    assert (err.check, type(err.cause)) == ("holder_key", HolderKeyMismatch)
    assert "someone else's holder key" in str(err)


def test_credential_anchored_after_its_key_was_revoked_is_refused(
    wallet: Wallet, world: WalletWorld
) -> None:
    world.base.issuer_chain().revoke_key(world.base.signing_key.thumbprint)
    package, _ = world.issue(wallet.holder_jwk)
    err = _refusal(wallet, world, package)
    assert (err.check, type(err.cause)) == ("key_validity", SigningKeyNotValidAtAnchor)


def test_credential_for_another_chain_is_refused(wallet: Wallet, world: WalletWorld) -> None:
    package, _ = world.issue(wallet.holder_jwk)
    err = _refusal(wallet, world, dataclasses.replace(package, chain_id=package.chain_id + 1))
    assert err.check == "chain"


def test_holder_key_and_credentials_survive_reopening(tmp_path: Path, world: WalletWorld) -> None:
    home = tmp_path / "wallet"
    with make_wallet(home) as wallet:
        jwk = wallet.holder_jwk
        package, _ = world.issue(jwk)
        stored = wallet.import_credential(package, chain=world.reader())
    with Wallet.open(home, PASSPHRASE) as reopened:
        assert reopened.holder_jwk == jwk
        assert reopened.list() == (stored,)


def test_credential_anchored_in_the_second_its_agency_is_suspended_is_refused_for_that(
    wallet: Wallet, world: WalletWorld, chain_snapshot: str
) -> None:
    suspend = world.reader().actions.suspend_agency(world.base.issuer.address)
    world.rpc.call("anvil_setBlockTimestampInterval", [0])  # every block in the same second
    try:
        package, _ = world.issue(wallet.holder_jwk)
        world.base.execute(suspend)
    finally:
        world.rpc.call("anvil_removeBlockTimestampInterval", [])
    err = _refusal(wallet, world, package)
    assert (err.check, type(err.cause)) == (Check.ISSUER_ACCREDITATION, IssuerNotActiveAtAnchor)
    assert "the issuing agency was suspended at " in str(err)
    assert "the same second as the anchor" in str(err)
