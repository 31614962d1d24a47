"""The citizen's side of the data service: her receipts and slot proofs after a challenge
signed with her holder key; and a requester finding the source in the directory on chain."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ledger.errors import WrongPurpose
from ledger.exchange.access_log import build_batch, parse_slot_proof, verify_my_batch
from ledger.exchange.citizen_auth import sign_log_request
from ledger.exchange.consent import sign_consent
from ledger.exchange.pseudonym import citizen_pseudonym
from ledger.exchange.receipts import AccessReceipt, Outcome
from ledger.exchange.source import batch_pseudonym
from ledger.sdjwt import SigningKey
from service.conftest import ASKED, Pull


def _log(pull: Pull, key: SigningKey) -> dict[str, Any]:
    challenge = pull.client.get("/exchange/challenge").json()
    proof = sign_log_request(
        key, challenge["challenge"], source=challenge["source"], now=int(pull.clock())
    )
    reply = pull.client.get("/exchange/receipts", headers={"authorization": f"HolderProof {proof}"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert isinstance(body, dict)
    return body


def test_citizen_sees_her_answered_and_refused_receipts_and_proves_her_batch(pull: Pull) -> None:
    now = int(pull.clock())
    document = sign_consent(
        pull.karen_key, requester=pull.world.verifier.address, source=pull.world.issuer.address,
        vct=pull.world.vct, claims=ASKED, purpose=pull.world.purpose, expires_at=now + 600,
        now=now,
    ).document  # fmt: skip
    with pytest.raises(WrongPurpose):
        pull.fetch(purpose="Marketing")
    assert pull.client.post("/exchange/consents", json={"document": document}).status_code == 200
    got = pull.fetch()
    log = _log(pull, pull.karen_key)
    receipts = [AccessReceipt.decode(item["receipt"]) for item in log["receipts"]]
    assert {r.outcome for r in receipts} == {Outcome.ANSWERED, Outcome.WRONG_PURPOSE}
    assert got.receipt_id in {r.receipt_id.hex() for r in receipts}
    assert log["batches"] == []

    # the source seals batch 1; her slot proof verifies against its root
    rows = pull.store.unbatched_receipts()
    pull.store.assign_batch(1, [row.receipt_id for row in rows])
    batch = build_batch(
        1, [(batch_pseudonym(row.subject_key or b"", 1), row.leaf or b"") for row in rows]
    )
    log = _log(pull, pull.karen_key)
    (entry,) = log["batches"]
    assert bytes.fromhex(entry["root"]) == batch.root
    mine = citizen_pseudonym(pull.karen_key, log["log_key"], 1)
    proof = parse_slot_proof(orjson.dumps(entry["proof"]))
    received = [AccessReceipt.decode(item["receipt"]) for item in log["receipts"]]
    verify_my_batch(batch.root, 1, mine, received, proof)


def test_a_stranger_key_gets_no_receipts(pull: Pull) -> None:
    log = _log(pull, SigningKey.generate())
    assert log["receipts"] == []


def test_a_used_challenge_is_refused(pull: Pull) -> None:
    challenge = pull.client.get("/exchange/challenge").json()
    proof = sign_log_request(
        pull.karen_key, challenge["challenge"], source=challenge["source"], now=int(pull.clock())
    )
    headers = {"authorization": f"HolderProof {proof}"}
    assert pull.client.get("/exchange/receipts", headers=headers).status_code == 200
    again = pull.client.get("/exchange/receipts", headers=headers)
    assert again.status_code == 401 and again.json()["error"]["code"] == "citizen-auth-failed"


def test_requester_finds_the_source_in_the_directory(pull: Pull, chain_snapshot: str) -> None:
    world = pull.world
    world.issuer_chain().directory.publish(world.type_id, pull.url)
    assert pull.requester.find_source(world.vct) == (world.issuer.address, pull.url)
    now = int(pull.clock())
    consent = sign_consent(
        pull.karen_key, requester=world.verifier.address, source=world.issuer.address,
        vct=world.vct, claims=ASKED, purpose=world.purpose, expires_at=now + 600, now=now,
    )  # fmt: skip
    pull.client.post("/exchange/consents", json={"document": consent.document})
    got = pull.requester.fetch(
        str(pull.karen["cpr_number"]), world.vct, ASKED, world.purpose, "case"
    )
    assert set(got.claims) == {"address", "age_over_18"}
