"""KeyRegistry: registration, ownership, validity windows, rotation, revocation."""

from __future__ import annotations

import pytest
from chain_helpers import World, assert_role_gated, random32

from ledger.errors import (
    KeyRegistryAgencyNotActive,
    KeyRegistryInvalidWindow,
    KeyRegistryKeyRevoked,
    KeyRegistryKidTaken,
    KeyRegistryNotKeyOwner,
    KeyRegistryUnknownKey,
    KeyRegistryZeroKid,
)


def test_registered_key_is_stored_for_its_agency(world: World) -> None:
    key = world.reader.key(world.kid)
    assert key.agency == world.issuer.address
    assert (key.x, key.y) == (world.base.x, world.base.y)
    assert world.reader.is_key_valid_at(world.kid, world.issuer.address, world.now())
    assert not world.reader.is_key_valid_at(world.kid, world.second.address, world.now())


def test_unknown_kid_reads_as_no_key(world: World) -> None:
    assert world.reader.key(random32()).agency is None


def test_kid_claimed_by_one_agency_cannot_be_claimed_by_another(world: World) -> None:
    with pytest.raises(KeyRegistryKidTaken) as err:
        world.second.register_key(world.kid, random32(), random32())
    assert (err.value.kid, err.value.owner) == (world.kid, world.issuer.address)


def test_zero_kid_is_rejected(world: World) -> None:
    with pytest.raises(KeyRegistryZeroKid):
        world.issuer.register_key(bytes(32), random32(), random32())


@pytest.mark.parametrize("who", ["outsider"])
def test_only_active_agencies_register_keys(world: World, who: str) -> None:
    sender = getattr(world, who)
    assert_role_gated(
        sender,
        "KeyRegistry",
        "registerKey",
        [random32(), random32(), random32(), 0, 0],
        KeyRegistryAgencyNotActive,
        agency=sender.address,
        status=0,
    )


def test_suspended_agency_cannot_register_keys(world: World) -> None:
    world.execute(world.actions.suspend_agency(world.second.address))
    with pytest.raises(KeyRegistryAgencyNotActive) as err:
        world.second.register_key(random32(), random32(), random32())
    assert err.value.status == 2


def test_key_window_is_respected(world: World) -> None:
    now = world.now()
    kid = random32()
    world.second.register_key(
        kid, random32(), random32(), valid_from=now + 100, valid_until=now + 200
    )
    assert not world.reader.is_key_valid_at(kid, world.second.address, now + 99)
    assert world.reader.is_key_valid_at(kid, world.second.address, now + 100)
    assert not world.reader.is_key_valid_at(kid, world.second.address, now + 200)


def test_inverted_key_window_is_rejected(world: World) -> None:
    now = world.now()
    with pytest.raises(KeyRegistryInvalidWindow):
        world.second.register_key(
            random32(), random32(), random32(), valid_from=now + 10, valid_until=now + 5
        )


def test_rotation_ends_the_old_key_and_starts_the_new_one(world: World) -> None:
    world.advance(10)
    before = world.now() - 1
    new_kid = random32()
    world.issuer.rotate_key(world.kid, new_kid, random32(), random32())
    now = world.now()
    assert world.reader.is_key_valid_at(world.kid, world.issuer.address, before)
    assert not world.reader.is_key_valid_at(world.kid, world.issuer.address, now)
    assert world.reader.is_key_valid_at(new_kid, world.issuer.address, now)
    assert world.reader.key(world.kid).valid_until == now


def test_only_the_owner_rotates(world: World) -> None:
    with pytest.raises(KeyRegistryNotKeyOwner):
        world.second.rotate_key(world.kid, random32(), random32(), random32())


def test_revoked_key_is_valid_before_and_invalid_after(world: World) -> None:
    world.advance(10)
    before = world.now() - 1
    world.issuer.revoke_key(world.kid)
    revoked_at = world.reader.key(world.kid).revoked_at
    assert revoked_at == world.now()
    assert world.reader.is_key_valid_at(world.kid, world.issuer.address, before)
    assert not world.reader.is_key_valid_at(world.kid, world.issuer.address, revoked_at)
    with pytest.raises(KeyRegistryKeyRevoked):
        world.issuer.revoke_key(world.kid)
    with pytest.raises(KeyRegistryKeyRevoked):
        world.issuer.rotate_key(world.kid, random32(), random32(), random32())


def test_council_revokes_an_agency_key(world: World) -> None:
    world.execute(world.actions.revoke_key(world.kid))
    assert world.reader.key(world.kid).revoked_at != 0


def test_other_agencies_cannot_revoke(world: World) -> None:
    assert_role_gated(
        world.second,
        "KeyRegistry",
        "revokeKey",
        [world.kid],
        KeyRegistryNotKeyOwner,
        kid=world.kid,
        caller=world.second.address,
    )


def test_revoking_an_unknown_key_is_rejected(world: World) -> None:
    with pytest.raises(KeyRegistryUnknownKey):
        world.issuer.revoke_key(random32())


UINT40_END = 2**40


def test_key_window_times_beyond_40_bits_are_rejected(world: World) -> None:
    past = world.now() - 1000
    # validFrom 2**40 + past would be stored as `past`: a key back-dated before its registration.
    with pytest.raises(KeyRegistryInvalidWindow) as err:
        world.second.register_key(random32(), random32(), random32(), valid_from=UINT40_END + past)
    assert err.value.validFrom == UINT40_END + past
    # validUntil 2**40 would be stored as 0: an open-ended key.
    with pytest.raises(KeyRegistryInvalidWindow):
        world.second.register_key(random32(), random32(), random32(), valid_until=UINT40_END)
    with pytest.raises(KeyRegistryInvalidWindow):
        world.issuer.rotate_key(
            world.kid, random32(), random32(), random32(), valid_until=UINT40_END
        )
    assert world.reader.key(world.kid).valid_until == 0
    kid = random32()
    world.second.register_key(kid, random32(), random32(), valid_until=UINT40_END - 1)
    assert world.reader.key(kid).valid_until == UINT40_END - 1
