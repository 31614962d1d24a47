"""The wallet between the real agency SDKs: the Issuer issues, the wallet imports and presents,
the Verifier verifies and sees exactly the requested claims."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from world import (
    PERSON,
    PURPOSE,
    VERIFIER_CLAIMS,
    WalletWorld,
)

from ledger.agency.issuer import Issuer
from ledger.agency.packages import CredentialPackage
from ledger.agency.verifier import Verifier
from ledger.errors import CredentialRevoked, NoMatchingCredential, VerifierNotRegistered
from ledger.wallet.wallet import Wallet


@pytest.fixture
def issuer(world: WalletWorld, tmp_path: Path) -> Iterator[Issuer]:
    with world.base.make_issuer(tmp_path / "issuer") as iss:
        yield iss


def _issue(issuer: Issuer, wallet: Wallet, world: WalletWorld) -> CredentialPackage:
    package = issuer.issue(PERSON, vct=world.base.vct, holder_jwk=wallet.holder_jwk)
    assert isinstance(package, CredentialPackage)
    return package


def test_verifier_sees_exactly_the_claims_the_citizen_consented_to(
    issuer: Issuer, wallet: Wallet, world: WalletWorld
) -> None:
    wallet.import_credential(_issue(issuer, wallet, world), chain=world.reader())
    verifier = Verifier(world.reader(), account=world.base.verifier)
    request = verifier.create_request(
        vct=world.base.vct, claims=list(VERIFIER_CLAIMS), purpose=PURPOSE
    )
    prompt = wallet.prepare_presentation(request, chain=world.reader())
    result = verifier.verify(wallet.present(prompt, consent=True), request)
    assert result.claims == {"age_over_18": True, "municipality": "København"}
    assert set(result.disclosed_paths) == set(VERIFIER_CLAIMS)
    assert result.issuer_name == "CPR Office"


def test_batch_issued_credential_round_trips_with_its_inclusion_proof(
    issuer: Issuer, wallet: Wallet, world: WalletWorld
) -> None:
    issuer.issue(PERSON, vct=world.base.vct, holder_jwk=wallet.holder_jwk, anchor="batch")
    (package,) = issuer.flush()
    assert package.anchor.is_batch
    wallet.import_credential(package, chain=world.reader())
    verifier = Verifier(world.reader(), account=world.base.verifier)
    request = verifier.create_request(vct=world.base.vct, claims=["age_over_18"], purpose=PURPOSE)
    prompt = wallet.prepare_presentation(request, chain=world.reader())
    result = verifier.verify(wallet.present(prompt, consent=True), request)
    assert result.claims == {"age_over_18": True}


def test_revocation_by_the_issuer_stops_the_wallet_and_the_verifier(
    issuer: Issuer, wallet: Wallet, world: WalletWorld
) -> None:
    package = _issue(issuer, wallet, world)
    wallet.import_credential(package, chain=world.reader())
    verifier = Verifier(world.reader(), account=world.base.verifier)
    request = verifier.create_request(
        vct=world.base.vct, claims=list(VERIFIER_CLAIMS), purpose=PURPOSE
    )
    prompt = wallet.prepare_presentation(request, chain=world.reader())
    presented = wallet.present(prompt, consent=True)
    issuer.revoke(package)
    with pytest.raises(CredentialRevoked):
        verifier.verify(presented, request)
    again = verifier.create_request(
        vct=world.base.vct, claims=list(VERIFIER_CLAIMS), purpose=PURPOSE
    )
    with pytest.raises(NoMatchingCredential):
        wallet.prepare_presentation(again, chain=world.reader())


def test_unregistered_agency_cannot_get_the_cpr_number(
    issuer: Issuer, wallet: Wallet, world: WalletWorld
) -> None:
    wallet.import_credential(_issue(issuer, wallet, world), chain=world.reader())
    snoop = Verifier(world.reader(), account=world.unregistered)
    request = snoop.create_request(
        vct=world.base.vct,
        claims=["cpr_number"],
        purpose="Curiosity",
        unsafe_allow_unregistered=True,  # the wallet's refusal is what this test is about
    )
    with pytest.raises(VerifierNotRegistered, match="Tax Office"):
        wallet.prepare_presentation(request, chain=world.reader())
    assert wallet.history() == ()
