"""StatusRegistry: list creation, single and batch updates, paging, bad input."""

from __future__ import annotations

import random

import pytest
from chain_helpers import CAPACITY, LIST_ID, World, assert_role_gated

from ledger.chain.client import CredentialStatus
from ledger.errors import (
    StatusRegistryAgencyNotActive,
    StatusRegistryEmptyBatch,
    StatusRegistryIndexOutOfRange,
    StatusRegistryInvalidCapacity,
    StatusRegistryInvalidStatus,
    StatusRegistryListExists,
    StatusRegistryPageOutOfRange,
    StatusRegistryRevocationIsFinal,
    StatusRegistryUnknownList,
)


def test_new_list_entries_are_valid(world: World) -> None:
    info = world.reader.status_list(world.issuer.address, LIST_ID)
    assert info is not None and info.capacity == CAPACITY and info.words == CAPACITY // 128
    assert world.reader.status_of(world.issuer.address, LIST_ID, 0) is CredentialStatus.VALID


def test_status_transitions_valid_suspended_valid_revoked(world: World) -> None:
    agency = world.issuer.address
    for status in (
        CredentialStatus.SUSPENDED,
        CredentialStatus.VALID,
        CredentialStatus.REVOKED,
    ):
        world.issuer.set_status(LIST_ID, 77, status)
        assert world.reader.status_of(agency, LIST_ID, 77) is status
    assert world.reader.status_of(agency, LIST_ID, 76) is CredentialStatus.VALID
    assert world.reader.status_of(agency, LIST_ID, 78) is CredentialStatus.VALID


@pytest.mark.parametrize("status", [CredentialStatus.VALID, CredentialStatus.SUSPENDED])
def test_revocation_is_final(world: World, status: CredentialStatus) -> None:
    agency = world.issuer.address
    world.issuer.set_status(LIST_ID, 90, CredentialStatus.REVOKED)
    with pytest.raises(StatusRegistryRevocationIsFinal) as err:
        world.issuer.set_status(LIST_ID, 90, status)
    assert (err.value.listId, err.value.index) == (LIST_ID, 90)
    # A batch is all or none: the revoked entry stops the valid ones beside it from changing.
    world.issuer.set_status(LIST_ID, 91, CredentialStatus.SUSPENDED)
    with pytest.raises(StatusRegistryRevocationIsFinal) as err:
        world.issuer.set_statuses(LIST_ID, [91, 90, 92], status)
    assert err.value.index == 90
    assert world.reader.status_of(agency, LIST_ID, 90) is CredentialStatus.REVOKED
    assert world.reader.status_of(agency, LIST_ID, 91) is CredentialStatus.SUSPENDED
    assert world.reader.status_of(agency, LIST_ID, 92) is CredentialStatus.VALID


def test_revoking_again_is_allowed(world: World) -> None:
    world.issuer.set_status(LIST_ID, 93, CredentialStatus.REVOKED)
    world.issuer.set_statuses(LIST_ID, [93, 94], CredentialStatus.REVOKED)
    assert world.reader.status_of(world.issuer.address, LIST_ID, 93) is CredentialStatus.REVOKED


def test_many_statuses_are_read_in_one_batch_as_one_by_one(world: World) -> None:
    agency = world.issuer.address
    world.issuer.set_status(LIST_ID, 95, CredentialStatus.SUSPENDED)
    world.issuer.set_status(LIST_ID, 96, CredentialStatus.REVOKED)
    entries = [(LIST_ID, i) for i in (94, 95, 96, 95)]
    assert world.reader.statuses_of(agency, entries) == [
        world.reader.status_of(agency, lst, i) for lst, i in entries
    ] == [CredentialStatus.VALID, CredentialStatus.SUSPENDED, CredentialStatus.REVOKED,
          CredentialStatus.SUSPENDED]
    assert world.reader.statuses_of(agency, []) == []
    with pytest.raises(StatusRegistryUnknownList):
        world.reader.statuses_of(agency, [(LIST_ID, 1), (LIST_ID + 1, 1)])


def test_single_update_fits_the_gas_budget(world: World) -> None:
    assert world.issuer.set_status(LIST_ID, 500, 1).gas_used <= 55_000


def test_batch_update_sets_every_index_and_emits_one_event(world: World) -> None:
    indexes = random.Random(7).sample(range(CAPACITY), 100)
    receipt = world.issuer.set_statuses(LIST_ID, indexes, CredentialStatus.REVOKED)
    assert len(receipt.logs) == 1
    assert receipt.gas_used / 100 <= 25_000
    for i in indexes[:10]:
        assert world.reader.status_of(world.issuer.address, LIST_ID, i) is CredentialStatus.REVOKED
    untouched = next(i for i in range(CAPACITY) if i not in indexes)
    assert (
        world.reader.status_of(world.issuer.address, LIST_ID, untouched) is CredentialStatus.VALID
    )


