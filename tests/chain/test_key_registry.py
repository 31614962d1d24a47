"""KeyRegistry: registration with proof of possession, ownership, validity windows, rotation,
revocation."""

from __future__ import annotations

import hashlib

import pytest
from chain_helpers import World, assert_role_gated, random32

from ledger._b64 import b64e
from ledger.chain.client import LedgerChain
from ledger.chain.possession import PossessionProof, possession_message
from ledger.chain.sender import Receipt
from ledger.errors import (
    KeyRegistryAgencyNotActive,
    KeyRegistryBadPossessionProof,
    KeyRegistryInvalidWindow,
    KeyRegistryKeyRevoked,
    KeyRegistryKidMismatch,
    KeyRegistryKidTaken,
    KeyRegistryNotKeyOwner,
    KeyRegistryUnknownKey,
    KeyRegistryZeroKid,
)
from ledger.sdjwt.jwk import SigningKey


def _thumbprint(x: bytes, y: bytes) -> bytes:
    """RFC 7638 §3.1 written out for a P-256 point, as the registry computes it."""
    members = f'{{"crv":"P-256","kty":"EC","x":"{b64e(x)}","y":"{b64e(y)}"}}'
    return hashlib.sha256(members.encode()).digest()


def _register(chain: LedgerChain, proof: PossessionProof) -> Receipt:
    """Send registerKey with exactly these values (no checks on our side)."""
    return chain.transact(chain.register_key_tx(proof))


def test_registered_key_is_stored_for_its_agency(world: World) -> None:
    key = world.reader.key(world.kid)
    assert key.agency == world.issuer.address
    assert (key.x, key.y) == world.key.public_xy
    assert world.reader.is_key_valid_at(world.kid, world.issuer.address, world.now())
    assert not world.reader.is_key_valid_at(world.kid, world.second.address, world.now())


def test_unknown_kid_reads_as_no_key(world: World) -> None:
    assert world.reader.key(random32()).agency is None


def test_possession_message_is_computed_as_the_registry_does(world: World) -> None:
    registry = world.deployment.address("KeyRegistry")
    (on_chain,) = world.reader.view(
        "KeyRegistry", "possessionMessage", [world.second.address, world.kid]
    )
    assert bytes(on_chain) == possession_message(
        world.rpc.chain_id, registry, world.second.address, world.kid
    )


def test_kid_claimed_by_one_agency_cannot_be_claimed_by_another(world: World) -> None:
    # Even an agency holding the same private key (shared or stolen) cannot take the kid over.
    with pytest.raises(KeyRegistryKidTaken) as err:
        world.second.register_key(world.key)
    assert (err.value.kid, err.value.owner) == (world.kid, world.issuer.address)


def test_another_agencys_public_key_cannot_be_registered(world: World) -> None:
    # Squatting: the victim's kid and point, signed with the squatter's own key.
    proof = world.second.prove_possession(SigningKey.generate())
    victim = SigningKey.generate()
    squat = proof._replace(kid=victim.thumbprint, x=victim.public_xy[0], y=victim.public_xy[1])
    with pytest.raises(KeyRegistryBadPossessionProof) as err:
        _register(world.second, squat)
    assert err.value.kid == victim.thumbprint
    assert world.reader.key(victim.thumbprint).agency is None
    world.issuer.register_key(victim)  # the holder of the key still can
    assert world.reader.key(victim.thumbprint).agency == world.issuer.address


def test_registry_thumbprint_is_rfc_7638(world: World) -> None:
    key = SigningKey.generate()
    assert _thumbprint(*key.public_xy) == key.thumbprint
    proof = world.second.prove_possession(key)
    with pytest.raises(KeyRegistryKidMismatch) as err:
        _register(world.second, proof._replace(kid=random32()))
    assert err.value.thumbprint == key.thumbprint


def test_own_key_cannot_be_registered_under_another_keys_kid(world: World) -> None:
    victim = SigningKey.generate()
    proof = world.second.prove_possession(SigningKey.generate())
    with pytest.raises(KeyRegistryKidMismatch) as err:
        _register(world.second, proof._replace(kid=victim.thumbprint))
    assert (err.value.kid, err.value.thumbprint) == (victim.thumbprint, proof.kid)


def test_proof_made_for_another_agency_is_refused(world: World) -> None:
    key = SigningKey.generate()
    proof_for_issuer = world.issuer.prove_possession(key)
    with pytest.raises(KeyRegistryBadPossessionProof):
        _register(world.second, proof_for_issuer)  # replayed from the mempool, say
    _register(world.issuer, proof_for_issuer)
    assert world.reader.key(key.thumbprint).agency == world.issuer.address


def test_proof_for_another_chain_is_refused(world: World) -> None:
    key = SigningKey.generate()
    registry = world.deployment.address("KeyRegistry")
    kid, (x, y) = key.thumbprint, key.public_xy
    message = possession_message(world.rpc.chain_id + 1, registry, world.second.address, kid)
    signature = key.sign(message)
    with pytest.raises(KeyRegistryBadPossessionProof):
        _register(world.second, PossessionProof(kid, x, y, signature[:32], signature[32:]))


