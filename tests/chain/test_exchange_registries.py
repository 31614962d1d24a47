"""Issue 17's chain side: the legal basis of verifier registrations (and the source's one read,
`requesterCheck`), the ReceiptRegistry and the DataServiceDirectory."""

from __future__ import annotations

import pytest
from chain_helpers import PURPOSE, World, assert_role_gated, random32

from ledger.chain.data_service_directory import MAX_URL_BYTES
from ledger.chain.records import AgencyStatus, LegalBasis, RequesterCheck
from ledger.errors import (
    DataServiceDirectoryHeld,
    DataServiceDirectoryInvalidUrl,
    DataServiceDirectoryNoService,
    DataServiceDirectoryNotAccredited,
    DataServiceDirectoryNotCouncil,
    DataServiceDirectoryNotHolder,
    DataServiceUrlInvalid,
    ReceiptRegistryAgencyNotActive,
    ReceiptRegistryEmptyBatch,
    ReceiptRegistryUnexpectedBatchNo,
    ReceiptRegistryZeroRoot,
    VerifierRegistryNotCouncil,
)
from ledger.exchange.receipts import LegalBasis as ReceiptLegalBasis

URL = "https://cpr.example.dk/exchange"

# -- legal basis ----------------------------------------------------------------------------------


def test_chain_legal_bases_are_the_receipts_legal_bases_in_contract_order(world: World) -> None:
    assert [b.value for b in LegalBasis] == [b.value for b in ReceiptLegalBasis]
    assert [b.code for b in LegalBasis] == [0, 1, 2]
    assert ReceiptLegalBasis(LegalBasis.PUBLIC_TASK) is ReceiptLegalBasis.PUBLIC_TASK


def test_a_registration_without_a_basis_needs_consent(world: World) -> None:
    reg = world.reader.verifiers.registration(world.verifier.address, world.type_id, PURPOSE)
    assert reg.registered_at != 0 and reg.legal_basis is LegalBasis.CONSENT
    check = world.reader.verifiers.requester_check(
        world.verifier.address, world.type_id, 1, PURPOSE
    )
    assert check == RequesterCheck(AgencyStatus.ACTIVE, True, True, True, LegalBasis.CONSENT)
    assert check.active


@pytest.mark.parametrize("basis", list(LegalBasis))
def test_the_council_sets_the_legal_basis(world: World, basis: LegalBasis) -> None:
    purpose = random32()
    world.execute(
        world.actions.register_verifier(
            world.verifier.address, world.type_id, purpose, 0b11, legal_basis=basis
        )
    )
    reg = world.reader.verifiers.registration(world.verifier.address, world.type_id, purpose)
    assert reg.legal_basis is basis
    check = world.reader.verifiers.requester_check(
        world.verifier.address, world.type_id, 0b10, purpose
    )
    assert check == RequesterCheck(AgencyStatus.ACTIVE, True, True, True, basis)


def test_requester_check_refuses_over_asking_other_purposes_and_strangers(world: World) -> None:
    verifiers = world.reader.verifiers
    over = verifiers.requester_check(world.verifier.address, world.type_id, 0b111, PURPOSE)
    assert over == RequesterCheck(AgencyStatus.ACTIVE, True, False, False, LegalBasis.CONSENT)
    nothing = verifiers.requester_check(world.verifier.address, world.type_id, 0, PURPOSE)
    assert (nothing.covered, nothing.authorised) == (False, False)
    other = verifiers.requester_check(world.verifier.address, world.type_id, 1, random32())
    assert other == RequesterCheck(AgencyStatus.ACTIVE, False, False, False, LegalBasis.CONSENT)
    stranger = verifiers.requester_check(world.outsider.address, world.type_id, 1, PURPOSE)
    assert stranger == RequesterCheck(AgencyStatus.NONE, False, False, False, LegalBasis.CONSENT)


