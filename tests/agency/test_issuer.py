"""Issuer behaviour against the real devnet: anchoring (single and batch), status lists, status
updates, rejections. One deployment per session (`agency_world`), chain reverted after each test."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import PERSON, VCT, AgencyWorld

from ledger.agency.anchoring import SignedAnchor
from ledger.agency.issuer import Issuer, IssueRequest, PendingIssue, StatusRef, package_id
from ledger.agency.packages import CredentialPackage, parse_issuer_did
from ledger.chain.client import CheckRequest, CredentialCheck, CredentialStatus
from ledger.chain.merkle import leaf_hash
from ledger.chain.merkle import verify as merkle_verify
from ledger.errors import (
    AnchorRegistryNotAccredited,
    ClaimNotInType,
    CredentialNotYetAnchored,
    InputError,
    IssuanceError,
    UnknownCredentialType,
)
from ledger.sdjwt import SigningKey, UnsafeDeterministicRandom, verify_credential
from ledger.sdjwt.holder import unverified_header_and_payload

HOLDER = SigningKey.generate()


@pytest.fixture
def world(agency_world: AgencyWorld, chain_snapshot: str) -> AgencyWorld:
    return agency_world


@pytest.fixture
def issuer(world: AgencyWorld, tmp_path: Path) -> Iterator[Issuer]:
    with world.make_issuer(tmp_path / "issuer") as iss:
        yield iss


def digest_of(pkg: CredentialPackage) -> bytes:
    return hashlib.sha256(pkg.sd_jwt.split("~", 1)[0].encode("ascii")).digest()


def lens_check(world: AgencyWorld, pkg: CredentialPackage, issuer: Issuer) -> CredentialCheck:
    ref = issuer.status_ref(pkg)
    return world.reader().check_credential(
        CheckRequest(
            digest=digest_of(pkg),
            kid=world.signing_key.thumbprint,
            list_id=ref.list_id,
            status_index=ref.index,
            root=pkg.anchor.root or bytes(32),
            proof=pkg.anchor.proof,
        )
    )


def test_immediate_issue_is_anchored_and_confirmed_by_the_lens(
    world: AgencyWorld, issuer: Issuer
) -> None:
    pkg = issuer.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="now")
    assert isinstance(pkg, CredentialPackage)
    assert not pkg.anchor.is_batch
    check = lens_check(world, pkg, issuer)
    assert check.anchored and check.issuer == world.issuer.address
    assert check.issuer_accredited_at_anchor and check.key_valid_at_anchor
    assert check.status_known and check.status == 0
    assert world.reader().anchor_of(world.issuer.address, digest_of(pkg)) is not None


def _crash(*_: object, **__: object) -> None:
    raise SystemExit("simulated crash")


@pytest.mark.parametrize(
    ("crash_in", "recovered_as"),
    [("broadcast_signed", "rebroadcast"), ("wait_outcomes", "anchored")],
    ids=["before-broadcast", "before-receipt"],
)
def test_credential_anchored_alone_survives_a_crash_before_its_anchor_is_confirmed(
    world: AgencyWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    crash_in: str,
    recovered_as: str,
) -> None:
    state = tmp_path / "issuer"
    with world.make_issuer(state) as crashing:
        monkeypatch.setattr(crashing._anchors, crash_in, _crash)
        with pytest.raises(SystemExit):
            crashing.issue(
                PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="now", credential_id="c1"
            )
    with world.make_issuer(state) as restarted:
        report = restarted.recover()
        assert len(getattr(report, recovered_as)) == 1
        restarted.flush()
        pkg = restarted.delivered("c1")
        assert not pkg.anchor.is_batch
        assert package_id(pkg) == "c1"
        assert isinstance(pkg.metadata["block_number"], int)  # from the receipt or the event
        check = lens_check(world, pkg, restarted)
        assert check.anchored and check.issuer == world.issuer.address
        verify_credential(
            pkg.sd_jwt,
            issuer_key_resolver=world.signing_key.public_key,
            expected_holder_jwk=HOLDER.public_jwk,
        )


def test_a_digest_another_agency_anchored_first_is_still_anchored_as_ours(
    world: AgencyWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "issuer"
    with world.make_issuer(state) as crashing:
        monkeypatch.setattr(crashing._anchors, "broadcast_signed", _crash)
        with pytest.raises(SystemExit):
            crashing.issue(
                PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="now", credential_id="c1"
            )
        digest = crashing.outbox.batch(1).root
    rival = world.chain(world.new_agency("Front Runner", accredit=True))
    rival.anchor(digest, world.type_id)  # e.g. copied from the mempool
    with world.make_issuer(state) as restarted:
        assert restarted.recover().rebroadcast == (1,)  # the rival's record is not ours
        (pkg,) = restarted.flush()  # our stored transaction goes through unchanged
        assert package_id(pkg) == "c1" and not pkg.anchor.is_batch
        check = lens_check(world, pkg, restarted)
        assert check.anchored and check.issuer == world.issuer.address
    reader = world.reader()
    assert reader.anchor_of(rival.address, digest).issuer == rival.address  # theirs, apart
    assert reader.anchor_of(world.issuer.address, digest).issuer == world.issuer.address


def test_a_batch_root_another_agency_anchored_first_is_still_anchored_as_ours(
    world: AgencyWorld, issuer: Issuer
) -> None:
    for _ in range(3):
        issuer.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="batch")
    sealed = issuer.outbox.seal_batch(world.type_id, max_size=10)
    assert sealed is not None
    rival = world.chain(world.new_agency("Front Runner", accredit=True))
    rival.anchor_batch(sealed.root, world.type_id, sealed.count)
    packages = issuer.flush()
    assert sorted(package_id(p) for p in packages) == sorted(sealed.credential_ids)
    assert {p.anchor.root for p in packages} == {sealed.root}
    for pkg in packages:
        check = lens_check(world, pkg, issuer)
        assert check.anchored and check.issuer == world.issuer.address


def test_front_running_every_anchor_changes_nothing(
    world: AgencyWorld, issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    rival = world.chain(world.new_agency("Front Runner", accredit=True))
    anchors = issuer._anchors
    broadcast = anchors.broadcast_signed

    def front_run_then_broadcast(signed: list[SignedAnchor]) -> None:
        for tx in signed:  # the rival sees each transaction and anchors its root first
            rival.anchor_batch(tx.root, world.type_id, 1)
        broadcast(signed)

    monkeypatch.setattr(anchors, "broadcast_signed", front_run_then_broadcast)
    pending = issuer.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="batch")
    assert isinstance(pending, PendingIssue)
    (pkg,) = issuer.flush()
    assert package_id(pkg) == pending.credential_id
    assert lens_check(world, pkg, issuer).anchored


def test_issued_credential_is_a_valid_sd_jwt_vc_naming_the_agency(
    world: AgencyWorld, issuer: Issuer
) -> None:
    pkg = issuer.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, validity=3600)
    assert isinstance(pkg, CredentialPackage)
    verified = verify_credential(
        pkg.sd_jwt,
        issuer_key_resolver=world.signing_key.public_key,
        expected_holder_jwk=HOLDER.public_jwk,
    )
    assert verified.claims["cpr_number"] == PERSON["cpr_number"]
    header, payload = unverified_header_and_payload(pkg.sd_jwt)
    assert header["kid"] == world.signing_key.kid
    assert parse_issuer_did(payload["iss"]) == (world.chain_id, world.issuer.address)
    assert payload["exp"] == payload["iat"] + 3600
    assert CredentialPackage.from_json(pkg.to_json()) == pkg


def test_batched_credential_is_not_deliverable_before_its_root_is_mined(
    world: AgencyWorld, issuer: Issuer
) -> None:
    pending = issuer.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="batch")
    assert isinstance(pending, PendingIssue)
    with pytest.raises(CredentialNotYetAnchored):
        issuer.delivered(pending.credential_id)
    assert world.reader().anchor_of(world.issuer.address, pending.digest) is None
    packages = issuer.flush()
    assert [package_id(p) for p in packages] == [pending.credential_id]
    assert issuer.delivered(pending.credential_id) == packages[0]


def test_batch_packages_carry_merkle_proofs_the_chain_confirms(
    world: AgencyWorld, issuer: Issuer
) -> None:
    requests = [
        IssueRequest({**PERSON, "given_name": f"Karen {i}"}, HOLDER.public_jwk) for i in range(25)
    ]
    packages = issuer.issue_many(requests, vct=VCT, max_batch=10)
    assert len(packages) == 25
    assert [unverified_header_and_payload(p.sd_jwt)[1]["iss"] for p in packages] == [
        issuer.issuer_id
    ] * 25
    roots = {p.anchor.root for p in packages}
    assert len(roots) == 3  # 10 + 10 + 5
    reader = world.reader()
    for pkg in packages:
        assert pkg.anchor.root is not None
        assert merkle_verify(pkg.anchor.root, pkg.anchor.proof, leaf_hash(digest_of(pkg)))
        assert reader.verify_inclusion(
            world.issuer.address, pkg.anchor.root, pkg.anchor.proof, digest_of(pkg)
        )
    check = lens_check(world, packages[7], issuer)
    assert check.anchored and check.batch_count == 10
    # A proof for one credential does not prove another.
    assert not reader.verify_inclusion(
        world.issuer.address,
        packages[0].anchor.root,
        packages[0].anchor.proof,
        digest_of(packages[1]),
    )


def test_status_indexes_are_random_not_sequential(world: AgencyWorld, issuer: Issuer) -> None:
    requests = [IssueRequest(PERSON, HOLDER.public_jwk) for _ in range(64)]
    packages = issuer.issue_many(requests, vct=VCT)
    indexes = [issuer.status_ref(p).index for p in packages]
    assert len(set(indexes)) == 64
    assert indexes != sorted(indexes)
    # Spread over the list, not clustered at its start (chance of failing: ~2**-64).
    assert max(indexes) > 2**16 and min(indexes) < 2**16


def test_status_indexes_follow_the_injected_rng(world: AgencyWorld, tmp_path: Path) -> None:
    drawn = []
    for run in ("a", "b"):
        with world.make_issuer(tmp_path / run, rng=UnsafeDeterministicRandom(7)) as iss:
            pending = iss.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="batch")
            assert isinstance(pending, PendingIssue)
            drawn.append(pending.status.index)
    assert drawn[0] == drawn[1]


def test_two_state_directories_of_one_agency_never_share_a_status_list(
    world: AgencyWorld, tmp_path: Path
) -> None:
    refs = []
    for run in ("first", "second"):
        with world.make_issuer(tmp_path / run) as iss:
            pending = iss.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="batch")
            assert isinstance(pending, PendingIssue)
            refs.append(pending.status)
    assert [r.list_id for r in refs] == [1, 2]
    # The first directory keeps drawing from its own list after a restart.
    with world.make_issuer(tmp_path / "first") as again:
        pending = again.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="batch")
        assert isinstance(pending, PendingIssue) and pending.status.list_id == 1


def test_status_list_is_created_on_first_use_and_a_new_one_opened_when_full(
    world: AgencyWorld, issuer: Issuer, tmp_path: Path
) -> None:
    reader = world.reader()
    assert reader.status_list(world.issuer.address, 1) is None
    with world.make_issuer(tmp_path / "small", status_list_capacity=128) as small:
        packages = small.issue_many(
            [IssueRequest(PERSON, HOLDER.public_jwk) for _ in range(100)], vct=VCT
        )
        lists = {small.status_ref(p).list_id for p in packages}
    assert lists == {1, 2}  # 96 fit in list 1 (75% of 128)
    for list_id in lists:
        info = reader.status_list(world.issuer.address, list_id)
        assert info is not None and info.capacity == 128


def test_revoke_suspend_and_reinstate_are_seen_on_chain(world: AgencyWorld, issuer: Issuer) -> None:
    a = issuer.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk)
    b = issuer.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk)
    assert isinstance(a, CredentialPackage) and isinstance(b, CredentialPackage)
    reader = world.reader()

    def status(pkg: CredentialPackage) -> CredentialStatus:
        ref = issuer.status_ref(pkg)
        return reader.status_of(world.issuer.address, ref.list_id, ref.index)

    issuer.suspend(a)
    assert (status(a), status(b)) == (CredentialStatus.SUSPENDED, CredentialStatus.VALID)
    issuer.reinstate(a)
    assert status(a) is CredentialStatus.VALID
    issuer.revoke(b)
    assert status(b) is CredentialStatus.REVOKED
    assert lens_check(world, b, issuer).status == 1


def test_a_revoked_credential_cannot_be_reinstated(world: AgencyWorld, issuer: Issuer) -> None:
    pkg = issuer.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk)
    assert isinstance(pkg, CredentialPackage)
    issuer.revoke(pkg)
    with pytest.raises(IssuanceError):
        issuer.reinstate(pkg)
    assert issuer.status(pkg) is CredentialStatus.REVOKED


def test_status_updates_send_one_transaction_per_list(world: AgencyWorld, tmp_path: Path) -> None:
    with world.make_issuer(tmp_path / "small", status_list_capacity=128) as small:
        packages = small.issue_many(
            [IssueRequest(PERSON, HOLDER.public_jwk) for _ in range(120)], vct=VCT
        )
        receipts = small.revoke(*packages[:110])
        assert len(receipts) == len({small.status_ref(p).list_id for p in packages[:110]}) == 2
        assert all(small.status(p) is CredentialStatus.REVOKED for p in packages[:110])
        assert all(small.status(p) is CredentialStatus.VALID for p in packages[110:])


def test_status_ref_accepts_only_this_agencys_credentials(
    world: AgencyWorld, issuer: Issuer, tmp_path: Path
) -> None:
    pkg = issuer.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk)
    assert isinstance(pkg, CredentialPackage)
    assert isinstance(issuer.status_ref(pkg), StatusRef)
    with Issuer.open(world.verifier_chain(), world.signing_key, tmp_path / "other") as other:
        with pytest.raises(InputError):
            other.status_ref(pkg)
        with pytest.raises(InputError):
            other.revoke(pkg)


def test_unknown_credential_type_is_rejected(issuer: Issuer) -> None:
    with pytest.raises(UnknownCredentialType):
        issuer.issue(PERSON, vct="https://nope.example/v1", holder_jwk=HOLDER.public_jwk)


def test_claim_outside_the_type_is_rejected(issuer: Issuer) -> None:
    with pytest.raises(ClaimNotInType):
        issuer.issue({**PERSON, "shoe_size": 42}, vct=VCT, holder_jwk=HOLDER.public_jwk)


def test_a_credential_without_claims_is_rejected(issuer: Issuer) -> None:
    with pytest.raises(ClaimNotInType, match="needs at least one"):
        issuer.issue({}, vct=VCT, holder_jwk=HOLDER.public_jwk)


def test_agency_not_accredited_cannot_anchor_and_nothing_is_recorded(
    world: AgencyWorld, tmp_path: Path
) -> None:
    account = world.new_agency("Unaccredited Office")
    key = SigningKey.generate()
    chain = world.chain(account)
    chain.register_key(key)
    with Issuer.open(chain, key, tmp_path / "rogue") as rogue:
        with pytest.raises(AnchorRegistryNotAccredited):
            rogue.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="now")
        rogue.issue(PERSON, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="batch")
        with pytest.raises(AnchorRegistryNotAccredited):
            rogue.flush()
        stats = rogue.outbox.stats()
        assert (stats.batches_sealed, stats.batches_submitted, stats.anchored) == (1, 0, 0)


def test_large_batches_signed_in_a_process_pool_are_valid_and_distinct(
    world: AgencyWorld, tmp_path: Path
) -> None:
    with world.make_issuer(tmp_path / "pool", signing_processes=2) as pooled:
        requests = [
            IssueRequest({**PERSON, "given_name": f"K{i}"}, HOLDER.public_jwk) for i in range(1200)
        ]
        packages = pooled.issue_many(requests, vct=VCT)
        timings = pooled.last_timings
    assert timings is not None and timings.count == 1200
    assert len({p.sd_jwt for p in packages}) == 1200
    assert len({(r.list_id, r.index) for r in map(pooled.status_ref, packages)}) == 1200
    for i in (0, 599, 1199):
        verified = verify_credential(
            packages[i].sd_jwt,
            issuer_key_resolver=world.signing_key.public_key,
            expected_holder_jwk=HOLDER.public_jwk,
        )
        assert verified.claims["given_name"] == f"K{i}"