def test_tampered_signature_is_refused(world: World) -> None:
    proof = world.second.prove_possession(SigningKey.generate())
    s = (int.from_bytes(proof.s, "big") ^ 1).to_bytes(32, "big")
    with pytest.raises(KeyRegistryBadPossessionProof):
        _register(world.second, proof._replace(s=s))


def test_point_off_the_curve_is_refused(world: World) -> None:
    # kid is the thumbprint of this (x, y), so only the signature check can catch it.
    x, y = (1).to_bytes(32, "big"), (1).to_bytes(32, "big")
    with pytest.raises(KeyRegistryBadPossessionProof):
        _register(world.second, PossessionProof(_thumbprint(x, y), x, y, random32(), random32()))


def test_zero_kid_is_rejected(world: World) -> None:
    proof = world.issuer.prove_possession(SigningKey.generate())
    with pytest.raises(KeyRegistryZeroKid):
        _register(world.issuer, proof._replace(kid=bytes(32)))


@pytest.mark.parametrize("who", ["outsider"])
def test_only_active_agencies_register_keys(world: World, who: str) -> None:
    sender = getattr(world, who)
    assert_role_gated(
        sender,
        "KeyRegistry",
        "registerKey",
        [*sender.prove_possession(SigningKey.generate())[:3], 0, 0, random32(), random32()],
        KeyRegistryAgencyNotActive,
        agency=sender.address,
        status=0,
    )


def test_suspended_agency_cannot_register_keys(world: World) -> None:
    world.execute(world.actions.suspend_agency(world.second.address))
    with pytest.raises(KeyRegistryAgencyNotActive) as err:
        world.second.register_key(SigningKey.generate())
    assert err.value.status == 2


def test_key_window_is_respected(world: World) -> None:
    now = world.now()
    key = SigningKey.generate()
    kid = key.thumbprint
    world.second.register_key(key, valid_from=now + 100, valid_until=now + 200)
    assert not world.reader.is_key_valid_at(kid, world.second.address, now + 99)
    assert world.reader.is_key_valid_at(kid, world.second.address, now + 100)
    assert not world.reader.is_key_valid_at(kid, world.second.address, now + 200)


def test_inverted_key_window_is_rejected(world: World) -> None:
    now = world.now()
    with pytest.raises(KeyRegistryInvalidWindow):
        world.second.register_key(SigningKey.generate(), valid_from=now + 10, valid_until=now + 5)


def test_rotation_ends_the_old_key_and_starts_the_new_one(world: World) -> None:
    world.advance(10)
    before = world.now() - 1
    new_key = SigningKey.generate()
    world.issuer.rotate_key(world.kid, new_key)
    now = world.now()
    new_kid = new_key.thumbprint
    assert world.reader.is_key_valid_at(world.kid, world.issuer.address, before)
    assert not world.reader.is_key_valid_at(world.kid, world.issuer.address, now)
    assert world.reader.is_key_valid_at(new_kid, world.issuer.address, now)
    assert world.reader.key(world.kid).valid_until == now


def test_rotation_needs_proof_of_possession_of_the_new_key(world: World) -> None:
    victim = SigningKey.generate()
    own = world.issuer.prove_possession(SigningKey.generate())  # signed by the wrong key
    vx, vy = victim.public_xy
    with pytest.raises(KeyRegistryBadPossessionProof):
        world.issuer.transact(
            world.issuer.tx(
                "KeyRegistry", "rotateKey", [world.kid, victim.thumbprint, vx, vy, 0, own.r, own.s]
            )
        )
    assert world.reader.key(victim.thumbprint).agency is None
    assert world.reader.key(world.kid).valid_until == 0


def test_only_the_owner_rotates(world: World) -> None:
    with pytest.raises(KeyRegistryNotKeyOwner):
        world.second.rotate_key(world.kid, SigningKey.generate())


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
        world.issuer.rotate_key(world.kid, SigningKey.generate())


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
        world.second.register_key(SigningKey.generate(), valid_from=UINT40_END + past)
    assert err.value.validFrom == UINT40_END + past
    # validUntil 2**40 would be stored as 0: an open-ended key.
    with pytest.raises(KeyRegistryInvalidWindow):
        world.second.register_key(SigningKey.generate(), valid_until=UINT40_END)
    with pytest.raises(KeyRegistryInvalidWindow):
        world.issuer.rotate_key(world.kid, SigningKey.generate(), valid_until=UINT40_END)
    assert world.reader.key(world.kid).valid_until == 0
    key = SigningKey.generate()
    world.second.register_key(key, valid_until=UINT40_END - 1)
    assert world.reader.key(key.thumbprint).valid_until == UINT40_END - 1
