"""Finality and rollbacks on the real devnet: a credential is handed out only once its anchor has
its confirmations; an anchor that vanished (`evm_revert` stands in for a devnet restarted from
older state, or a reorganisation) is found by `recover` and anchored again, exactly once; a
suspended agency's credentials are held until an operator decides."""

from __future__ import annotations

from pathlib import Path

import pytest
from world import PERSON, VCT, AgencyWorld

from ledger.agency.anchoring import LedgerAnchorChain
from ledger.agency.issuer import Issuer, IssueRequest, PendingIssue, package_id
from ledger.chain.deploy import contract_abi
from ledger.chain.rpc import to_hex
from ledger.errors import (
    ConfirmationTimeout,
    CredentialDiscarded,
    CredentialHeld,
    CredentialNotYetAnchored,
    CredentialsHeld,
    IssuanceError,
)
from ledger.sdjwt.jwk import SigningKey

HOLDER = SigningKey.generate()


@pytest.fixture
def world(agency_world: AgencyWorld, chain_snapshot: str) -> AgencyWorld:
    return agency_world


def _issuer(world: AgencyWorld, state: Path, **anchor_kwargs: object) -> Issuer:
    chain = world.issuer_chain()
    anchors = LedgerAnchorChain(chain, **anchor_kwargs)  # type: ignore[arg-type]
    return Issuer.open(chain, world.signing_key, state, anchor_chain=anchors)


def _queue(issuer: Issuer, count: int) -> list[str]:
    ids = []
    for i in range(count):
        claims = {**PERSON, "given_name": f"Karen {i}"}
        pending = issuer.issue(claims, vct=VCT, holder_jwk=HOLDER.public_jwk, anchor="batch")
        assert isinstance(pending, PendingIssue)
        ids.append(pending.credential_id)
    return ids


def _anchor_events(world: AgencyWorld, root: bytes) -> int:
    logs = world.rpc.call(
        "eth_getLogs",
        [
            {
                "address": world.deployment.address("AnchorRegistry"),
                "fromBlock": hex(world.deployment.block_number),
                "toBlock": "latest",
                "topics": [
                    to_hex(contract_abi("AnchorRegistry").topic("BatchAnchored")),
                    to_hex(root),
                ],
            }
        ],
    )
    return len(logs)


def test_credential_is_not_delivered_before_its_confirmations(
    world: AgencyWorld, tmp_path: Path
) -> None:
    kwargs = {"confirmations": 3, "mine_on_devnet": False, "confirmation_timeout": 0.3}
    with _issuer(world, tmp_path / "s", **kwargs) as issuer:
        (cid,) = _queue(issuer, 1)
        with pytest.raises(ConfirmationTimeout, match="1 of 3 confirmations"):
            issuer.flush()
        (mined,) = issuer.outbox.mined_batches()
        with pytest.raises(CredentialNotYetAnchored, match="mined"):
            issuer.delivered(cid)
        world.rpc.call("anvil_mine", ["0x1"])
        with pytest.raises(ConfirmationTimeout, match="2 of 3"):
            issuer.flush()
        world.rpc.call("anvil_mine", ["0x1"])
        (package,) = issuer.flush()
    assert package_id(package) == cid and package.metadata["block_number"] == mined.block_number


def test_confirmations_on_a_devnet_are_mined_on_demand(world: AgencyWorld, tmp_path: Path) -> None:
    with _issuer(world, tmp_path / "s", confirmations=4) as issuer:
        _queue(issuer, 2)
        packages = issuer.flush()
    assert len(packages) == 2
    assert world.rpc.block_number() >= packages[0].metadata["block_number"] + 3


def test_recover_reanchors_an_anchor_that_vanished_from_the_chain(
    world: AgencyWorld, tmp_path: Path
) -> None:
    state = tmp_path / "s"
    before = str(world.rpc.call("evm_snapshot", []))
    with world.make_issuer(state) as issuer:
        ids = _queue(issuer, 5)  # creates the agency's status list on chain first
        delivered = issuer.flush()
    root = delivered[0].anchor.root
    assert root is not None and _anchor_events(world, root) == 1
    assert world.rpc.call("evm_revert", [before])  # status list and anchor are gone
    assert world.reader().batch_of(world.issuer.address, root) is None
    with world.make_issuer(state) as restarted:
        report = restarted.recover()
        assert report.vanished == (1,)
        again = {package_id(p): p for p in restarted.flush()}
        assert sorted(again) == sorted(ids)
        for cid in ids:  # same root and proof as the packages handed out before the rollback
            assert again[cid].anchor == next(p for p in delivered if package_id(p) == cid).anchor
        assert restarted.outbox.batch(1).rollbacks == 1
        for package in again.values():
            ref = restarted.status_ref(package)
            assert world.reader().status_list(world.issuer.address, ref.list_id) is not None
        assert restarted.recover().vanished == ()
        for package in delivered:  # what was handed out before the rollback verifies again
            digest = restarted.outbox.deliverable(package_id(package)).digest
            assert world.reader().verify_inclusion(
                world.issuer.address, root, package.anchor.proof, digest
            )
    assert _anchor_events(world, root) == 1


# -- held credentials -------------------------------------------------------------------------


def _suspend(world: AgencyWorld) -> None:
    world.execute(world.reader().actions.suspend_agency(world.issuer.address))


def _reinstate(world: AgencyWorld) -> None:
    world.execute(world.reader().actions.reinstate_agency(world.issuer.address))


def test_credentials_signed_while_suspended_wait_for_an_operator(
    world: AgencyWorld, tmp_path: Path
) -> None:
    with world.make_issuer(tmp_path / "s") as issuer:
        _queue(issuer, 1)  # the agency's status list exists before it is suspended
        issuer.flush()
        _suspend(world)
        ids = _queue(issuer, 3)
        assert issuer.outbox.held_count() == 3
        _reinstate(world)
        assert issuer.flush() == []  # reinstated: still not anchored on their own
        with pytest.raises(CredentialHeld):
            issuer.delivered(ids[0])
        assert issuer.discard_held([ids[2]]) == 1
        packages = issuer.anchor_held()
        assert sorted(package_id(p) for p in packages) == sorted(ids[:2])
        with pytest.raises(CredentialDiscarded):
            issuer.delivered(ids[2])


def test_flush_while_suspended_holds_what_waits_for_an_anchor(
    world: AgencyWorld, tmp_path: Path
) -> None:
    with world.make_issuer(tmp_path / "s") as issuer:
        ids = _queue(issuer, 2)
        _suspend(world)
        assert issuer.flush() == []
        assert [h.id for h in issuer.held()] == ids
        with pytest.raises(IssuanceError, match="still suspended"):
            issuer.anchor_held()
        with pytest.raises(CredentialsHeld) as held:
            issuer.issue_many([IssueRequest(PERSON, HOLDER.public_jwk)], vct=VCT)
        assert len(held.value.credential_ids) == 1 and issuer.outbox.held_count() == 3
        _reinstate(world)
        assert len(issuer.anchor_held()) == 3
