"""`ledger` CLI for the once-only exchange's chain side: a verifier registration's legal basis,
the data service directory (`service publish|show|withdraw`) and `receipts anchor`.

Each test stands the network up through the CLI (a one-member council, so every proposal
executes at once): a source `cpr` accredited for `VCT`, a requester `muni`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from ledger._rand import UnsafeDeterministicRandom
from ledger.agency.request import purpose_digest
from ledger.chain.client import LedgerChain
from ledger.chain.deploy import Deployment
from ledger.chain.devnet import anvil_dev_accounts
from ledger.chain.records import LegalBasis
from ledger.chain.rpc import Rpc
from ledger.cli._ledger_accounts import resolve_address
from ledger.exchange.anchoring import seal_batch
from ledger.exchange.receipts import AccessReceipt, Outcome
from ledger.exchange.store import SqliteExchangeStore

Invoke = Callable[..., Result]

VCT = "https://credentials.example.dk/person/v1"
CLAIMS = "given_name,birthdate,age_over_18,municipality"
PURPOSE = "Housing benefit"
URL = "https://cpr.example.dk/exchange"


@pytest.fixture(autouse=True)
def funder_refunded(on_devnet: str) -> Iterator[None]:
    """Give anvil dev account 0 back what this test's `--fund`s took: the CLI tests share the
    session anvil, and its 10,000 ETH fund about a hundred accounts in all."""
    funder = anvil_dev_accounts(1)[0].address
    with Rpc(on_devnet) as rpc:
        before = rpc.call("eth_getBalance", [funder, "latest"])
        yield
        rpc.call("anvil_setBalance", [funder, before])


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def setup(ledger: Invoke) -> dict[str, str]:
    """The network; returns the agencies' addresses."""
    ok(ledger("deploy", "--council", "alice", "--threshold", "1"))
    for name in ("cpr", "muni"):
        ok(ledger("account", "create", name, "--fund"))
    council = ("--as", "alice")
    ok(ledger(*council, "type", "register", VCT, "--claims", CLAIMS))
    ok(ledger(*council, "agency", "admit", "cpr", "--name", "CPR Office"))
    ok(ledger(*council, "agency", "admit", "muni", "--name", "Municipality"))
    ok(ledger(*council, "agency", "accredit", "cpr", "--type", VCT))
    home = Path(os.environ["LEDGER_HOME"])
    return {name: resolve_address(home, name) for name in ("cpr", "muni")}


def reader(home: Path, rpc_url: str) -> LedgerChain:
    return LedgerChain(Rpc(rpc_url), Deployment.load(next(home.rglob("deployment.json"))))


