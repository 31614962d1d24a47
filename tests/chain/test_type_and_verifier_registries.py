"""CredentialTypeRegistry and VerifierRegistry."""

from __future__ import annotations

import pytest
from chain_helpers import CLAIMS, PURPOSE, VCT, World, assert_role_gated, random32

from ledger.errors import (
    CredentialTypeRegistryAlreadySuperseded,
    CredentialTypeRegistryDuplicateVct,
    CredentialTypeRegistryEmptyVct,
    CredentialTypeRegistryInvalidClaimCount,
    CredentialTypeRegistryNotAuthorized,
    CredentialTypeRegistryUnknownType,
    VerifierRegistryAgencyNotActive,
    VerifierRegistryInvalidClaimMask,
    VerifierRegistryInvalidWindow,
    VerifierRegistryNotCouncil,
    VerifierRegistryNotRegistered,
    VerifierRegistryUnknownType,
)


def test_registered_type_is_readable_by_id_and_vct(world: World) -> None:
    info = world.credential_type()
    assert world.reader.type_id_of(VCT) == info.type_id == 1
    assert (info.vct, info.claim_names, info.supersedes) == (VCT, CLAIMS, 0)
    assert info.claim_mask(["family_name", "given_name"]) == 0b11
    assert world.reader.type_id_of("https://unknown") == 0


def test_unknown_type_id_is_rejected(world: World) -> None:
    with pytest.raises(CredentialTypeRegistryUnknownType):
        world.reader.credential_type(42)


def test_duplicate_vct_is_rejected(world: World) -> None:
    with pytest.raises(CredentialTypeRegistryDuplicateVct) as err:
        world.execute(world.actions.register_type(VCT, ["x"]))
    assert err.value.typeId == world.type_id


def test_empty_vct_and_bad_claim_lists_are_rejected(world: World) -> None:
    with pytest.raises(CredentialTypeRegistryEmptyVct):
        world.execute(world.actions.register_type("", ["x"]))
    with pytest.raises(CredentialTypeRegistryInvalidClaimCount):
        world.execute(world.actions.register_type("https://e/none", []))


def test_authority_registers_a_new_version_of_its_type(world: World) -> None:
    new_id = world.issuer.register_type(VCT + "/v2", [*CLAIMS, "nationality"], world.type_id)
    assert world.reader.credential_type(new_id).supersedes == world.type_id
    assert world.reader.credential_type(world.type_id).superseded_by == new_id
    with pytest.raises(CredentialTypeRegistryAlreadySuperseded):
        world.issuer.register_type(VCT + "/v3", ["x"], world.type_id)


@pytest.mark.parametrize("who", ["second", "outsider"])
def test_non_authorities_cannot_register_types(world: World, who: str) -> None:
    sender = getattr(world, who)
    for supersedes in (0, world.type_id):
        assert_role_gated(
            sender,
            "CredentialTypeRegistry",
            "registerType",
            ["https://e/x", ["a"], supersedes],
            CredentialTypeRegistryNotAuthorized,
            caller=sender.address,
            supersedes=supersedes,
        )


def test_authority_cannot_register_an_unrelated_type(world: World) -> None:
    with pytest.raises(CredentialTypeRegistryNotAuthorized):
        world.issuer.register_type("https://e/free", ["a"], 0)


def test_verifier_registration_authorises_a_subset_of_claims_for_the_purpose(world: World) -> None:
    now = world.now()
    check = world.reader.is_verifier_authorized
    assert check(world.verifier.address, world.type_id, PURPOSE, 0b01, now)
    assert check(world.verifier.address, world.type_id, PURPOSE, 0b11, now)
    assert not check(world.verifier.address, world.type_id, PURPOSE, 0b100, now)
    assert not check(world.verifier.address, world.type_id, random32(), 0b01, now)
    assert not check(world.second.address, world.type_id, PURPOSE, 0b01, now)
    assert not check(world.verifier.address, world.type_id, PURPOSE, 0, now)


def test_withdrawn_registration_no_longer_authorises(world: World) -> None:
    world.execute(world.actions.withdraw_verifier(world.verifier.address, world.type_id, PURPOSE))
    assert not world.reader.is_verifier_authorized(
        world.verifier.address, world.type_id, PURPOSE, 1, world.now()
    )
    with pytest.raises(VerifierRegistryNotRegistered):
        world.execute(
            world.actions.withdraw_verifier(world.verifier.address, world.type_id, PURPOSE)
        )


