"""TrustRegistry: agency lifecycle, accreditation, one-level delegation, cascade, history."""

from __future__ import annotations

import pytest
from chain_helpers import World, assert_role_gated, funded_account, random32

from ledger.chain.client import AgencyStatus, LedgerChain
from ledger.errors import (
    AnchorRegistryNotAccredited,
    TrustRegistryAgencyExists,
    TrustRegistryAgencyNotActive,
    TrustRegistryAlreadyAccredited,
    TrustRegistryInvalidStatusTransition,
    TrustRegistryInvalidWindow,
    TrustRegistryNotAccredited,
    TrustRegistryNotAuthority,
    TrustRegistryNotCouncil,
    TrustRegistryNotParent,
    TrustRegistrySelfAccreditation,
    TrustRegistryUnknownAgency,
    TrustRegistryUnknownType,
    TrustRegistryWindowExceedsParent,
)

COUNCIL_ONLY = [
    ("admitAgency", lambda w: ["0x" + "22" * 20, "x", bytes(32)]),
    ("suspendAgency", lambda w: [w.issuer.address]),
    ("reinstateAgency", lambda w: [w.issuer.address]),
    ("removeAgency", lambda w: [w.issuer.address]),
    ("accredit", lambda w: [w.second.address, w.type_id, 0, 0, False]),
]


@pytest.mark.parametrize(("fn", "args"), COUNCIL_ONLY, ids=[c[0] for c in COUNCIL_ONLY])
@pytest.mark.parametrize("who", ["issuer", "outsider"])
def test_admin_functions_are_council_only(world: World, fn: str, args, who: str) -> None:  # type: ignore[no-untyped-def]
    sender = getattr(world, who)
    assert_role_gated(
        sender, "TrustRegistry", fn, args(world), TrustRegistryNotCouncil, caller=sender.address
    )


def test_agency_lifecycle_admit_suspend_reinstate_remove(world: World) -> None:
    agency = world.new_agency("Tax Office")
    info = world.reader.agency(agency.address)
    assert (info.status, info.name) == (AgencyStatus.ACTIVE, "Tax Office")
    world.execute(world.actions.suspend_agency(agency.address))
    assert world.reader.agency_status(agency.address) is AgencyStatus.SUSPENDED
    world.execute(world.actions.reinstate_agency(agency.address))
    assert world.reader.agency_status(agency.address) is AgencyStatus.ACTIVE
    world.execute(world.actions.remove_agency(agency.address))
    assert world.reader.agency_status(agency.address) is AgencyStatus.REMOVED


def test_removed_agency_cannot_be_readmitted(world: World) -> None:
    world.execute(world.actions.remove_agency(world.second.address))
    with pytest.raises(TrustRegistryAgencyExists) as err:
        world.execute(world.actions.admit_agency(world.second.address, "again"))
    assert err.value.status == AgencyStatus.REMOVED


def test_invalid_status_transitions_are_rejected(world: World) -> None:
    with pytest.raises(TrustRegistryInvalidStatusTransition) as err:
        world.execute(world.actions.reinstate_agency(world.issuer.address))
    assert (err.value.current, err.value.requested) == (1, 1)
    world.execute(world.actions.remove_agency(world.second.address))
    with pytest.raises(TrustRegistryInvalidStatusTransition):
        world.execute(world.actions.suspend_agency(world.second.address))


def test_unknown_agency_is_rejected(world: World) -> None:
    stranger = funded_account(world.rpc).address
    with pytest.raises(TrustRegistryUnknownAgency) as err:
        world.execute(world.actions.suspend_agency(stranger))
    assert err.value.agency == stranger
    with pytest.raises(TrustRegistryUnknownAgency):
        world.execute(world.actions.accredit(stranger, world.type_id))


def test_accreditation_needs_an_active_agency_and_a_known_type(world: World) -> None:
    world.execute(world.actions.suspend_agency(world.second.address))
    with pytest.raises(TrustRegistryAgencyNotActive):
        world.execute(world.actions.accredit(world.second.address, world.type_id))
    with pytest.raises(TrustRegistryUnknownType) as err:
        world.execute(world.actions.accredit(world.issuer.address, 77))
    assert err.value.typeId == 77


def test_accreditation_window_bounds_anchoring(world: World) -> None:
    now = world.now()
    world.execute(
        world.actions.accredit(
            world.second.address, world.type_id, valid_from=now + 100, valid_until=now + 200
        )
    )
    assert not world.reader.can_anchor(world.second.address, world.type_id)
    world.advance(150)
    assert world.reader.can_anchor(world.second.address, world.type_id)
    world.second.anchor(random32(), world.type_id)
    world.advance(100)
    with pytest.raises(AnchorRegistryNotAccredited):
        world.second.anchor(random32(), world.type_id)


