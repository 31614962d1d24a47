"""Delivery records (`ledger.agency.deliveries`) against the real devnet: a credential is
written to its recorded file once its anchor is mined and the record removed; a record held by
a running process is left alone; records of credentials never anchored are dropped."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import PERSON, VCT, AgencyWorld

from ledger.agency.deliveries import Deliveries, DeliveryReport, held, json_line
from ledger.agency.issuer import Issuer, PendingIssue
from ledger.agency.packages import CredentialPackage
from ledger.errors import UnknownCredentialType
from ledger.sdjwt import SigningKey

HOLDER = SigningKey.generate().public_jwk
_HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_SH)
print("held", flush=True)
time.sleep(120)
"""


@pytest.fixture
def issuer(agency_world: AgencyWorld, chain_snapshot: str, tmp_path: Path) -> Iterator[Issuer]:
    with agency_world.make_issuer(tmp_path / "issuer") as iss:
        yield iss


@pytest.fixture
def deliveries(tmp_path: Path) -> Deliveries:
    return Deliveries.of(tmp_path / "issuer")


def _queue(issuer: Issuer, deliveries: Deliveries, out: Path, cid: str) -> PendingIssue:
    result = deliveries.issue(
        issuer, out, PERSON, vct=VCT, holder_jwk=HOLDER, credential_id=cid, anchor="batch"
    )
    assert isinstance(result, PendingIssue)
    return result


def test_a_recorded_credential_is_written_once_anchored_and_its_record_removed(
    issuer: Issuer, deliveries: Deliveries, tmp_path: Path
) -> None:
    out = tmp_path / "credential.json"
    _queue(issuer, deliveries, out, "c1")
    record = deliveries.record_path("c1")
    assert record.read_text() == f"{out.resolve()}\n"
    assert deliveries.deliver(issuer) == DeliveryReport(frozenset(), waiting=1)
    assert not out.exists()

    issuer.flush()
    assert deliveries.deliver(issuer) == DeliveryReport(frozenset({"c1"}), waiting=0)
    assert out.read_text() == issuer.delivered("c1").to_json() + "\n"
    assert not record.exists()


def test_a_credential_anchored_at_once_is_written_and_leaves_no_record(
    issuer: Issuer, deliveries: Deliveries, tmp_path: Path
) -> None:
    out = tmp_path / "now.json"
    package = deliveries.issue(issuer, out, PERSON, vct=VCT, holder_jwk=HOLDER, credential_id="c2")
    assert isinstance(package, CredentialPackage)
    assert out.read_text() == package.to_json() + "\n"
    assert list(deliveries.directory.iterdir()) == []


def test_a_refused_issue_leaves_no_record(
    issuer: Issuer, deliveries: Deliveries, tmp_path: Path
) -> None:
    with pytest.raises(UnknownCredentialType):
        deliveries.issue(
            issuer,
            tmp_path / "no.json",
            PERSON,
            vct="urn:unknown",
            holder_jwk=HOLDER,
            credential_id="c3",
        )
    assert list(deliveries.directory.iterdir()) == []


def test_a_record_held_by_a_running_process_is_left_alone(
    issuer: Issuer, deliveries: Deliveries, tmp_path: Path
) -> None:
    # Recorded, not yet in the outbox: dropped unless the run that recorded it still runs.
    record = deliveries.record("never-queued", tmp_path / "x.json")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(record)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert deliveries.deliver(issuer) == DeliveryReport(frozenset(), waiting=1)
        assert record.exists()
    finally:
        holder.kill()
        holder.wait()
    assert deliveries.deliver(issuer) == DeliveryReport(frozenset(), waiting=0)
    assert not record.exists()


def test_a_record_held_in_this_process_is_left_alone_too(
    issuer: Issuer, deliveries: Deliveries, tmp_path: Path
) -> None:
    record = deliveries.record("never-queued", tmp_path / "x.json")
    with held(record):
        assert deliveries.deliver(issuer).waiting == 1
    deliveries.deliver(issuer)
    assert not record.exists()


def test_a_manifest_is_written_once_every_credential_it_names_is_anchored(
    issuer: Issuer, deliveries: Deliveries, tmp_path: Path
) -> None:
    out = tmp_path / "many.jsonl"
    for cid in ("m1", "m2"):
        issuer.issue(PERSON, vct=VCT, holder_jwk=HOLDER, anchor="batch", credential_id=cid)
    manifest = deliveries.record_many(out, ["m1", "m2"], rng=lambda n: b"\x07" * n)
    assert manifest.name == "07" * 8 + ".many"
    assert json.loads(manifest.read_text()) == {"out": str(out.resolve()), "ids": ["m1", "m2"]}
    assert deliveries.deliver(issuer) == DeliveryReport(frozenset(), waiting=2)

    issuer.flush()
    assert deliveries.deliver(issuer) == DeliveryReport(frozenset({"m1", "m2"}), waiting=0)
    lines = out.read_text().splitlines()
    assert lines == [json_line(issuer.delivered("m1")), json_line(issuer.delivered("m2"))]
    assert not manifest.exists()


def test_a_manifest_whose_run_queued_nothing_is_dropped_unwritten(
    issuer: Issuer, deliveries: Deliveries, tmp_path: Path
) -> None:
    out = tmp_path / "none.jsonl"
    manifest = deliveries.record_many(out, ["lost1", "lost2"])
    assert deliveries.deliver(issuer) == DeliveryReport(frozenset(), waiting=0)
    assert not manifest.exists() and not out.exists()


def test_a_json_line_holds_the_same_document_as_the_credential_file(
    issuer: Issuer, deliveries: Deliveries, tmp_path: Path
) -> None:
    package = deliveries.issue(
        issuer, tmp_path / "c.json", PERSON, vct=VCT, holder_jwk=HOLDER, credential_id="c4"
    )
    assert isinstance(package, CredentialPackage)
    assert json.loads(json_line(package)) == json.loads(package.to_json())
    assert "\n" not in json_line(package)