def test_the_council_registers_a_purpose_with_its_legal_basis(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    agencies = setup(ledger)
    muni = agencies["muni"]
    register = ("--as", "alice", "verifier", "register", "muni", "--type", VCT)
    public = ok(ledger(*register, "--claims", "age_over_18,municipality", "--purpose", PURPOSE,
                       "--legal-basis", "public-task"))
    assert public == f"Proposal 5 (register verifier {muni} for type 1 (public-task)): executed.\n"
    default = ok(ledger(*register, "--claims", "age_over_18", "--purpose", "Newsletter"))
    assert default == f"Proposal 6 (register verifier {muni} for type 1 (consent)): executed.\n"
    chain = reader(home, on_devnet)
    check = chain.verifiers.requester_check(muni, 1, 0b1100, purpose_digest(PURPOSE))
    assert (check.authorised, check.legal_basis) == (True, LegalBasis.PUBLIC_TASK)
    newsletter = chain.verifiers.registration(muni, 1, purpose_digest("Newsletter"))
    assert newsletter.legal_basis is LegalBasis.CONSENT
    bad = ledger(*register, "--claims", "age_over_18", "--purpose", PURPOSE,
                 "--legal-basis", "vital-interest")
    assert bad.exit_code == 2
    assert "'vital-interest' is not one of 'consent', 'legal-obligation', 'public-task'" in (
        bad.stderr
    )


def test_a_source_publishes_its_data_service_and_anyone_finds_it(
    ledger: Invoke, on_devnet: str
) -> None:
    agencies = setup(ledger)
    assert ok(ledger("--as", "cpr", "service", "publish", "--type", VCT, "--url", URL)) == (
        f"Published the data service of {VCT} (type 1): {URL}\n"
    )
    shown = ok(ledger("service", "show", "--type", VCT)).splitlines()
    assert shown[0] == f"{VCT} (type 1): {URL}"
    assert shown[1].startswith(f"  served by {agencies['cpr']} since 20")
    assert len(shown) == 2
    data = json.loads(ok(ledger("--json", "service", "show", "--type", VCT)))
    assert (data["agency"], data["url"], data["current"]) == (agencies["cpr"], URL, True)
    assert ok(ledger("--as", "cpr", "service", "withdraw", "--type", VCT)) == (
        f"Withdrew the data service of {VCT} (type 1).\n"
    )
    gone = ledger("service", "show", "--type", VCT)
    assert (gone.exit_code, gone.stderr) == (
        1, f"Error: no data service is published for {VCT}\n"
    )


def test_only_an_accredited_agency_publishes_and_only_a_sound_url(
    ledger: Invoke, on_devnet: str
) -> None:
    agencies = setup(ledger)
    refused = ledger("--as", "muni", "service", "publish", "--type", VCT, "--url", URL)
    assert (refused.exit_code, refused.stderr) == (
        1,
        "Error: The caller may not anchor the type now (not Active or not accredited): "
        f"DataServiceDirectoryNotAccredited(agency={agencies['muni']}, typeId=1)\n",
    )
    bad = ledger("--as", "cpr", "service", "publish", "--type", VCT, "--url", "ftp://cpr.dk")
    assert (bad.exit_code, bad.stderr) == (
        1, "Error: a data service URL is an absolute http(s) URL with a host\n"
    )
    unknown = ledger("service", "show", "--type", "https://unknown.example/v1")
    assert unknown.stderr == (
        "Error: unknown credential type 'https://unknown.example/v1' (see `ledger type register`)\n"
    )


def test_receipts_anchor_seals_the_stores_receipts_and_catches_up(
    ledger: Invoke, home: Path, on_devnet: str
) -> None:
    agencies = setup(ledger)
    rng = UnsafeDeterministicRandom(3)
    store_path = home / "agencies" / "cpr" / "exchange.db"
    with SqliteExchangeStore(store_path) as store:
        for i in range(3):
            receipt = AccessReceipt.new(
                source=agencies["cpr"], requester=agencies["muni"], vct=VCT,
                claims=["age_over_18"], purpose=PURPOSE, legal_basis="public-task",
                case_ref=f"KK-{i}", outcome=Outcome.ANSWERED, answer="a.b.c~", now=1_780_000_000,
                rng=rng,
            )
            store.add_receipt(receipt.receipt_id.hex(), created_at=receipt.time,
                              body=receipt.encode(), subject_key=bytes([i]) * 32)
    out = ok(ledger("--as", "cpr", "receipts", "anchor", "--batch-size", "2")).splitlines()
    with SqliteExchangeStore(store_path) as store:
        roots = [seal_batch(store, n, agencies["cpr"]).root.hex() for n in (1, 2)]
    assert len(out) == 3
    assert out[0].startswith("Batch 1: 2 receipts anchored in block ")
    assert out[0].endswith(f", root 0x{roots[0]}")
    assert out[1].startswith("Batch 2: 1 receipts anchored in block ")
    assert out[2] == "2 batches anchored in all."
    assert ok(ledger("--as", "cpr", "receipts", "anchor")) == (
        "No receipts to anchor.\n2 batches anchored in all.\n"
    )
    chain = reader(home, on_devnet)
    assert chain.receipts.batch_count(agencies["cpr"]) == 2
    # Another agency anchoring this store is stopped before it sends anything.
    muni = ledger("--as", "muni", "receipts", "anchor", "--store", str(store_path))
    assert muni.exit_code == 1
    assert muni.stderr.startswith("Error: batch 1: receipt ")
    assert muni.stderr.endswith(" is another source's; nothing was sent (restore the store that "
                                "anchored these batches; never anchor from a copy of it)\n")
    assert chain.receipts.batch_count(agencies["muni"]) == 0
