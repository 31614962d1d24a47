"""Council: threshold, single votes, expiry, allowed targets, self-governance, execution."""

from __future__ import annotations

import pytest
from chain_helpers import World, assert_role_gated, funded_account

from ledger.chain.client import AgencyStatus, LedgerChain
from ledger.chain.council import CouncilAction, council_execute
from ledger.errors import (
    CouncilAlreadyVoted,
    CouncilExecutionOutOfGas,
    CouncilInvalidLifetime,
    CouncilInvalidMember,
    CouncilInvalidSignature,
    CouncilInvalidThreshold,
    CouncilNotMember,
    CouncilOnlySelf,
    CouncilProposalAlreadyExecuted,
    CouncilProposalExpired,
    CouncilSignatureExpired,
    CouncilTargetNotAllowed,
    CouncilThresholdNotReached,
    CouncilUnknownProposal,
    TrustRegistryAgencyExists,
    TrustRegistryUnknownAgency,
)


def test_proposal_executes_only_when_the_threshold_is_reached(world: World) -> None:
    agency = funded_account(world.rpc).address
    first = world.council[0].propose(world.actions.admit_agency(agency, "New"))
    assert not first.executed and first.votes == 1
    assert world.reader.agency_status(agency) is AgencyStatus.NONE
    second = world.council[1].vote(first.proposal_id)
    assert second.executed and second.votes == 2
    assert world.reader.agency_status(agency) is AgencyStatus.ACTIVE
    assert world.reader.proposal(first.proposal_id).executed


def test_member_cannot_vote_twice(world: World) -> None:
    outcome = world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    with pytest.raises(CouncilAlreadyVoted) as err:
        world.council[0].vote(outcome.proposal_id)
    assert (err.value.id, err.value.member) == (outcome.proposal_id, world.council[0].address)
    assert world.reader.has_voted(outcome.proposal_id, world.council[0].address)


def test_executed_proposal_takes_no_more_votes(world: World) -> None:
    outcome = world.execute(world.actions.suspend_agency(world.issuer.address))
    with pytest.raises(CouncilProposalAlreadyExecuted):
        world.council[2].vote(outcome.proposal_id)


def test_expired_proposal_cannot_be_voted(world: World) -> None:
    outcome = world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    expires_at = world.reader.proposal(outcome.proposal_id).expires_at
    world.advance(world.reader.proposal_lifetime() + 1)
    with pytest.raises(CouncilProposalExpired) as err:
        world.council[1].vote(outcome.proposal_id)
    assert err.value.expiredAt == expires_at
    assert world.reader.agency_status(world.issuer.address) is AgencyStatus.ACTIVE


def test_unknown_proposal_is_rejected(world: World) -> None:
    with pytest.raises(CouncilUnknownProposal):
        world.council[0].vote(999)
    with pytest.raises(CouncilUnknownProposal):
        world.reader.proposal(999)


def test_non_member_cannot_propose_or_vote(world: World) -> None:
    action = world.actions.suspend_agency(world.issuer.address)
    assert_role_gated(
        world.outsider,
        "Council",
        "propose",
        [action.target, action.data],
        CouncilNotMember,
        account=world.outsider.address,
    )
    outcome = world.council[0].propose(action)
    assert_role_gated(world.issuer, "Council", "vote", [outcome.proposal_id], CouncilNotMember)


def test_proposal_to_a_foreign_target_is_rejected(world: World) -> None:
    target = world.deployment.address("AnchorRegistry")
    with pytest.raises(CouncilTargetNotAllowed) as err:
        world.council[0].transact(world.council[0].tx("Council", "propose", [target, b""]))
    assert err.value.target == target


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        ("addMember", ["0x" + "11" * 20]),
        ("removeMember", ["0x" + "11" * 20]),
        ("setThreshold", [1]),
        ("setProposalLifetime", [60]),
    ],
)
def test_council_settings_change_only_through_proposals(
    world: World, fn: str, args: list[object]
) -> None:
    assert_role_gated(world.council[0], "Council", fn, args, CouncilOnlySelf)