def test_inverted_window_is_rejected(world: World) -> None:
    now = world.now()
    with pytest.raises(TrustRegistryInvalidWindow):
        world.execute(
            world.actions.accredit(
                world.second.address, world.type_id, valid_from=now + 100, valid_until=now + 50
            )
        )


def test_live_accreditation_cannot_be_granted_twice(world: World) -> None:
    with pytest.raises(TrustRegistryAlreadyAccredited):
        world.execute(world.actions.accredit(world.issuer.address, world.type_id))


def test_withdrawing_twice_is_rejected(world: World) -> None:
    world.execute(world.actions.withdraw_accreditation(world.issuer.address, world.type_id))
    with pytest.raises(TrustRegistryNotAccredited):
        world.execute(world.actions.withdraw_accreditation(world.issuer.address, world.type_id))


def _delegate(world: World) -> LedgerChain:
    world.issuer.sub_accredit(world.second.address, world.type_id)
    return world.second


def test_authority_sub_accredits_and_the_child_can_anchor(world: World) -> None:
    child = _delegate(world)
    grant = world.reader.accreditation(child.address, world.type_id)
    assert grant.delegated and not grant.authority and grant.parent == world.issuer.address
    child.anchor(random32(), world.type_id)


def test_sub_accredited_agency_cannot_sub_accredit(world: World) -> None:
    child = _delegate(world)
    third = world.new_agency("third")
    with pytest.raises(TrustRegistryNotAuthority) as err:
        child.sub_accredit(third.address, world.type_id)
    assert err.value.agency == child.address


def test_non_authority_cannot_sub_accredit(world: World) -> None:
    world.execute(world.actions.accredit(world.second.address, world.type_id))
    with pytest.raises(TrustRegistryNotAuthority):
        world.second.sub_accredit(world.verifier.address, world.type_id)


def test_authority_cannot_accredit_itself(world: World) -> None:
    with pytest.raises(TrustRegistrySelfAccreditation):
        world.issuer.sub_accredit(world.issuer.address, world.type_id)


def test_sub_accreditation_must_fit_the_parent_window(world: World) -> None:
    now = world.now()
    world.execute(
        world.actions.accredit(
            world.second.address, world.type_id, valid_until=now + 1000, authority=True
        )
    )
    with pytest.raises(TrustRegistryWindowExceedsParent):
        world.second.sub_accredit(world.verifier.address, world.type_id, valid_until=0)
    with pytest.raises(TrustRegistryWindowExceedsParent):
        world.second.sub_accredit(world.verifier.address, world.type_id, valid_until=now + 2000)
    world.second.sub_accredit(world.verifier.address, world.type_id, valid_until=now + 500)


def test_withdrawing_the_parent_cascades_to_the_child(world: World) -> None:
    child = _delegate(world)
    world.execute(world.actions.withdraw_accreditation(world.issuer.address, world.type_id))
    assert not world.reader.can_anchor(child.address, world.type_id)
    with pytest.raises(AnchorRegistryNotAccredited):
        child.anchor(random32(), world.type_id)


def test_suspending_the_parent_agency_cascades_and_reinstating_restores(world: World) -> None:
    child = _delegate(world)
    world.execute(world.actions.suspend_agency(world.issuer.address))
    with pytest.raises(AnchorRegistryNotAccredited):
        child.anchor(random32(), world.type_id)
    world.execute(world.actions.reinstate_agency(world.issuer.address))
    child.anchor(random32(), world.type_id)


def test_removing_the_parent_agency_cascades(world: World) -> None:
    child = _delegate(world)
    world.execute(world.actions.remove_agency(world.issuer.address))
    assert not world.reader.can_anchor(child.address, world.type_id)


def test_reaccrediting_the_parent_does_not_revive_old_children(world: World) -> None:
    child = _delegate(world)
    world.execute(world.actions.withdraw_accreditation(world.issuer.address, world.type_id))
    world.execute(world.actions.accredit(world.issuer.address, world.type_id, authority=True))
    assert world.reader.can_anchor(world.issuer.address, world.type_id)
    assert not world.reader.can_anchor(child.address, world.type_id)


def test_parent_withdraws_its_child_but_not_others(world: World) -> None:
    child = _delegate(world)
    world.execute(world.actions.accredit(world.verifier.address, world.type_id))
    with pytest.raises(TrustRegistryNotParent):
        world.issuer.withdraw_sub_accreditation(world.verifier.address, world.type_id)
    world.issuer.withdraw_sub_accreditation(child.address, world.type_id)
    assert not world.reader.can_anchor(child.address, world.type_id)