def test_words_page_matches_the_entries(world: World) -> None:
    world.issuer.set_status(LIST_ID, 0, 1)
    world.issuer.set_status(LIST_ID, 129, 2)
    words = world.reader.status_words(world.issuer.address, LIST_ID, 0, CAPACITY // 128)
    assert len(words) == CAPACITY // 128
    assert words[0] == 1  # entry 0, LSB first
    assert words[1] == 2 << 2  # entry 129 = word 1, slot 1
    assert all(w == 0 for w in words[2:])


def test_page_past_the_end_is_rejected(world: World) -> None:
    with pytest.raises(StatusRegistryPageOutOfRange):
        world.reader.status_words(world.issuer.address, LIST_ID, 5, 4)


def test_out_of_range_index_is_rejected_with_values(world: World) -> None:
    with pytest.raises(StatusRegistryIndexOutOfRange) as err:
        world.issuer.set_status(LIST_ID, CAPACITY, 1)
    assert (err.value.listId, err.value.index, err.value.capacity) == (LIST_ID, CAPACITY, CAPACITY)
    with pytest.raises(StatusRegistryIndexOutOfRange):
        world.issuer.set_statuses(LIST_ID, [1, CAPACITY + 5], 1)
    with pytest.raises(StatusRegistryIndexOutOfRange):
        world.reader.status_of(world.issuer.address, LIST_ID, CAPACITY)


def test_reserved_status_value_is_rejected(world: World) -> None:
    with pytest.raises(StatusRegistryInvalidStatus) as err:
        world.issuer.set_status(LIST_ID, 1, 3)
    assert err.value.status == 3
    with pytest.raises(StatusRegistryInvalidStatus):
        world.issuer.set_statuses(LIST_ID, [1], 3)


def test_empty_batch_is_rejected(world: World) -> None:
    with pytest.raises(StatusRegistryEmptyBatch):
        world.issuer.set_statuses(LIST_ID, [], 1)


def test_other_agencies_cannot_write_the_list(world: World) -> None:
    # Lists are keyed by the writer: another agency's write addresses its own (missing) list.
    assert_role_gated(
        world.second,
        "StatusRegistry",
        "setStatus",
        [LIST_ID, 3, 1],
        StatusRegistryUnknownList,
        agency=world.second.address,
        listId=LIST_ID,
    )
    assert world.reader.status_of(world.issuer.address, LIST_ID, 3) is CredentialStatus.VALID


def test_only_active_agencies_create_lists(world: World) -> None:
    assert_role_gated(
        world.outsider,
        "StatusRegistry",
        "createStatusList",
        [9, 128],
        StatusRegistryAgencyNotActive,
        agency=world.outsider.address,
    )


def test_capacity_must_be_a_multiple_of_128(world: World) -> None:
    for capacity in (0, 100):
        with pytest.raises(StatusRegistryInvalidCapacity):
            world.second.create_status_list(2, capacity)


def test_list_cannot_be_created_twice(world: World) -> None:
    with pytest.raises(StatusRegistryListExists):
        world.issuer.create_status_list(LIST_ID, 128)


def test_suspended_agency_can_still_revoke(world: World) -> None:
    world.execute(world.actions.suspend_agency(world.issuer.address))
    world.issuer.set_status(LIST_ID, 9, CredentialStatus.REVOKED)
    assert world.reader.status_of(world.issuer.address, LIST_ID, 9) is CredentialStatus.REVOKED


@pytest.mark.parametrize(("action", "status_value"), [("suspend_agency", 2), ("remove_agency", 3)])
def test_agency_that_is_not_active_cannot_set_entries_back_to_valid(
    world: World, action: str, status_value: int
) -> None:
    world.issuer.set_status(LIST_ID, 20, CredentialStatus.SUSPENDED)
    world.issuer.set_statuses(LIST_ID, [21, 22], CredentialStatus.SUSPENDED)
    world.execute(getattr(world.actions, action)(world.issuer.address))
    for fn, args in (
        ("setStatus", [LIST_ID, 20, 0]),
        ("setStatuses", [LIST_ID, [21, 22], 0]),
        ("setStatus", [LIST_ID, 23, 0]),
    ):
        assert_role_gated(
            world.issuer,
            "StatusRegistry",
            fn,
            args,
            StatusRegistryAgencyNotActive,
            agency=world.issuer.address,
            status=status_value,
        )
    for index in (20, 21, 22):
        assert world.reader.status_of(world.issuer.address, LIST_ID, index) is (
            CredentialStatus.SUSPENDED
        )
    # Tightening stays possible: suspend a valid entry, revoke a suspended one.
    world.issuer.set_status(LIST_ID, 23, CredentialStatus.SUSPENDED)
    world.issuer.set_statuses(LIST_ID, [20, 21], CredentialStatus.REVOKED)
    assert world.reader.status_of(world.issuer.address, LIST_ID, 23) is CredentialStatus.SUSPENDED
    assert world.reader.status_of(world.issuer.address, LIST_ID, 20) is CredentialStatus.REVOKED


def test_reinstated_agency_can_lift_its_suspensions_again(world: World) -> None:
    world.issuer.set_status(LIST_ID, 30, CredentialStatus.SUSPENDED)
    world.execute(world.actions.suspend_agency(world.issuer.address))
    with pytest.raises(StatusRegistryAgencyNotActive):
        world.issuer.set_status(LIST_ID, 30, CredentialStatus.VALID)
    world.execute(world.actions.reinstate_agency(world.issuer.address))
    world.issuer.set_status(LIST_ID, 30, CredentialStatus.VALID)
    assert world.reader.status_of(world.issuer.address, LIST_ID, 30) is CredentialStatus.VALID