def test_failed_execution_keeps_the_vote_and_the_proposal_open(world: World) -> None:
    # The vote that reaches the threshold is recorded even though the call reverts: the
    # failure is reported (ProposalExecutionFailed, decoded), the proposal stays executable.
    action = world.actions.admit_agency(world.issuer.address, "again")
    outcome = world.council[0].propose(action)
    voted = world.council[1].vote(outcome.proposal_id)
    assert (voted.executed, voted.votes) == (False, 2)
    assert isinstance(voted.execution_error, TrustRegistryAgencyExists)
    assert world.reader.has_voted(outcome.proposal_id, world.council[1].address)
    proposal = world.reader.proposal(outcome.proposal_id)
    assert (proposal.executed, proposal.executable, proposal.votes) == (False, True, 2)
    assert proposal.failed_block == voted.receipt.block_number
    failure = world.reader.execution_failure(outcome.proposal_id)
    assert isinstance(failure, TrustRegistryAgencyExists)
    # An explicit execution that still fails reverts with the decoded inner error.
    with pytest.raises(TrustRegistryAgencyExists):
        world.council[2].execute(outcome.proposal_id)


def _large_action(world: World) -> CouncilAction:
    """A call of ~1.5M gas (a type with 64 claims): 1/64 of that pays for a failure report."""
    return world.actions.register_type(
        "https://credentials.example.dk/large/v1", [f"claim_{i}" for i in range(64)]
    )


def test_the_last_vote_sent_with_the_estimated_gas_executes_a_large_call(world: World) -> None:
    # Gas estimation looks for the least gas with which the transaction succeeds. Were a call
    # that ran out of gas reported as a failed execution, that would be a vote that starves the
    # call (and `ledger type register` would fail with a bare revert()).
    pending = world.council[0].propose(_large_action(world))
    voted = world.council[1].vote(pending.proposal_id)
    assert (voted.executed, voted.execution_error) == (True, None)