def test_requester_check_agrees_with_is_authorized_over_a_window(world: World) -> None:
    now = world.now()
    purpose = random32()
    world.execute(
        world.actions.register_verifier(
            world.second.address, world.type_id, purpose, 0b11, valid_from=now + 100,
            valid_until=now + 200, legal_basis=LegalBasis.LEGAL_OBLIGATION,
        )
    )
    verifiers = world.reader.verifiers
    for t, registered in ((now + 50, False), (now + 150, True), (now + 250, False)):
        world.rpc.call("evm_setNextBlockTimestamp", [t])
        world.rpc.call("evm_mine", [])
        check = verifiers.requester_check(world.second.address, world.type_id, 1, purpose)
        assert (check.registered, check.authorised) == (registered, registered), t
        assert check.authorised is verifiers.is_authorized(
            world.second.address, world.type_id, purpose, 1, t
        )
        assert check.legal_basis is LegalBasis.LEGAL_OBLIGATION


def test_a_suspended_requester_is_neither_active_nor_authorised(world: World) -> None:
    world.execute(
        world.actions.register_verifier(
            world.verifier.address, world.type_id, PURPOSE, 0b11,
            legal_basis=LegalBasis.PUBLIC_TASK,
        )
    )
    world.execute(world.actions.suspend_agency(world.verifier.address))
    check = world.reader.verifiers.requester_check(
        world.verifier.address, world.type_id, 1, PURPOSE
    )
    assert check == RequesterCheck(
        AgencyStatus.SUSPENDED, True, True, False, LegalBasis.PUBLIC_TASK
    )


def test_a_requester_cannot_register_or_widen_its_own_basis(world: World) -> None:
    args = [world.verifier.address, world.type_id, PURPOSE, 0b11, 0, 0, LegalBasis.PUBLIC_TASK.code]
    assert_role_gated(world.verifier, "VerifierRegistry", "registerVerifier", args,
                      VerifierRegistryNotCouncil, caller=world.verifier.address)


# -- receipt registry ----------------------------------------------------------------------------


def test_batches_are_numbered_from_one_per_source(world: World) -> None:
    receipts = world.issuer.receipts
    roots = [random32(), random32()]
    assert receipts.batch_count(world.issuer.address) == 0
    assert receipts.batch_of(world.issuer.address, 1) is None
    first = receipts.anchor(1, roots[0], 10_000)
    receipts.anchor(2, roots[1], 3)
    assert receipts.batch_count(world.issuer.address) == 2
    one = receipts.batch_of(world.issuer.address, 1)
    assert one is not None and (one.root, one.count, one.batch_no) == (roots[0], 10_000, 1)
    assert one.source == world.issuer.address and one.anchored_at > 0
    assert [b.root if b else None for b in world.reader.receipts.batches(
        world.issuer.address, [1, 2, 3])] == [*roots, None]
    # Another source's numbering is its own.
    world.verifier.receipts.anchor(1, random32(), 1)
    assert world.reader.receipts.batch_count(world.verifier.address) == 1
    (log,) = first.logs
    assert int(log["topics"][2], 16) == 1  # ReceiptsAnchored(source, batchNo, ...)


def test_a_batch_number_other_than_the_next_is_refused(world: World) -> None:
    receipts = world.issuer.receipts
    receipts.anchor(1, random32(), 1)
    for wrong in (1, 3):
        with pytest.raises(ReceiptRegistryUnexpectedBatchNo) as err:
            receipts.anchor(wrong, random32(), 1)
        assert (err.value.expected, err.value.batchNo) == (2, wrong)
        world.issuer.sender.resync_nonce()


def test_zero_roots_and_empty_batches_are_refused(world: World) -> None:
    with pytest.raises(ReceiptRegistryZeroRoot):
        world.issuer.receipts.anchor(1, bytes(32), 1)
    world.issuer.sender.resync_nonce()
    with pytest.raises(ReceiptRegistryEmptyBatch):
        world.issuer.receipts.anchor(1, random32(), 0)


def test_only_active_agencies_anchor_receipts(world: World) -> None:
    args = [1, random32(), 1]
    assert_role_gated(world.outsider, "ReceiptRegistry", "anchorReceipts", args,
                      ReceiptRegistryAgencyNotActive, source=world.outsider.address, status=0)
    world.execute(world.actions.suspend_agency(world.issuer.address))
    assert_role_gated(world.issuer, "ReceiptRegistry", "anchorReceipts", args,
                      ReceiptRegistryAgencyNotActive, source=world.issuer.address, status=2)


