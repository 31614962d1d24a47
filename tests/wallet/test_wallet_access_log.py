"""The citizen's access log in her wallet: an honest source's log verifies against the anchored
batches and reads as who, what, why, when; a dropped, altered or foreign receipt, a batch left
out or a gap in the chain's batches is caught with the specific error."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence

import pytest

from ledger._rand import UnsafeDeterministicRandom
from ledger.errors import (
    AccessLogAltered,
    AccessLogError,
    AccessLogGap,
    AccessLogIncomplete,
    AccessLogMalformed,
    AccessLogUnanchored,
)
from ledger.exchange.access_log import AnchoredBatch, ReceiptBatch, build_batch
from ledger.exchange.pseudonym import SourceLogKey
from ledger.exchange.receipts import AccessReceipt, LegalBasis, Outcome
from ledger.sdjwt.jwk import SigningKey, public_key_from_jwk
from ledger.wallet.access_log import (
    LogBatch,
    SourceLog,
    parse_source_log,
    verify_access_log,
)

SOURCE = "0x" + "11" * 20
KOMMUNE = "0x" + "22" * 20
BANK = "0x" + "33" * 20
NAMES = {KOMMUNE: "Københavns Kommune"}
RNG = UnsafeDeterministicRandom(1717)
LOG_KEY = SourceLogKey.generate(rng=RNG)
KAREN = SigningKey.generate(rng=RNG)
OTHERS = [SigningKey.generate(rng=RNG) for _ in range(3)]
T = 1_780_000_000


def receipt(t: int, requester: str = KOMMUNE, **kw: object) -> AccessReceipt:
    outcome = Outcome(str(kw.pop("outcome", Outcome.ANSWERED)))
    return AccessReceipt.new(
        source=str(kw.pop("source", SOURCE)),
        requester=requester,
        vct="https://cpr.example/person",
        claims=["age_over_18", "address.municipality"],
        purpose=str(kw.pop("purpose", "Boligstøtte")),
        legal_basis=LegalBasis(str(kw.pop("legal_basis", LegalBasis.PUBLIC_TASK))),
        case_ref=str(kw.pop("case_ref", "KK-2026-17")),
        outcome=outcome,
        answer=None if outcome != Outcome.ANSWERED else "a.b.c~",
        now=t,
        rng=RNG,
    )


class Scenario:
    """Three batches: Karen is read in batch 1 (twice: an answer and a refusal) and 3, not in 2;
    other subjects are read in every batch."""

    def __init__(self) -> None:
        self.mine: dict[int, list[AccessReceipt]] = {
            1: [
                receipt(T + 10),
                receipt(T + 20, BANK, outcome=Outcome.NO_CONSENT, legal_basis=LegalBasis.CONSENT),
            ],
            2: [],
            3: [receipt(T + 300, case_ref="KK-2026-99")],
        }
        self.batches: dict[int, ReceiptBatch] = {}
        self.others: dict[int, list[AccessReceipt]] = {}
        for no, mine in self.mine.items():
            entries = [(LOG_KEY.pseudonym(KAREN.public_jwk, no), r) for r in mine]
            self.others[no] = [receipt(T + 100 * no + i) for i in range(len(OTHERS))]
            for other, theirs in zip(OTHERS, self.others[no], strict=True):
                entries.append((LOG_KEY.pseudonym(other.public_jwk, no), theirs))
            self.batches[no] = build_batch(no, entries)

    def anchored(self) -> list[AnchoredBatch]:
        return [
            AnchoredBatch(no, b.root, b.count, block=100 + no) for no, b in self.batches.items()
        ]

    def log(self, mine: Mapping[int, Sequence[AccessReceipt]] | None = None) -> SourceLog:
        """The log as the source sends it (through its JSON form, as a wallet reads it)."""
        chosen = self.mine if mine is None else mine
        batches = tuple(
            LogBatch(
                no,
                tuple(chosen[no]),
                self.batches[no].proof_for(LOG_KEY.pseudonym(KAREN.public_jwk, no)),
            )
            for no in sorted(chosen)
        )
        sent = SourceLog(SOURCE, public_key_from_jwk(LOG_KEY.public_jwk), batches)
        return parse_source_log(json.dumps(sent.to_json()))


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario()


def test_an_honest_log_verifies_and_reads_who_what_why_when(scenario: Scenario) -> None:
    verified = verify_access_log(scenario.log(), KAREN, scenario.anchored(), names=NAMES)
    assert verified.source == SOURCE and verified.batches == 3
    rows = [
        (
            e.time,
            e.requester_name,
            e.outcome,
            e.legal_basis,
            e.case_ref,
            e.batch_no,
            e.anchored_block,
        )
        for e in verified.entries
    ]
    assert rows == [
        (T + 10, "Københavns Kommune", "answered", "public-task", "KK-2026-17", 1, 101),
        (T + 20, "", "no-consent", "consent", "KK-2026-17", 1, 101),
        (T + 300, "Københavns Kommune", "answered", "public-task", "KK-2026-99", 3, 103),
    ]
    first = verified.entries[0]
    assert first.claims == ("address.municipality", "age_over_18")
    assert first.purpose == "Boligstøtte"


def test_names_may_come_from_a_function_asked_once_per_requester(scenario: Scenario) -> None:
    asked: list[str] = []

    def name(address: str) -> str:
        asked.append(address)
        return "named"

    verified = verify_access_log(scenario.log(), KAREN, scenario.anchored(), names=name)
    assert {e.requester_name for e in verified.entries} == {"named"}
    assert sorted(asked) == sorted({KOMMUNE, BANK})


def test_another_subjects_slot_does_not_pass_as_hers(scenario: Scenario) -> None:
    other = OTHERS[0]
    batches = tuple(
        LogBatch(
            no,
            (scenario.others[no][0],),
            b.proof_for(LOG_KEY.pseudonym(other.public_jwk, no)),
        )
        for no, b in scenario.batches.items()
    )
    log = SourceLog(SOURCE, public_key_from_jwk(LOG_KEY.public_jwk), batches)
    with pytest.raises(AccessLogError):  # her own pseudonym does not open another's slot
        verify_access_log(log, KAREN, scenario.anchored())
    verify_access_log(log, other, scenario.anchored())  # and it is the other's, honestly


def test_a_dropped_receipt_is_caught(scenario: Scenario) -> None:
    dropped = {**scenario.mine, 1: scenario.mine[1][:1]}
    with pytest.raises(AccessLogIncomplete, match="batch 1"):
        verify_access_log(scenario.log(dropped), KAREN, scenario.anchored())


def test_an_altered_receipt_is_caught(scenario: Scenario) -> None:
    altered = dataclasses.replace(scenario.mine[3][0], purpose="Kontrol")
    with pytest.raises(AccessLogAltered, match="batch 3"):
        verify_access_log(scenario.log({**scenario.mine, 3: [altered]}), KAREN, scenario.anchored())


def test_a_batch_left_out_of_the_log_is_caught(scenario: Scenario) -> None:
    without = {no: r for no, r in scenario.mine.items() if no != 2}
    with pytest.raises(AccessLogIncomplete, match="batch 2"):
        verify_access_log(scenario.log(without), KAREN, scenario.anchored())


def test_a_gap_in_the_anchored_batches_is_caught(scenario: Scenario) -> None:
    anchored = [b for b in scenario.anchored() if b.batch_no != 2]
    with pytest.raises(AccessLogGap, match="batch 2 is missing"):
        verify_access_log(scenario.log(), KAREN, anchored)


def test_a_batch_the_chain_does_not_hold_is_caught(scenario: Scenario) -> None:
    with pytest.raises(AccessLogUnanchored, match="batch 3"):
        verify_access_log(scenario.log(), KAREN, scenario.anchored()[:2])


def test_a_receipt_of_another_source_is_caught(scenario: Scenario) -> None:
    log = scenario.log()
    with pytest.raises(AccessLogUnanchored, match="another source"):
        verify_access_log(dataclasses.replace(log, source=BANK), KAREN, scenario.anchored())


def test_receipts_not_yet_anchored_are_shown_as_pending(scenario: Scenario) -> None:
    log = scenario.log()
    late = receipt(T + 999, case_ref="KK-late")
    verified = verify_access_log(
        dataclasses.replace(log, pending=(late,)), KAREN, scenario.anchored(), names=NAMES
    )
    assert len(verified.entries) == 3
    (pending,) = verified.pending
    assert (pending.case_ref, pending.batch_no, pending.anchored_block) == ("KK-late", None, None)


def test_the_log_reads_back_from_its_json_form(scenario: Scenario) -> None:
    log = dataclasses.replace(scenario.log(), pending=(receipt(T + 999),))
    assert parse_source_log(json.dumps(log.to_json())) == log


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[]", "expected an object"),
        ('{"source": "0x1", "log_key": {}, "receipts": [], "batches": []}', "source is not"),
        (
            json.dumps({"source": SOURCE, "log_key": {"kty": "EC"}, "receipts": [], "batches": []}),
            "log_key",
        ),
        ("{", "not an access log"),
    ],
)
def test_a_malformed_log_is_refused(text: str, why: str) -> None:
    with pytest.raises(AccessLogMalformed, match=why):
        parse_source_log(text)


def test_a_malformed_batch_or_receipt_is_refused(scenario: Scenario) -> None:
    good = scenario.log().to_json()
    batch = good["batches"][0]
    changes: list[tuple[dict[str, object], str]] = [
        ({"batches": [{**batch, "batch_no": 0}]}, "batch_no"),
        ({"batches": [{**batch, "root": "AB"}]}, "root"),
        ({"batches": [{**batch, "proof": {"smt": {}}}]}, "slot proof does not parse"),
        ({"batches": [batch, batch]}, "listed twice"),
        ({"receipts": [{"receipt": "{}", "batch_no": 1}]}, "does not parse"),
        ({"receipts": [{"receipt": good["receipts"][0]["receipt"], "batch_no": 9}]}, "batch 9"),
        ({"receipts": [{"receipt": 1, "batch_no": None}]}, "not an encoded receipt"),
    ]
    for change, why in changes:
        with pytest.raises(AccessLogMalformed, match=why):
            parse_source_log(json.dumps({**good, **change}))
