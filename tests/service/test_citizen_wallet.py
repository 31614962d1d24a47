"""Karen's wallet against the CPR office's data service (in-process): she grants a consent, the
municipality's pull is answered, she withdraws it, the next pull is refused; once the receipts
are anchored, her wallet fetches her log (challenge-response with her holder key) and proves it
complete against the chain, refusal included; a source that drops her receipt is caught."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from world import CHEAP_KDF, PASSPHRASE

from ledger.errors import (
    AccessLogIncomplete,
    AccessLogKeyChanged,
    ConsentMissing,
    ConsentWithdrawnRefusal,
    ExchangeDeliveryFailed,
)
from ledger.exchange.anchoring import anchor_receipts
from ledger.exchange.pseudonym import SourceLogKey
from ledger.sdjwt.jwk import public_key_from_jwk
from ledger.wallet.access_log import anchored_batches, fetch_source_log
from ledger.wallet.data_consents import deliver
from ledger.wallet.wallet import Wallet
from service.conftest import ASKED, Pull

DAY = 86_400
# Each test anchors (or reads) the module's ReceiptRegistry afresh: the chain is reverted after it.
pytestmark = pytest.mark.usefixtures("chain_snapshot")


# The service's challenge book keeps the wall clock (the source's other checks, the chain's), so
# her answer to a challenge is dated by the wall clock.


def karens_wallet(pull: Pull, tmp_path: Path) -> Wallet:
    """Karen's wallet, its holder key the one the CPR office knows for her."""
    wallet = Wallet.init(tmp_path / "karen", PASSPHRASE, kdf_params=CHEAP_KDF, now=pull.clock)
    pull.holder_keys.set(pull.karen["cpr_number"], wallet.holder_jwk)
    return wallet


def test_karen_grants_withdraws_and_proves_her_log(pull: Pull, tmp_path: Path) -> None:
    world = pull.world
    with karens_wallet(pull, tmp_path) as wallet:
        with pytest.raises(ConsentMissing):
            pull.fetch()
        consent = wallet.grant_consent(
            requester=world.verifier.address,
            requester_name="Municipality",
            source=world.issuer.address,
            vct=world.vct,
            claims=ASKED,
            purpose=world.purpose,
            expires_at=int(pull.clock()) + 90 * DAY,
        )
        answer = deliver(pull.url, consent.document, client=pull.client)
        assert answer["consent_id"] == consent.consent_id
        got = pull.fetch()
        withdrawn = wallet.withdraw_consent(consent.consent_id)
        assert withdrawn.withdrawal is not None
        deliver(pull.url, withdrawn.withdrawal, withdrawal=True, client=pull.client)
        pull.clock.now += 1
        with pytest.raises(ConsentWithdrawnRefusal):
            pull.fetch()

        anchor_receipts(pull.store, world.issuer_chain())
        log = fetch_source_log(
            pull.url, wallet.holder_key(), now=int(time.time()), client=pull.client
        )
        anchored = anchored_batches(world.reader(), world.issuer.address)
        verified = wallet.access_log(log, anchored, names={world.verifier.address: "Kommune"})

    assert verified.batches == len(anchored) >= 1
    # the first two share a second of the source's clock: their order is the receipt ids'
    assert sorted(e.outcome for e in verified.entries) == [
        "answered", "consent-withdrawn", "no-consent",
    ]  # fmt: skip
    assert verified.entries[-1].outcome == "consent-withdrawn"
    assert {e.requester_name for e in verified.entries} == {"Kommune"}
    assert got.receipt_id in {e.receipt_id for e in verified.entries}
    assert all(e.anchored_block is not None for e in verified.entries)
    assert verified.pending == ()


def test_a_source_that_drops_her_receipt_is_caught(pull: Pull, tmp_path: Path) -> None:
    world = pull.world
    with karens_wallet(pull, tmp_path) as wallet:
        with pytest.raises(ConsentMissing):
            pull.fetch()
        anchor_receipts(pull.store, world.issuer_chain())
        log = fetch_source_log(
            pull.url, wallet.holder_key(), now=int(time.time()), client=pull.client
        )
        (batch,) = [b for b in log.batches if b.receipts]
        dropped = type(log)(
            log.source,
            log.log_key,
            tuple(type(b)(b.batch_no, (), b.proof) if b is batch else b for b in log.batches),
        )
        anchored = anchored_batches(world.reader(), world.issuer.address)
        with pytest.raises(AccessLogIncomplete, match=f"batch {batch.batch_no}"):
            wallet.access_log(dropped, anchored)


def test_a_source_that_changes_its_log_key_is_caught(pull: Pull, tmp_path: Path) -> None:
    with karens_wallet(pull, tmp_path) as wallet:
        log = fetch_source_log(
            pull.url, wallet.holder_key(), now=int(time.time()), client=pull.client
        )
        anchored = anchored_batches(pull.world.reader(), pull.world.issuer.address)
        wallet.access_log(log, anchored)  # pins the key
        other = public_key_from_jwk(SourceLogKey.generate().public_jwk)
        with pytest.raises(AccessLogKeyChanged):
            wallet.access_log(type(log)(log.source, other, log.batches), anchored)


def test_a_consent_the_source_refuses_names_its_code(pull: Pull, tmp_path: Path) -> None:
    with karens_wallet(pull, tmp_path) as wallet:
        consent = wallet.grant_consent(
            requester=pull.world.verifier.address,
            requester_name="Municipality",
            source=pull.world.verifier.address,  # not this source
            vct=pull.world.vct,
            claims=ASKED,
            purpose=pull.world.purpose,
            expires_at=int(pull.clock()) + DAY,
        )
    with pytest.raises(ExchangeDeliveryFailed, match="refused: HTTP 4"):
        deliver(pull.url, consent.document, client=pull.client)
