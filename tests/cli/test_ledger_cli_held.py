"""`ledger held` and what `ledger anchor` and `ledger status` say about held credentials:
credentials queued while their agency was suspended wait for an explicit operator decision,
even after the agency is reinstated."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result
from test_ledger_cli_agency import VCT, Invoke, issue, ok, setup_network

from ledger.agency.packages import CredentialPackage


def _queue(ledger: Invoke, files: dict[str, Path], out: Path, *opts: str) -> Result:
    """`ledger --as cpr issue --batch` of the claims to the holder into `out`."""
    return ledger(*opts, "--as", "cpr", "issue", "--batch", "--type", VCT, "--claims",
                  str(files["claims"]), "--holder-jwk", str(files["holder"]), "--out", str(out))


def test_credentials_queued_while_suspended_wait_for_an_operator_decision(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    issue(ledger, files)  # the agency's status list exists
    ok(ledger("--as", "alice", "agency", "suspend", "cpr"))
    outs = [tmp_path / "held1.json", tmp_path / "held2.json"]
    queued = [json.loads(ok(_queue(ledger, files, out, "--json"))) for out in outs]
    assert [q["held"] for q in queued] == [True, True]
    ids = [q["credential_id"] for q in queued]

    status = json.loads(ok(ledger("--as", "cpr", "--json", "status")))
    assert status["account"]["held_credentials"] == 2 and status["held_credentials"]["cpr"] == 2
    assert ok(ledger("--as", "alice", "status")).splitlines()[-1] == (
        "Held        cpr: 2 credential(s) held while the agency was suspended "
        "(`ledger --as cpr held list`)"
    )
    refused = ledger("--as", "cpr", "held", "anchor", "--all")
    assert refused.exit_code == 1 and "still suspended" in refused.stderr

    ok(ledger("--as", "alice", "agency", "reinstate", "cpr"))
    anchored = ok(ledger("--as", "cpr", "anchor"))
    assert anchored == (
        "Anchored 0 credentials in 0 batches; wrote 0 files. 2 credential(s) are held (signed "
        "or queued while the agency was suspended) and were not anchored: `ledger --as cpr held "
        "list`, then `held anchor` or `held discard`.\n"
    )
    assert not any(out.exists() for out in outs)
    listed = json.loads(ok(ledger("--as", "cpr", "--json", "held", "list")))
    assert [h["credential_id"] for h in listed["held"]] == ids

    undecided = ledger("--as", "cpr", "held", "anchor")
    assert (undecided.exit_code, undecided.stderr) == (
        1, "Error: name the held credentials (CREDENTIAL_ID...) or pass --all, not both\n"
    )
    assert ok(ledger("--as", "cpr", "held", "discard", ids[1])) == (
        "Discarded 1 held credential(s); they will never be anchored.\n"
    )
    assert ok(ledger("--as", "cpr", "held", "anchor", "--all")) == (
        "Anchored 1 held credential(s) (1 credentials anchored in all); wrote 1 files.\n"
    )
    package = CredentialPackage.from_json(outs[0].read_text())
    assert package.metadata["credential_id"] == ids[0] and not outs[1].exists()
    assert ok(ledger("--as", "cpr", "held", "list")) == "No held credentials.\n"
    assert json.loads(ok(ledger("--as", "cpr", "--json", "status")))["held_credentials"] == {
        "cpr": 0
    }
    assert ok(ledger("--as", "cpr", "anchor")) == (
        "Anchored 0 credentials in 0 batches; wrote 0 files.\n"
    )


def test_issue_while_suspended_says_the_credential_is_held(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    issue(ledger, files)
    ok(ledger("--as", "alice", "agency", "suspend", "cpr"))
    said = ok(_queue(ledger, files, tmp_path / "held.json"))
    assert said.startswith("Agency is suspended: credential ")
    assert said.endswith(
        " is held, not anchored. Once it is reinstated, `ledger --as cpr held anchor` anchors "
        f"it and writes {tmp_path / 'held.json'}, or `held discard` drops it.\n"
    )