def test_suspended_verifier_is_not_authorised(world: World) -> None:
    world.execute(world.actions.suspend_agency(world.verifier.address))
    assert not world.reader.is_verifier_authorized(
        world.verifier.address, world.type_id, PURPOSE, 1, world.now()
    )


def test_verifier_window_is_respected(world: World) -> None:
    now = world.now()
    purpose = random32()
    world.execute(
        world.actions.register_verifier(
            world.second.address,
            world.type_id,
            purpose,
            1,
            valid_from=now + 100,
            valid_until=now + 200,
        )
    )
    check = world.reader.is_verifier_authorized
    assert not check(world.second.address, world.type_id, purpose, 1, now + 50)
    assert check(world.second.address, world.type_id, purpose, 1, now + 150)
    assert not check(world.second.address, world.type_id, purpose, 1, now + 200)


def test_registration_in_force_agrees_with_the_contract_over_its_window(world: World) -> None:
    now = world.now()
    purpose = random32()
    world.execute(
        world.actions.register_verifier(
            world.second.address, world.type_id, purpose, 1, valid_from=now + 100,
            valid_until=now + 200,
        )
    )
    reg = world.reader.verifier_registration(world.second.address, world.type_id, purpose)
    for t in (now + 50, now + 100, now + 150, now + 199, now + 200):
        on_chain = world.reader.is_verifier_authorized(world.second.address, world.type_id,
                                                       purpose, 1, t)
        assert reg.in_force_at(t) is on_chain, t
    world.execute(world.actions.withdraw_verifier(world.second.address, world.type_id, purpose))
    withdrawn = world.reader.verifier_registration(world.second.address, world.type_id, purpose)
    assert withdrawn.withdrawn_at != 0
    assert not withdrawn.in_force_at(now + 150)
    assert not world.reader.is_verifier_authorized(world.second.address, world.type_id, purpose,
                                                   1, now + 150)
    unregistered = world.reader.verifier_registration(world.second.address, world.type_id,
                                                      random32())
    assert not unregistered.in_force_at(now)


def test_verifier_registration_rejects_bad_input(world: World) -> None:
    with pytest.raises(VerifierRegistryInvalidClaimMask) as err:
        world.execute(
            world.actions.register_verifier(world.second.address, world.type_id, PURPOSE, 1 << 4)
        )
    assert err.value.claimCount == len(CLAIMS)
    with pytest.raises(VerifierRegistryInvalidClaimMask):
        world.execute(
            world.actions.register_verifier(world.second.address, world.type_id, PURPOSE, 0)
        )
    with pytest.raises(VerifierRegistryUnknownType):
        world.execute(world.actions.register_verifier(world.second.address, 99, PURPOSE, 1))
    with pytest.raises(VerifierRegistryAgencyNotActive):
        world.execute(
            world.actions.register_verifier(world.outsider.address, world.type_id, PURPOSE, 1)
        )


def test_verifier_window_times_beyond_40_bits_are_rejected(world: World) -> None:
    purpose = random32()
    # validUntil 2**40 would be stored as 0: an open-ended registration.
    with pytest.raises(VerifierRegistryInvalidWindow) as err:
        world.execute(
            world.actions.register_verifier(
                world.second.address, world.type_id, purpose, 1, valid_until=2**40
            )
        )
    assert err.value.validUntil == 2**40
    with pytest.raises(VerifierRegistryInvalidWindow):
        world.execute(
            world.actions.register_verifier(
                world.second.address, world.type_id, purpose, 1, valid_from=2**40 + world.now()
            )
        )
    registration = world.reader.verifier_registration(world.second.address, world.type_id, purpose)
    assert registration.registered_at == 0


@pytest.mark.parametrize("fn", ["registerVerifier", "withdrawVerifier"])
def test_verifier_admin_is_council_only(world: World, fn: str) -> None:
    args: list[object] = [world.verifier.address, world.type_id, PURPOSE]
    if fn == "registerVerifier":
        args += [1, 0, 0, 0]
    assert_role_gated(
        world.verifier,
        "VerifierRegistry",
        fn,
        args,
        VerifierRegistryNotCouncil,
        caller=world.verifier.address,
    )
