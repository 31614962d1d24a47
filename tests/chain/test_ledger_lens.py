"""LedgerLens: one eth_call answers every chain question a verifier has, in every state."""

from __future__ import annotations

from chain_helpers import LIST_ID, PURPOSE, World, random32

from ledger.chain.client import AgencyStatus, CheckRequest, CredentialStatus
from ledger.chain.merkle import MerkleTree
from ledger.sdjwt.jwk import SigningKey


def _single(world: World, index: int = 5) -> CheckRequest:
    digest = random32()
    world.issuer.anchor(digest, world.type_id)
    return CheckRequest(
        digest,
        world.kid,
        LIST_ID,
        index,
        verifier=world.verifier.address,
        purpose_digest=PURPOSE,
        claim_mask=0b11,
    )


def test_fresh_single_anchor_checks_out(world: World) -> None:
    request = _single(world)
    c = world.reader.check_credential(request)
    assert c.anchored and c.issuer == world.issuer.address and c.type_id == world.type_id
    assert c.batch_count == 1 and c.anchored_at > 0
    assert c.issuer_accredited_at_anchor and c.key_valid_at_anchor
    assert c.key_agency == world.issuer.address and c.key_revoked_at == 0
    assert c.status_known and c.status == CredentialStatus.VALID
    assert c.issuer_agency_status is AgencyStatus.ACTIVE
    assert c.verifier_authorized
    assert c.block_number == world.rpc.block_number() and c.block_timestamp == world.now()


def test_unanchored_digest_reports_not_anchored(world: World) -> None:
    c = world.reader.check_credential(CheckRequest(random32(), world.kid, LIST_ID, 0))
    assert not c.anchored and c.issuer is None
    assert not c.issuer_accredited_at_anchor and not c.key_valid_at_anchor
    assert c.key_agency == world.issuer.address  # key facts are reported regardless


def test_batch_member_checks_out_and_a_tampered_leaf_does_not(world: World) -> None:
    digests = [random32() for _ in range(8)]
    tree = MerkleTree.from_digests(digests)
    world.issuer.anchor_batch(tree.root, world.type_id, len(digests))
    ok = CheckRequest(digests[3], world.kid, LIST_ID, 0, root=tree.root, proof=tuple(tree.proof(3)))
    c = world.reader.check_credential(ok)
    assert c.anchored and c.batch_count == 8 and c.issuer_accredited_at_anchor
    bad = CheckRequest(
        random32(), world.kid, LIST_ID, 0, root=tree.root, proof=tuple(tree.proof(3))
    )
    assert not world.reader.check_credential(bad).anchored


def test_a_root_only_request_answers_for_the_batch_without_naming_a_credential(
    world: World,
) -> None:
    digests = [random32() for _ in range(4)]
    tree = MerkleTree.from_digests(digests)
    world.issuer.anchor_batch(tree.root, world.type_id, len(digests))
    # digest 0 and no proof: the caller proves the leaf's inclusion itself (herd privacy)
    root_only = CheckRequest(bytes(32), world.kid, LIST_ID, 0, root=tree.root)
    c = world.reader.check_credential(root_only)
    assert c.anchored and c.batch_count == 4 and c.issuer == world.issuer.address
    assert c.issuer_accredited_at_anchor and c.key_valid_at_anchor
    unknown = CheckRequest(bytes(32), world.kid, LIST_ID, 0, root=random32())
    assert not world.reader.check_credential(unknown).anchored
    # a proof without a digest is no root-only request: it proves nothing, so nothing is anchored
    half = CheckRequest(bytes(32), world.kid, LIST_ID, 0, root=tree.root, proof=(random32(),))
    assert not world.reader.check_credential(half).anchored


def test_revoked_and_suspended_status_are_reported(world: World) -> None:
    request = _single(world, index=9)
    world.issuer.set_status(LIST_ID, 9, CredentialStatus.SUSPENDED)
    assert world.reader.check_credential(request).status == CredentialStatus.SUSPENDED
    world.issuer.set_status(LIST_ID, 9, CredentialStatus.REVOKED)
    assert world.reader.check_credential(request).status == CredentialStatus.REVOKED


