"""Karen's wallet against the CPR office's data service (in-process): she grants a consent, the
municipality's pull is answered, she withdraws it, the next pull is refused; once the receipts
are anchored, her wallet fetches her log (challenge-response with her holder key) and proves it
complete against the chain, refusal included; a source that drops her receipt is caught."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner
from world import CHEAP_KDF, CHEAP_WORK, PASSPHRASE

from ledger.cli.wallet_cli import cli
from ledger.errors import (
    AccessLogIncomplete,
    AccessLogKeyChanged,
    ConsentMissing,
    ConsentWithdrawnRefusal,
    ExchangeDeliveryFailed,
)
from ledger.exchange.anchoring import anchor_receipts
from ledger.exchange.pseudonym import SourceLogKey
from ledger.exchange.register import StoreRegister
from ledger.exchange.source import DataSource
from ledger.exchange.store import SqliteExchangeStore
from ledger.sdjwt.jwk import public_key_from_jwk
from ledger.service.app import create_app
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


# --- the wallet CLI against the service on a free loopback port --------------------------------


@pytest.fixture
def served_url(pull: Pull, tmp_path: Path) -> Iterator[str]:
    """The CPR office's service (a second process-worth of it: its own store connection over
    the same file, the same log key and holder keys) under uvicorn on a free loopback port."""
    source = DataSource(
        store=SqliteExchangeStore(tmp_path / "cpr.db"),
        register=StoreRegister(SqliteExchangeStore(tmp_path / "cpr.db"), clock=pull.clock),
        chain=pull.world.reader(),
        agency=pull.world.issuer.address,
        signing_key=pull.world.signing_key,
        log_key=pull.source.log_key,
        pseudonym_secret=secrets.token_bytes(32),
        holder_keys=pull.holder_keys,
        clock=pull.clock,
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(create_app(source), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the service did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        assert not thread.is_alive()


def test_wallet_access_log_over_http_shows_the_refusal_anchored(
    pull: Pull, served_url: str, tmp_path: Path
) -> None:
    world = pull.world
    with karens_wallet(pull, tmp_path) as wallet:
        home = wallet.store.path.parent
    with pytest.raises(ConsentMissing):
        pull.fetch()
    anchor_receipts(pull.store, world.issuer_chain())
    ledger_home = tmp_path / "ledger"
    world.deployment.save(ledger_home / "deployment.json")
    base = ["--home", str(home), "--rpc", world.rpc.url, "--ledger-home", str(ledger_home)]
    result = CliRunner().invoke(
        cli,
        [*base, "access-log", "--source", served_url],
        env={"WALLET_PASSPHRASE": PASSPHRASE},
        obj=CHEAP_WORK,
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    issuer, verifier = world.issuer.address, world.verifier.address
    names = {a: world.reader().agency(a).name for a in (issuer, verifier)}
    assert lines[0] == (
        f"Access log from {names[issuer]} ({issuer}): 1 access(es), complete over 1 anchored "
        "batch(es)"
    )
    assert lines[1].endswith(f"  {names[verifier]} ({verifier})")
    assert lines[2] == f"  no-consent: {world.vct}: {', '.join(sorted(ASKED))}"
    assert lines[3].startswith(f"  purpose {world.purpose!r}, legal basis consent, case ")
    assert lines[4].startswith("  anchored in batch 1, block ")


def test_wallet_access_log_names_an_unreachable_source(pull: Pull, tmp_path: Path) -> None:
    with karens_wallet(pull, tmp_path) as wallet:
        home = wallet.store.path.parent
    ledger_home = tmp_path / "ledger"
    pull.world.deployment.save(ledger_home / "deployment.json")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])  # closed again: nobody listens
    base = ["--home", str(home), "--rpc", pull.world.rpc.url, "--ledger-home", str(ledger_home)]
    result = CliRunner().invoke(
        cli,
        [*base, "access-log", "--source", f"http://127.0.0.1:{port}"],
        env={"WALLET_PASSPHRASE": PASSPHRASE},
        obj=CHEAP_WORK,
    )
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: could not reach the source at http://127.0.0.1:{port}/exchange/challenge "
        "(ConnectError after "
    )