def test_history_answers_before_and_after_withdrawal(world: World) -> None:
    child = _delegate(world)
    world.advance(10)
    during = world.now()
    world.advance(10)
    world.execute(world.actions.withdraw_accreditation(world.issuer.address, world.type_id))
    world.advance(10)
    after = world.now() - 5  # strictly between the withdrawal and the re-accreditation
    world.execute(world.actions.accredit(world.issuer.address, world.type_id, authority=True))
    assert world.reader.is_accredited_at(world.issuer.address, world.type_id, during)
    assert world.reader.is_accredited_at(child.address, world.type_id, during)
    assert not world.reader.is_accredited_at(world.issuer.address, world.type_id, after)
    assert not world.reader.is_accredited_at(child.address, world.type_id, after)
    assert world.reader.is_accredited_at(world.issuer.address, world.type_id, world.now())
    assert not world.reader.is_accredited_at(child.address, world.type_id, world.now())
    assert len(world.reader.accreditation_history(world.issuer.address, world.type_id)) == 1


def test_history_excludes_suspension_periods(world: World) -> None:
    world.advance(10)
    world.execute(world.actions.suspend_agency(world.issuer.address))
    world.advance(10)
    suspended = world.now() - 5
    world.execute(world.actions.reinstate_agency(world.issuer.address))
    world.advance(10)
    assert not world.reader.is_accredited_at(world.issuer.address, world.type_id, suspended)
    assert world.reader.is_accredited_at(world.issuer.address, world.type_id, world.now())
    assert not world.reader.is_agency_active_at(world.issuer.address, suspended)


def _around(*times: int) -> list[int]:
    """Each time and the seconds either side of it."""
    return sorted({t + d for t in times for d in (-1, 0, 1)})


def test_was_active_at_answers_every_period_of_a_long_record(world: World) -> None:
    agency = world.new_agency("Tax Office").address
    admitted = world.now()
    suspensions = []
    for _ in range(3):
        world.advance(10)
        world.execute(world.actions.suspend_agency(agency))
        suspended = world.now()
        world.advance(10)
        world.execute(world.actions.reinstate_agency(agency))
        suspensions.append((suspended, world.now()))
    world.advance(10)
    world.execute(world.actions.remove_agency(agency))
    removed = world.now()
    world.advance(10)

    def active(t: int) -> bool:
        return admitted <= t < removed and not any(s <= t < r for s, r in suspensions)

    bounds = [admitted, removed, *(t for period in suspensions for t in period)]
    for t in _around(*bounds):
        assert world.reader.is_agency_active_at(agency, t) is active(t), t


def test_was_accredited_at_answers_every_grant_of_a_long_record(world: World) -> None:
    agency = world.new_agency("Tax Office").address
    windows = []
    for i in range(4):
        world.execute(world.actions.accredit(agency, world.type_id, valid_until=world.now() + 30))
        if i % 2:  # every other grant is withdrawn before it expires
            world.advance(10)
            world.execute(world.actions.withdraw_accreditation(agency, world.type_id))
        grant = world.reader.accreditation(agency, world.type_id)
        end = min(grant.valid_until, grant.withdrawn_at or grant.valid_until)
        windows.append((grant.valid_from, end))
        world.advance(40)
    assert len(world.reader.accreditation_history(agency, world.type_id)) == 3

    def accredited(t: int) -> bool:
        return any(start <= t < end for start, end in windows)

    for t in _around(*(t for window in windows for t in window)):
        assert world.reader.is_accredited_at(agency, world.type_id, t) is accredited(t), t


def test_accreditation_cannot_be_back_dated(world: World) -> None:
    before = world.now() - 5
    world.execute(world.actions.accredit(world.second.address, world.type_id, valid_from=1))
    assert not world.reader.is_accredited_at(world.second.address, world.type_id, before)


UINT40_END = 2**40


def test_accreditation_times_beyond_40_bits_are_rejected(world: World) -> None:
    past = world.now() - 1000
    # validFrom 2**40 + past would be stored as `past`: a back-dated grant.
    with pytest.raises(TrustRegistryInvalidWindow) as err:
        world.execute(
            world.actions.accredit(
                world.second.address, world.type_id, valid_from=UINT40_END + past
            )
        )
    assert err.value.validFrom == UINT40_END + past
    # validUntil 2**40 would be stored as 0: an open-ended grant.
    with pytest.raises(TrustRegistryInvalidWindow):
        world.execute(
            world.actions.accredit(world.second.address, world.type_id, valid_until=UINT40_END)
        )
    assert world.reader.accreditation(world.second.address, world.type_id).granted_at == 0


def test_sub_accreditation_cannot_wrap_its_start_before_the_parent_window(world: World) -> None:
    now = world.now()
    world.advance(100)
    world.execute(world.actions.accredit(world.second.address, world.type_id, authority=True))
    assert world.reader.accreditation(world.second.address, world.type_id).valid_from > now
    # A start of 2**40 + (before the parent's window) passes the "not before the parent" check
    # as a uint64 and would be stored, truncated, before the parent's window and the grant.
    with pytest.raises(TrustRegistryInvalidWindow):
        world.second.sub_accredit(
            world.verifier.address, world.type_id, valid_from=UINT40_END + now
        )
    assert world.reader.accreditation(world.verifier.address, world.type_id).granted_at == 0