def test_unknown_list_or_index_is_reported_as_unknown_status(world: World) -> None:
    digest = random32()
    world.issuer.anchor(digest, world.type_id)
    assert not world.reader.check_credential(CheckRequest(digest, world.kid, 99, 0)).status_known
    assert not world.reader.check_credential(
        CheckRequest(digest, world.kid, LIST_ID, 10**6)
    ).status_known


def test_key_revoked_after_anchoring_still_valid_at_anchor_time(world: World) -> None:
    request = _single(world)
    world.advance(5)
    world.issuer.revoke_key(world.kid)
    c = world.reader.check_credential(request)
    assert c.key_valid_at_anchor and c.key_revoked_at > c.anchored_at


def test_anchor_after_key_revocation_fails_the_key_check(world: World) -> None:
    world.issuer.revoke_key(world.kid)
    world.advance(1)
    c = world.reader.check_credential(_single(world))
    assert not c.key_valid_at_anchor


def test_anchor_counts_only_if_made_by_the_agency_owning_the_key(world: World) -> None:
    other = SigningKey.generate()
    world.second.register_key(other)
    digest = random32()
    world.issuer.anchor(digest, world.type_id)
    c = world.reader.check_credential(CheckRequest(digest, other.thumbprint, LIST_ID, 0))
    assert c.key_agency == world.second.address
    assert not c.anchored and not c.key_valid_at_anchor


def test_another_agencys_anchor_of_the_same_digest_is_not_ours(world: World) -> None:
    world.execute(world.actions.accredit(world.second.address, world.type_id))
    digest = random32()
    world.second.anchor(digest, world.type_id)  # first, copied from the mempool say
    request = CheckRequest(digest, world.kid, LIST_ID, 5)
    assert not world.reader.check_credential(request).anchored
    world.issuer.anchor(digest, world.type_id)
    c = world.reader.check_credential(request)
    assert c.anchored and c.issuer == world.issuer.address and c.key_valid_at_anchor


def test_suspended_issuer_is_reported_now_but_was_accredited_at_anchor(world: World) -> None:
    request = _single(world)
    world.advance(5)
    world.execute(world.actions.suspend_agency(world.issuer.address))
    c = world.reader.check_credential(request)
    assert c.issuer_agency_status is AgencyStatus.SUSPENDED
    assert c.issuer_accredited_at_anchor


def test_withdrawn_verifier_is_not_authorised(world: World) -> None:
    request = _single(world)
    world.execute(world.actions.withdraw_verifier(world.verifier.address, world.type_id, PURPOSE))
    assert not world.reader.check_credential(request).verifier_authorized


def test_verifier_check_is_skipped_without_a_verifier(world: World) -> None:
    digest = random32()
    world.issuer.anchor(digest, world.type_id)
    assert not world.reader.check_credential(
        CheckRequest(digest, world.kid, LIST_ID, 0)
    ).verifier_authorized


def test_verifier_asking_for_more_claims_is_not_authorised(world: World) -> None:
    request = _single(world)
    wider = CheckRequest(
        request.digest,
        world.kid,
        LIST_ID,
        5,
        verifier=world.verifier.address,
        purpose_digest=PURPOSE,
        claim_mask=0b111,
    )
    assert not world.reader.check_credential(wider).verifier_authorized


def test_check_many_agrees_with_single_checks(world: World) -> None:
    requests = [_single(world, index=i) for i in range(3)]
    requests.append(CheckRequest(random32(), world.kid, LIST_ID, 0))
    world.issuer.set_status(LIST_ID, 1, CredentialStatus.REVOKED)
    block = world.rpc.block_number()
    singles = [world.reader.lens.check_one(r, block=block) for r in requests]
    batch = world.reader.lens.check_many(requests, block=block)
    assert batch == singles
    assert [c.anchored for c in batch] == [True, True, True, False]
    assert batch[1].status == CredentialStatus.REVOKED
