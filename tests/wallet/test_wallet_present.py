"""Wallet presentations: who asks is checked on chain, exactly the requested claims are disclosed,
and every disclosure is recorded."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import (
    PERSON,
    PURPOSE,
    VERIFIER_CLAIMS,
    WalletWorld,
    make_wallet,
)

from ledger.agency.packages import PresentationPackage
from ledger.errors import (
    ConsentDeclined,
    NoMatchingCredential,
    RequestExpired,
    RequestSignatureInvalid,
    VerifierNotRegistered,
)
from ledger.sdjwt import public_key_from_xy, verify_presentation
from ledger.wallet.wallet import Wallet


@pytest.fixture
def wallet(tmp_path: Path, world: WalletWorld) -> Iterator[Wallet]:
    """A wallet holding one valid person credential."""
    with make_wallet(tmp_path / "wallet") as w:
        package, _ = world.issue(w.holder_jwk)
        w.import_credential(package, chain=world.reader())
        yield w


def _disclosed_names(presentation: str) -> set[str]:
    """Claim names of every disclosure in a presentation, decoded by hand."""
    names = set()
    for part in presentation.split("~")[1:-1]:
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        names.add(decoded[1])
    return names


def _verify(world: WalletWorld, package: PresentationPackage, nonce: str, aud: str) -> dict:  # type: ignore[type-arg]
    key = world.base.signing_key.public_key
    verified = verify_presentation(
        package.presentation, issuer_key_resolver=key, expected_audience=aud, expected_nonce=nonce
    )
    return verified.claims


def test_prompt_shows_the_verifiers_registered_name_purpose_and_values(
    wallet: Wallet, world: WalletWorld
) -> None:
    prompt = wallet.prepare_presentation(world.request(), chain=world.reader())
    assert prompt.verifier == world.base.verifier.address
    assert (prompt.verifier_name, prompt.registered, prompt.warning) == ("Municipality", True, None)
    assert prompt.purpose == PURPOSE
    assert prompt.disclosed == (("age_over_18", True), ("municipality", "København"))
    assert prompt.credential_id == wallet.list()[0].cred_id


def test_present_discloses_exactly_the_requested_claims(wallet: Wallet, world: WalletWorld) -> None:
    request = world.request()
    prompt = wallet.prepare_presentation(request, chain=world.reader())
    package = wallet.present(prompt, consent=True)
    assert _disclosed_names(package.presentation) == set(VERIFIER_CLAIMS)
    claims = _verify(world, package, request.nonce, request.audience)
    person_claims = {k for k in claims if k in PERSON}
    assert person_claims == set(VERIFIER_CLAIMS)
    assert "cpr_number" not in package.presentation
    assert package.type_id == world.base.type_id
    assert package.anchor.to_dict() == {"kind": "single"}


def test_present_discloses_a_single_claim_when_one_is_asked(
    wallet: Wallet, world: WalletWorld
) -> None:
    request = world.request(claims=["age_over_18"])
    package = wallet.present(
        wallet.prepare_presentation(request, chain=world.reader()), consent=True
    )
    assert _disclosed_names(package.presentation) == {"age_over_18"}


def test_presentation_is_bound_to_the_requests_audience_and_nonce(
    wallet: Wallet, world: WalletWorld
) -> None:
    request = world.request()
    package = wallet.present(
        wallet.prepare_presentation(request, chain=world.reader()), consent=True
    )
    key = world.base.signing_key.public_key
    verified = verify_presentation(
        package.presentation,
        issuer_key_resolver=key,
        expected_audience=request.audience,
        expected_nonce=request.nonce,
    )
    assert verified.kb is not None
    assert (verified.kb.aud, verified.kb.nonce) == (request.audience, request.nonce)
    assert verified.holder_jwk == wallet.holder_jwk


def test_history_records_each_disclosure(wallet: Wallet, world: WalletWorld) -> None:
    assert wallet.history() == ()
    before = int(time.time())
    prompt = wallet.prepare_presentation(world.request(), chain=world.reader())
    wallet.present(prompt, consent=True)
    (entry,) = wallet.history()
    assert entry.verifier_address == world.base.verifier.address
    assert entry.verifier_name == "Municipality"
    assert (entry.purpose, entry.claims) == (PURPOSE, VERIFIER_CLAIMS)
    assert entry.credential_id == prompt.credential_id
    assert before <= entry.at <= int(time.time())


def test_declined_consent_discloses_and_records_nothing(wallet: Wallet, world: WalletWorld) -> None:
    prompt = wallet.prepare_presentation(world.request(), chain=world.reader())
    with pytest.raises(ConsentDeclined):
        wallet.present(prompt, consent=False)
    assert wallet.history() == ()


def test_unregistered_agency_asking_for_the_cpr_number_is_refused(
    wallet: Wallet, world: WalletWorld
) -> None:
    request = world.request(claims=["cpr_number"], account=world.unregistered)
    with pytest.raises(VerifierNotRegistered) as info:
        wallet.prepare_presentation(request, chain=world.reader())
    assert str(info.value) == (
        f"refused: Tax Office ({world.unregistered.address}) is not registered to ask for "
        f"credentials of type {world.base.vct} for the purpose {PURPOSE!r}"
    )
    assert wallet.history() == ()


def test_registered_verifier_asking_for_more_claims_is_refused(
    wallet: Wallet, world: WalletWorld
) -> None:
    request = world.request(claims=["age_over_18", "cpr_number"])
    with pytest.raises(VerifierNotRegistered, match=r"but not for the claims cpr_number$"):
        wallet.prepare_presentation(request, chain=world.reader())


def test_registered_verifier_with_another_purpose_is_refused(
    wallet: Wallet, world: WalletWorld
) -> None:
    request = world.request(purpose="Marketing")
    with pytest.raises(VerifierNotRegistered, match="for the purpose 'Marketing'"):
        wallet.prepare_presentation(request, chain=world.reader())


def test_suspended_verifier_is_refused(wallet: Wallet, world: WalletWorld) -> None:
    world.base.execute(world.reader().actions.suspend_agency(world.base.verifier.address))
    with pytest.raises(VerifierNotRegistered, match="is suspended, not active"):
        wallet.prepare_presentation(world.request(), chain=world.reader())


def test_unsafe_allow_unregistered_presents_with_a_warning(
    wallet: Wallet, world: WalletWorld
) -> None:
    request = world.request(claims=["cpr_number"], account=world.unregistered)
    prompt = wallet.prepare_presentation(
        request, chain=world.reader(), unsafe_allow_unregistered=True
    )
    assert not prompt.registered
    assert prompt.warning is not None and prompt.warning.startswith("WARNING")
    package = wallet.present(prompt, consent=True)
    assert _disclosed_names(package.presentation) == {"cpr_number"}


def test_expired_request_is_refused(wallet: Wallet, world: WalletWorld) -> None:
    request = world.request(ttl=60, now=int(time.time()) - 3600)
    with pytest.raises(RequestExpired):
        wallet.prepare_presentation(request, chain=world.reader())


def test_request_altered_after_signing_is_refused(wallet: Wallet, world: WalletWorld) -> None:
    request = world.request(claims=["age_over_18"])
    altered = dataclasses.replace(request, claims=(("cpr_number",),))
    with pytest.raises(RequestSignatureInvalid):
        wallet.prepare_presentation(altered, chain=world.reader())


def test_revoked_credential_is_not_presented(tmp_path: Path, world: WalletWorld) -> None:
    with make_wallet(tmp_path / "w") as wallet:
        package, idx = world.issue(wallet.holder_jwk)
        wallet.import_credential(package, chain=world.reader())
        world.set_status(idx, 1)
        with pytest.raises(NoMatchingCredential, match="revoked or suspended"):
            wallet.prepare_presentation(world.request(), chain=world.reader())


def test_wallet_without_the_credential_type_has_nothing_to_present(
    tmp_path: Path, world: WalletWorld
) -> None:
    with (
        make_wallet(tmp_path / "empty") as wallet,
        pytest.raises(NoMatchingCredential, match="no credential of type"),
    ):
        wallet.prepare_presentation(world.request(), chain=world.reader())


def test_batch_anchored_credential_is_presented_with_its_proof(
    tmp_path: Path, world: WalletWorld
) -> None:
    with make_wallet(tmp_path / "w") as wallet:
        package, _ = world.issue(wallet.holder_jwk, anchor="batch")
        wallet.import_credential(package, chain=world.reader())
        prompt = wallet.prepare_presentation(world.request(), chain=world.reader())
        presented = wallet.present(prompt, consent=True)
    assert presented.anchor == package.anchor


def test_holder_key_verifies_against_its_public_coordinates(wallet: Wallet) -> None:
    x, y = wallet.holder_key().public_xy
    assert public_key_from_xy(x, y).jwk == wallet.holder_jwk