def test_a_last_vote_with_too_little_gas_for_the_call_reverts_and_records_nothing(
    world: World,
) -> None:
    # Nor can a voter or a relayer send just enough gas for the vote and a failure report, and
    # so mark a proposal that would succeed as failed.
    action = _large_action(world)
    pending = world.council[0].propose(action)
    voter = world.council[1]
    request = voter.tx("Council", "vote", [pending.proposal_id])
    estimate = {"from": voter.address, "to": request.to, "data": "0x" + request.data.hex()}
    needed = int(world.rpc.call("eth_estimateGas", [estimate]), 16)
    council = world.deployment.address("Council")
    inner = {"from": council, "to": action.target, "data": "0x" + action.data.hex()}
    call_gas = int(world.rpc.call("eth_estimateGas", [inner]), 16) - 21_000
    short = voter.tx("Council", "vote", [pending.proposal_id], gas=needed - call_gas // 10)
    with pytest.raises(CouncilExecutionOutOfGas) as err:
        voter.transact(short)
    voter.sender.resync_nonce()
    assert err.value.id == pending.proposal_id
    assert not world.reader.has_voted(pending.proposal_id, voter.address)
    assert world.reader.proposal(pending.proposal_id).failed_block == 0
    assert voter.vote(pending.proposal_id).executed


def test_a_failed_action_retried_after_the_cause_is_fixed_succeeds(world: World) -> None:
    # Accrediting an agency that is not admitted yet fails; once it is admitted, any member
    # executes the proposal that already has its votes.
    agency = funded_account(world.rpc).address
    pending = world.council[0].propose(world.actions.accredit(agency, world.type_id))
    voted = world.council[1].vote(pending.proposal_id)
    assert not voted.executed
    assert isinstance(voted.execution_error, TrustRegistryUnknownAgency)
    failure = world.reader.execution_failure(pending.proposal_id)
    assert isinstance(failure, TrustRegistryUnknownAgency)
    assert failure.values == voted.execution_error.values
    world.execute(world.actions.admit_agency(agency, "Late"))
    executed = world.council[2].execute(pending.proposal_id)
    assert (executed.executed, executed.votes, executed.execution_error) == (True, 2, None)
    assert world.reader.can_anchor(agency, world.type_id)
    proposal = world.reader.proposal(pending.proposal_id)
    assert (proposal.executed, proposal.executable) == (True, False)
    with pytest.raises(CouncilProposalAlreadyExecuted):
        world.council[0].execute(pending.proposal_id)


def test_a_proposal_over_a_lowered_threshold_can_be_executed_by_any_member(
    world: World,
) -> None:
    world.execute(world.actions.set_threshold(3))
    agency = funded_account(world.rpc).address
    pending = world.council[0].propose(world.actions.admit_agency(agency, "Waiting"))
    assert not world.council[1].vote(pending.proposal_id).executed
    world.execute(world.actions.set_threshold(2))
    proposal = world.reader.proposal(pending.proposal_id)
    assert (proposal.votes, proposal.executed, proposal.executable) == (2, False, True)
    with pytest.raises(CouncilAlreadyVoted):  # its voters cannot vote again
        world.council[1].vote(pending.proposal_id)
    outcome = world.council[2].execute(pending.proposal_id)
    assert (outcome.executed, outcome.votes) == (True, 2)
    assert world.reader.agency_status(agency) is AgencyStatus.ACTIVE
    assert not world.reader.has_voted(pending.proposal_id, world.council[2].address)


def test_non_member_cannot_execute(world: World) -> None:
    world.execute(world.actions.set_threshold(3))
    pending = world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    world.council[1].vote(pending.proposal_id)
    world.execute(world.actions.set_threshold(2))
    assert_role_gated(
        world.outsider,
        "Council",
        "execute",
        [pending.proposal_id],
        CouncilNotMember,
        account=world.outsider.address,
    )
    assert world.reader.agency_status(world.issuer.address) is AgencyStatus.ACTIVE


def test_proposal_below_the_threshold_cannot_be_executed(world: World) -> None:
    pending = world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    assert not world.reader.proposal(pending.proposal_id).executable
    with pytest.raises(CouncilThresholdNotReached) as err:
        world.council[1].execute(pending.proposal_id)
    assert (err.value.id, err.value.votes, err.value.threshold) == (pending.proposal_id, 1, 2)
    assert world.reader.agency_status(world.issuer.address) is AgencyStatus.ACTIVE


def test_expired_or_unknown_proposal_cannot_be_executed(world: World) -> None:
    world.execute(world.actions.set_threshold(3))
    pending = world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    world.council[1].vote(pending.proposal_id)
    world.execute(world.actions.set_threshold(2))
    world.advance(world.reader.proposal_lifetime() + 1)
    assert not world.reader.proposal(pending.proposal_id).executable
    with pytest.raises(CouncilProposalExpired):
        world.council[2].execute(pending.proposal_id)
    with pytest.raises(CouncilUnknownProposal):
        world.council[2].execute(999)


def test_council_adds_a_member_and_raises_the_threshold(world: World) -> None:
    newcomer = funded_account(world.rpc)
    world.execute(world.actions.add_member(newcomer.address))
    world.execute(world.actions.set_threshold(3))
    assert newcomer.address in world.reader.council_members()
    assert world.reader.council_threshold() == 3
    members = [*world.council, LedgerChain(world.rpc, world.deployment, newcomer)]
    agency = funded_account(world.rpc).address
    outcome = council_execute(members, world.actions.admit_agency(agency, "Late"))
    assert outcome.votes == 3


def test_threshold_must_stay_reachable(world: World) -> None:
    with pytest.raises(CouncilInvalidThreshold) as err:
        world.execute(world.actions.set_threshold(4))
    assert (err.value.threshold, err.value.memberCount) == (4, 3)
    world.execute(world.actions.remove_member(world.council[2].address))
    with pytest.raises(CouncilInvalidThreshold):
        world.execute(world.actions.remove_member(world.council[1].address))


def test_votes_of_a_removed_member_stop_counting(world: World) -> None:
    # Three members, threshold 2. Member 2 votes for a proposal, then is removed (say its key
    # was stolen): its vote no longer brings the proposal to the threshold.
    agency = funded_account(world.rpc).address
    pending = world.council[2].propose(world.actions.admit_agency(agency, "Pre-voted"))
    assert pending.votes == 1
    world.execute(world.actions.remove_member(world.council[2].address))
    assert world.reader.proposal(pending.proposal_id).votes == 0
    first = world.council[0].vote(pending.proposal_id)
    assert (first.executed, first.votes) == (False, 1)
    assert world.reader.agency_status(agency) is AgencyStatus.NONE
    second = world.council[1].vote(pending.proposal_id)
    assert (second.executed, second.votes) == (True, 2)
    assert world.reader.proposal(pending.proposal_id).votes == 2


def test_a_re_admitted_member_s_old_votes_stay_withdrawn(world: World) -> None:
    # Member 2 proposes to admit an agency, is removed (its key was stolen), and is admitted
    # again with the same address: its old vote does not come back, so one more vote must not
    # be enough to admit the agency.
    agency = funded_account(world.rpc).address
    pending = world.council[2].propose(world.actions.admit_agency(agency, "Evil Agency"))
    world.execute(world.actions.remove_member(world.council[2].address))
    world.execute(world.actions.add_member(world.council[2].address))
    assert world.reader.proposal(pending.proposal_id).votes == 0
    assert not world.reader.has_voted(pending.proposal_id, world.council[2].address)
    first = world.council[0].vote(pending.proposal_id)
    assert (first.executed, first.votes) == (False, 1)
    assert world.reader.agency_status(agency) is AgencyStatus.NONE
    # Re-admitted, it holds a new seat and may vote again: that vote counts.
    second = world.council[2].vote(pending.proposal_id)
    assert (second.executed, second.votes) == (True, 2)


def test_removing_a_non_member_names_that_account(world: World) -> None:
    with pytest.raises(CouncilNotMember) as err:
        world.execute(world.actions.remove_member(world.outsider.address))
    assert err.value.account == world.outsider.address


def test_existing_member_cannot_be_added_twice(world: World) -> None:
    with pytest.raises(CouncilInvalidMember):
        world.execute(world.actions.add_member(world.council[1].address))


def test_proposal_lifetime_is_configurable(world: World) -> None:
    world.execute(world.actions.set_proposal_lifetime(60))
    assert world.reader.proposal_lifetime() == 60
    outcome = world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    world.advance(61)
    with pytest.raises(CouncilProposalExpired):
        world.council[1].vote(outcome.proposal_id)


def test_proposal_lifetime_cannot_wrap_the_expiry_time(world: World) -> None:
    # expiresAt is a uint40: a lifetime of 2**40 would make every new proposal expire at
    # creation and leave a threshold-2 council unable to pass anything again.
    for seconds in (2**40, 2**32):
        with pytest.raises(CouncilInvalidLifetime) as err:
            world.execute(world.actions.set_proposal_lifetime(seconds))
        assert err.value.lifetime == seconds
    world.execute(world.actions.set_proposal_lifetime(2**32 - 1))
    outcome = world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    assert world.reader.proposal(outcome.proposal_id).expires_at == world.now() + 2**32 - 1
    assert world.council[1].vote(outcome.proposal_id).executed


def test_membership_and_proposal_count_are_readable(world: World) -> None:
    assert world.reader.is_council_member(world.council[0].address)
    assert not world.reader.is_council_member(world.outsider.address)
    before = world.reader.proposal_count()
    world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    assert world.reader.proposal_count() == before + 1


def test_relayed_signed_vote_counts_once_for_the_member(world: World) -> None:
    outcome = world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    deadline = world.now() + 3600
    signature = world.council[1].sign_vote(outcome.proposal_id, deadline)
    relayed = world.outsider.vote_by_sig(
        outcome.proposal_id, world.council[1].address, deadline, signature
    )
    assert relayed.executed
    assert world.reader.has_voted(outcome.proposal_id, world.council[1].address)
    assert world.reader.vote_nonce(world.council[1].address) == 1
    assert world.reader.agency_status(world.issuer.address) == 2


def test_signed_vote_cannot_be_replayed(world: World) -> None:
    first = world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    deadline = world.now() + 3600
    signature = world.council[1].sign_vote(first.proposal_id, deadline)
    world.outsider.vote_by_sig(first.proposal_id, world.council[1].address, deadline, signature)
    with pytest.raises(CouncilInvalidSignature):
        world.outsider.vote_by_sig(first.proposal_id, world.council[1].address, deadline, signature)


def test_expired_vote_signature_is_rejected(world: World) -> None:
    outcome = world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    deadline = world.now() + 10
    signature = world.council[1].sign_vote(outcome.proposal_id, deadline)
    world.advance(20)
    with pytest.raises(CouncilSignatureExpired) as err:
        world.outsider.vote_by_sig(
            outcome.proposal_id, world.council[1].address, deadline, signature
        )
    assert err.value.deadline == deadline


def test_signature_of_a_non_member_or_for_another_member_is_rejected(world: World) -> None:
    outcome = world.council[0].propose(world.actions.suspend_agency(world.issuer.address))
    deadline = world.now() + 3600
    forged = world.outsider.sign_vote(outcome.proposal_id, deadline)
    with pytest.raises(CouncilInvalidSignature) as err:
        world.outsider.vote_by_sig(outcome.proposal_id, world.council[1].address, deadline, forged)
    # The outsider signed a message naming itself; checked as council[1]'s vote it recovers
    # to neither of them.
    assert err.value.member == world.council[1].address
    assert err.value.signer != world.council[1].address
    with pytest.raises(CouncilNotMember):
        world.outsider.vote_by_sig(outcome.proposal_id, world.outsider.address, deadline, forged)