# -- data service directory ----------------------------------------------------------------------


def test_an_accredited_agency_publishes_its_data_service(world: World) -> None:
    assert world.reader.directory.service_of(world.type_id) is None
    world.issuer.directory.publish(world.type_id, URL)
    service = world.reader.directory.service_of(world.type_id)
    assert service is not None
    assert (service.agency, service.url, service.current) == (world.issuer.address, URL, True)
    assert service.published_at > 0
    world.issuer.directory.publish(world.type_id, URL + "/v2")  # the holder changes its URL
    changed = world.reader.directory.service_of(world.type_id)
    assert changed is not None and changed.url == URL + "/v2"


def test_an_agency_not_accredited_for_the_type_cannot_publish(world: World) -> None:
    for who in (world.second, world.outsider):
        assert_role_gated(who, "DataServiceDirectory", "publish", [world.type_id, URL],
                          DataServiceDirectoryNotAccredited, agency=who.address,
                          typeId=world.type_id)


def test_the_first_accredited_publisher_holds_the_type_until_it_loses_accreditation(
    world: World,
) -> None:
    world.execute(world.actions.accredit(world.second.address, world.type_id))
    world.issuer.directory.publish(world.type_id, URL)
    assert_role_gated(world.second, "DataServiceDirectory", "publish",
                      [world.type_id, "https://other.example"], DataServiceDirectoryHeld,
                      typeId=world.type_id, holder=world.issuer.address)
    world.execute(world.actions.suspend_agency(world.issuer.address))
    stale = world.reader.directory.service_of(world.type_id)
    assert stale is not None and not stale.current
    world.second.directory.publish(world.type_id, "https://other.example")
    taken = world.reader.directory.service_of(world.type_id)
    assert taken is not None and (taken.agency, taken.current) == (world.second.address, True)


def test_the_holder_withdraws_and_others_cannot(world: World) -> None:
    world.issuer.directory.publish(world.type_id, URL)
    assert_role_gated(world.second, "DataServiceDirectory", "withdraw", [world.type_id],
                      DataServiceDirectoryNotHolder, caller=world.second.address,
                      holder=world.issuer.address)
    world.issuer.directory.withdraw(world.type_id)
    assert world.reader.directory.service_of(world.type_id) is None


def test_the_council_alone_clears_a_service(world: World) -> None:
    world.issuer.directory.publish(world.type_id, URL)
    assert_role_gated(world.issuer, "DataServiceDirectory", "clearService", [world.type_id],
                      DataServiceDirectoryNotCouncil, caller=world.issuer.address)
    world.execute(world.actions.clear_data_service(world.type_id))
    assert world.reader.directory.service_of(world.type_id) is None
    with pytest.raises(DataServiceDirectoryNoService):
        world.execute(world.actions.clear_data_service(world.type_id))


def test_the_contract_bounds_the_url_length(world: World) -> None:
    assert world.reader.view("DataServiceDirectory", "maxUrlLength", [])[0] == MAX_URL_BYTES
    for url in ("", "https://e/" + "a" * MAX_URL_BYTES):
        assert_role_gated(world.issuer, "DataServiceDirectory", "publish", [world.type_id, url],
                          DataServiceDirectoryInvalidUrl, length=len(url),
                          maxLength=MAX_URL_BYTES)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://cpr.example.dk",
        "cpr.example.dk/exchange",
        "https://user:pw@cpr.example.dk",
        "https://cpr.example.dk/?q=1",
        "https://cpr.example.dk/#x",
        "https://cpr.example.dk/a b",
        "https://æøå.dk",
        "https://e/" + "a" * MAX_URL_BYTES,
    ],
)
def test_the_client_refuses_nonsense_urls_before_sending(world: World, url: str) -> None:
    with pytest.raises(DataServiceUrlInvalid):
        world.issuer.directory.publish(world.type_id, url)
