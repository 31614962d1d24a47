"""`ledger` CLI for agencies: keys, issue, anchor, status changes, request and verify.

Each test stands the network up through the CLI itself (a one-member council, so every
proposal executes at once): an issuer agency `cpr` accredited for `VCT` with a registered
signing key, and a verifier agency `muni` registered for `REQUESTED` under `PURPOSE`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from world import CHEAP_WORK

from ledger.agency.keys import kid_bytes
from ledger.agency.packages import CredentialPackage, PresentationPackage
from ledger.agency.request import PresentationRequest
from ledger.chain.devnet import free_port
from ledger.sdjwt import create_presentation
from ledger.sdjwt.jwk import SigningKey

#: `ledger ARGS...` run in-process (the `ledger` fixture of conftest.py).
Invoke = Callable[..., Result]

VCT = "https://credentials.example.dk/person/v1"
CLAIMS = {"given_name": "Karen", "birthdate": "1990-01-01", "age_over_18": True,
          "municipality": "København"}
REQUESTED = "age_over_18,municipality"
PURPOSE = "Check residence and age for municipal services"


#: The holder key of each test (by tmp_path), standing in for the wallet.
HOLDERS: dict[str, SigningKey] = {}


def ok(result: Result) -> str:
    """stdout of a successful command (fails the test with the output otherwise)."""
    assert result.exit_code == 0, result.output
    return result.stdout


def setup_network(ledger: Invoke, tmp_path: Path) -> dict[str, Path]:
    """The network of the module docstring; returns the files of the exchange (the holder
    key's public JWK is written; the key itself is in `HOLDERS` under the directory name)."""
    ok(ledger("deploy", "--council", "alice", "--threshold", "1"))
    ok(ledger("account", "create", "cpr", "--fund"))
    ok(ledger("account", "create", "muni", "--fund"))
    council = ("--as", "alice")
    ok(ledger(*council, "type", "register", VCT, "--claims", ",".join(CLAIMS)))
    ok(ledger(*council, "agency", "admit", "cpr", "--name", "CPR Office"))
    ok(ledger(*council, "agency", "admit", "muni", "--name", "Municipality"))
    ok(ledger(*council, "agency", "accredit", "cpr", "--type", VCT))
    ok(ledger(*council, "verifier", "register", "muni", "--type", VCT, "--claims", REQUESTED,
              "--purpose", PURPOSE))
    ok(ledger("--as", "cpr", "keys", "create"))
    ok(ledger("--as", "cpr", "keys", "register"))
    holder = SigningKey.generate()
    files = {
        "claims": tmp_path / "claims.json",
        "holder": tmp_path / "holder.jwk.json",
        "credential": tmp_path / "credential.json",
        "request": tmp_path / "request.json",
        "presentation": tmp_path / "presentation.json",
    }
    files["claims"].write_text(json.dumps(CLAIMS))
    files["holder"].write_text(json.dumps(holder.public_jwk))
    HOLDERS[str(tmp_path)] = holder
    return files


def present(files: dict[str, Path], holder: SigningKey) -> None:
    """The wallet's part: disclose exactly the requested claims, bound to the request."""
    package = CredentialPackage.from_json(files["credential"].read_text())
    req = PresentationRequest.from_json(files["request"].read_text())
    presentation = create_presentation(
        package.sd_jwt, disclose=list(req.claim_paths), holder_key=holder,
        audience=req.audience, nonce=req.nonce,
    )
    out = PresentationPackage(presentation, package.anchor, package.type_id)
    files["presentation"].write_text(out.to_json())


def issue(ledger: Invoke, files: dict[str, Path]) -> str:
    """`ledger --as cpr issue` of the claims to the holder, single anchor, into `credential`."""
    return ok(ledger("--as", "cpr", "issue", "--type", VCT, "--claims", str(files["claims"]),
                     "--holder-jwk", str(files["holder"]), "--out", str(files["credential"])))


def ask(ledger: Invoke, files: dict[str, Path]) -> None:
    ok(ledger("--as", "muni", "request", "--type", VCT, "--claims", REQUESTED,
              "--purpose", PURPOSE, "--out", str(files["request"])))


def verify(ledger: Invoke, files: dict[str, Path], *opts: str) -> Result:
    return ledger(*opts, "verify", "--request", str(files["request"]), str(files["presentation"]))


def test_issue_request_verify_round_trip(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    issued = issue(ledger, files)
    assert issued.startswith("Issued credential ")
    package = CredentialPackage.from_json(files["credential"].read_text())
    assert package.anchor.is_batch is False

    ask(ledger, files)
    present(files, HOLDERS[str(tmp_path)])
    result = verify(ledger, files)  # the verifier is found from the request's signer

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "VALID: every check passed"
    assert len(lines) == 15 and all(line.startswith("  [PASS] ") for line in lines[1:12])
    assert lines[12:] == [
        "Disclosed claims (issued by CPR Office):",
        "  age_over_18 = true",
        '  municipality = "København"',
    ]

    replay = ledger("verify", "--json", "--request", str(files["request"]),
                    str(files["presentation"]))
    assert replay.exit_code == 1
    report = json.loads(replay.stdout)
    assert (report["ok"], report["failed_check"]) == (False, "nonce")


def test_revoked_credential_fails_verification_at_status(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    issue(ledger, files)
    assert ok(ledger("--as", "cpr", "suspend", str(files["credential"]))) == (
        "Suspended 1 credential(s) in 1 transaction(s).\n"
    )
    ask(ledger, files)
    present(files, HOLDERS[str(tmp_path)])
    suspended = verify(ledger, files)
    assert suspended.exit_code == 1
    assert suspended.stdout.splitlines()[0] == "INVALID: Credential status now failed"

    ok(ledger("--as", "cpr", "reinstate", str(files["credential"])))
    ask(ledger, files)
    present(files, HOLDERS[str(tmp_path)])
    assert verify(ledger, files).exit_code == 0

    ok(ledger("--as", "cpr", "revoke", str(files["credential"])))
    final = ledger("--as", "cpr", "reinstate", str(files["credential"]))
    assert final.exit_code == 1
    assert final.stderr.startswith("Error: credential StatusRef(") and final.stderr.endswith(
        "is revoked; revocation is final\n"
    )


def test_verify_with_herd_status_privacy_reaches_the_same_verdicts(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    issue(ledger, files)
    verdicts: dict[str, list[tuple[int, str | None]]] = {"direct": [], "herd": []}
    for step in ("valid", "suspend", "revoke"):
        if step != "valid":
            ok(ledger("--as", "cpr", step, str(files["credential"])))
        for mode in ("direct", "herd"):
            ask(ledger, files)
            present(files, HOLDERS[str(tmp_path)])
            result = ledger("verify", "--json", "--status-privacy", mode, "--request",
                            str(files["request"]), str(files["presentation"]))
            report = json.loads(result.stdout)
            verdicts[mode].append((result.exit_code, report["failed_check"]))
    assert verdicts["herd"] == verdicts["direct"] == [(0, None), (1, "status"), (1, "status")]


def test_a_revoked_credential_cannot_be_suspended_so_reinstate_never_brings_it_back(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    issue(ledger, files)
    ok(ledger("--as", "cpr", "revoke", str(files["credential"])))

    suspended = ledger("--as", "cpr", "suspend", str(files["credential"]))
    assert (suspended.exit_code, suspended.stdout) == (1, "")
    assert suspended.stderr.endswith("is revoked; revocation is final\n")
    assert ledger("--as", "cpr", "reinstate", str(files["credential"])).exit_code == 1

    ask(ledger, files)
    present(files, HOLDERS[str(tmp_path)])
    still = verify(ledger, files)
    assert still.exit_code == 1
    assert still.stdout.splitlines()[0] == "INVALID: Credential status now failed"


def test_batch_issue_is_written_by_anchor(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    outs = [tmp_path / f"batched-{i}.json" for i in range(3)]
    for out in outs:
        queued = ok(ledger("--as", "cpr", "issue", "--batch", "--type", VCT,
                           "--claims", str(files["claims"]), "--holder-jwk", str(files["holder"]),
                           "--out", str(out)))
        assert queued.startswith("Queued credential ")
        assert not out.exists()  # never handed out before its anchor is mined
    anchored = ok(ledger("--as", "cpr", "anchor"))
    assert anchored == "Anchored 3 credentials in 1 batches; wrote 3 files.\n"
    roots = {CredentialPackage.from_json(o.read_text()).anchor.root for o in outs}
    assert len(roots) == 1 and None not in roots
    assert ok(ledger("--as", "cpr", "anchor")) == (
        "Anchored 0 credentials in 0 batches; wrote 0 files.\n"
    )

    files["credential"] = outs[1]
    ask(ledger, files)
    present(files, HOLDERS[str(tmp_path)])
    assert verify(ledger, files).exit_code == 0


def test_keys_show_rotate_and_revoke(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    setup_network(ledger, tmp_path)
    listed = json.loads(ok(ledger("--as", "cpr", "--json", "keys", "list")))
    assert [(k["registered"], k["valid_now"]) for k in listed] == [(True, True)]
    old = listed[0]["kid"]
    jwk = json.loads(ok(ledger("--as", "cpr", "keys", "show", old)))
    assert (jwk["kty"], jwk["crv"]) == ("EC", "P-256")

    rotated = json.loads(ok(ledger("--as", "cpr", "--json", "keys", "rotate")))
    assert rotated["old_kid"] == old
    states = {k["kid"]: k["valid_now"] for k in
              json.loads(ok(ledger("--as", "cpr", "--json", "keys", "list")))}
    assert states == {old: False, rotated["kid"]: True}

    assert ok(ledger("--as", "cpr", "keys", "revoke", rotated["kid"])).startswith(
        f"Revoked signing key {rotated['kid']} (block "
    )
    files = {"claims": tmp_path / "claims.json", "holder": tmp_path / "holder.jwk.json"}
    no_key = ledger("--as", "cpr", "issue", "--type", VCT, "--claims", str(files["claims"]),
                    "--holder-jwk", str(files["holder"]), "--out", str(tmp_path / "x.json"))
    assert (no_key.exit_code, no_key.stderr) == (
        1,
        "Error: cpr has no signing key registered and valid now "
        "(see `ledger keys create` and `ledger keys register`)\n",
    )
    # anchoring what is queued signs nothing, so it needs no valid key
    assert ok(ledger("--as", "cpr", "anchor")) == (
        "Anchored 0 credentials in 0 batches; wrote 0 files.\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Error: {path}: no such file\n"),
        ("{not json", "Error: {path}: not a JSON file ("),
        ("[1, 2]", "Error: {path}: the claims must be a JSON object\n"),
    ],
    ids=["missing", "not-json", "not-object"],
)
def test_bad_claims_file_is_an_error(
    ledger: Invoke, home: Path, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "claims.json"
    if content is not None:
        path.write_text(content)
    result = ledger("--as", "cpr", "issue", "--type", VCT, "--claims", str(path),
                    "--holder-jwk", str(path), "--out", str(tmp_path / "out.json"))
    assert result.exit_code == 1
    assert result.stderr.startswith(message.format(path=path))


def test_presentation_file_of_the_wrong_format_is_an_error(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    ask(ledger, files)
    files["presentation"].write_text(json.dumps({"format": "something-else"}))
    result = verify(ledger, files)
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {files['presentation']}: not a ledger-presentation/v1 document\n"
    )


def test_request_the_verifier_is_not_registered_for_is_refused(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    setup_network(ledger, tmp_path)
    out = tmp_path / "r.json"
    base = ("--as", "muni", "request", "--type", VCT, "--out", str(out))
    other_purpose = ledger(*base, "--claims", REQUESTED, "--purpose", "Marketing")
    assert (other_purpose.exit_code, other_purpose.stdout) == (1, "")
    assert other_purpose.stderr == (
        f"Error: refused to create the request: this verifier is not registered for {VCT} "
        "with the purpose 'Marketing'; have the council register it (`ledger verifier "
        "register`) or ask only for what it is registered for\n"
    )
    more_claims = ledger(*base, "--claims", REQUESTED + ",given_name", "--purpose", PURPOSE)
    assert more_claims.exit_code == 1
    assert more_claims.stderr.startswith(
        "Error: refused to create the request: this verifier is not registered for the claims "
        "given_name;"
    )
    assert not out.exists()
    registered = ledger(*base, "--claims", REQUESTED, "--purpose", PURPOSE)
    assert (registered.exit_code, registered.stderr) == (0, "")
    # The opt-out is for tests of the wallet's and the final check's refusals.
    unsafe = ledger(*base, "--claims", REQUESTED, "--purpose", "Marketing",
                    "--unsafe-allow-unregistered")
    assert unsafe.exit_code == 0, unsafe.output
    assert unsafe.stderr == (
        f"Warning: this verifier is not registered for {VCT} with the purpose 'Marketing' "
        "(see `ledger verifier register`); wallets will refuse this request by default.\n"
    )


def test_verify_exits_3_when_it_cannot_reach_a_verdict(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    issue(ledger, files)
    ask(ledger, files)
    present(files, HOLDERS[str(tmp_path)])
    unreachable = verify(ledger, files, "--rpc", f"http://127.0.0.1:{free_port()}")
    assert unreachable.exit_code == 3
    assert "is unavailable" in unreachable.stderr
    assert verify(ledger, files).exit_code == 0  # the same presentation, once the chain answers


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("issue", "--type", VCT, "--claims", "{claims}", "--holder-jwk", "{claims}",
          "--out", "{out}"), "{claims}: only EC P-256 keys are supported"),
        (("revoke", "{claims}"), "{claims}: not a ledger-credential/v1 document"),
        (("verify", "--request", "{claims}", "{claims}"), "{claims}: request lacks "),
        (("verify", "--request", "{array}", "{claims}"), "{array}: request must be a JSON object"),
    ],
    ids=["holder-jwk", "credential", "request", "request-not-object"],
)
def test_a_file_of_the_wrong_kind_is_named_in_the_error(
    ledger: Invoke, home: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    paths = {"claims": tmp_path / "claims.json", "array": tmp_path / "array.json",
             "out": tmp_path / "out.json"}
    paths["claims"].write_text(json.dumps(CLAIMS))
    paths["array"].write_text("[]")
    result = ledger("--as", "cpr", *(a.format(**paths) for a in args))
    # `verify` exits 3 when its own request file is wrong: no verdict on the presentation.
    assert (result.exit_code, result.stdout) == (3 if args[0] == "verify" else 1, "")
    assert result.stderr.startswith("Error: " + message.format(**paths))


def test_anchor_writes_files_a_crashed_run_left_unwritten(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.cli import _ledger_agency

    files = setup_network(ledger, tmp_path)
    out = tmp_path / "batched.json"
    ok(ledger("--as", "cpr", "issue", "--batch", "--type", VCT, "--claims", str(files["claims"]),
              "--holder-jwk", str(files["holder"]), "--out", str(out)))

    def crash(*args: object) -> None:
        raise RuntimeError("killed after the anchor was mined")

    with monkeypatch.context() as patch:
        patch.setattr(_ledger_agency, "_deliver_recorded", crash)
        with pytest.raises(RuntimeError):
            ledger("--as", "cpr", "anchor")
    assert not out.exists()

    again = json.loads(ok(ledger("--as", "cpr", "--json", "anchor")))
    assert (again["anchored"], again["written"], again["still_waiting"]) == (0, 1, 0)
    assert CredentialPackage.from_json(out.read_text()).anchor.is_batch


def test_single_anchor_issue_a_crashed_run_left_unwritten_is_written_by_anchor(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.agency.anchoring import LedgerAnchorChain

    files = setup_network(ledger, tmp_path)
    out = files["credential"]

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed after broadcasting the anchor")

    with monkeypatch.context() as patch:
        patch.setattr(LedgerAnchorChain, "wait_outcomes", crash)
        with pytest.raises(RuntimeError):
            issue(ledger, files)
    assert not out.exists()
    assert len(list(home.rglob("*.path"))) == 1  # where `anchor` will write it

    again = json.loads(ok(ledger("--as", "cpr", "--json", "anchor")))
    assert (again["written"], again["still_waiting"]) == (1, 0)
    assert again["recovered"]["anchored"] == 1
    assert not CredentialPackage.from_json(out.read_text()).anchor.is_batch
    ask(ledger, files)
    present(files, HOLDERS[str(tmp_path)])
    assert verify(ledger, files).exit_code == 0


def test_issue_leaves_no_delivery_record_once_written_or_refused(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    issue(ledger, files)
    ok(ledger("--as", "alice", "agency", "suspend", "cpr"))
    refused = ledger("--as", "cpr", "issue", "--type", VCT, "--claims", str(files["claims"]),
                     "--holder-jwk", str(files["holder"]), "--out", str(tmp_path / "no.json"))
    assert refused.exit_code == 1
    assert list(home.rglob("*.path")) == []


def test_council_revokes_a_stolen_key_earlier_credentials_stay_valid(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    issue(ledger, files)
    kid = json.loads(ok(ledger("--as", "cpr", "--json", "keys", "list")))[0]["kid"]
    time.sleep(1.1)  # the revocation lands in a later second than the anchor
    revoked = ok(ledger("--as", "alice", "council", "propose", "revoke-key", kid))
    assert revoked == f"Proposal 6 (revoke key 0x{kid_bytes(kid).hex()}): executed.\n"

    ask(ledger, files)  # anchored before the revocation: still valid
    present(files, HOLDERS[str(tmp_path)])
    result = verify(ledger, files)
    assert result.exit_code == 0, result.output
    assert "revoked" in ok(ledger("--as", "cpr", "keys", "list"))

    no_key = ledger("--as", "cpr", "issue", "--type", VCT, "--claims", str(files["claims"]),
                    "--holder-jwk", str(files["holder"]), "--out", str(tmp_path / "new.json"))
    assert no_key.exit_code == 1  # the CLI will not sign with a key revoked on chain


def test_out_file_in_a_missing_directory_is_refused_before_anything_is_signed(
    ledger: Invoke, home: Path, tmp_path: Path
) -> None:
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps(CLAIMS))
    holder = tmp_path / "holder.json"
    holder.write_text(json.dumps(SigningKey.generate().public_jwk))
    out = tmp_path / "missing" / "credential.json"
    result = ledger("--as", "cpr", "issue", "--type", VCT, "--claims", str(claims),
                    "--holder-jwk", str(holder), "--out", str(out))
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {out}: no such directory {out.parent}\n"
    )


def test_wallet_cli_imports_and_presents_what_the_ledger_cli_issued(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from ledger.cli import wallet_cli
    from ledger.wallet import Wallet

    env = {"WALLET_HOME": str(tmp_path / "wallet"), "WALLET_PASSPHRASE": "citizen secret"}

    def wallet(*args: str) -> Result:
        return CliRunner().invoke(
            wallet_cli.cli, list(args), env=env, catch_exceptions=False, obj=CHEAP_WORK
        )

    files = setup_network(ledger, tmp_path)
    ok(wallet("init"))
    with Wallet.open(tmp_path / "wallet", "citizen secret") as held:
        files["holder"].write_text(json.dumps(held.holder_key().public_jwk))
    issue(ledger, files)
    ok(wallet("import", str(files["credential"])))
    ask(ledger, files)
    ok(wallet("present", "--yes", "--request", str(files["request"]),
              "--out", str(files["presentation"])))
    result = verify(ledger, files)
    assert (result.exit_code, result.stdout.splitlines()[0]) == (0, "VALID: every check passed")


def test_suspended_agency_cannot_issue(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    ok(ledger("--as", "alice", "agency", "suspend", "cpr"))
    result = ledger("--as", "cpr", "issue", "--type", VCT, "--claims", str(files["claims"]),
                    "--holder-jwk", str(files["holder"]), "--out", str(files["credential"]))
    assert result.exit_code == 1
    # its first issuance fails at opening a status list, later ones at the anchor
    assert re.match(
        r"Error: (Only an Active agency creates lists or sets entries to valid: "
        r"StatusRegistryAgencyNotActive|The caller may not anchor this type now \(not "
        r"accredited, or agency not Active\): AnchorRegistryNotAccredited)\(",
        result.stderr,
    )
    assert not files["credential"].exists()


def test_verifier_asking_for_unregistered_claims_fails_verification(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    issue(ledger, files)
    ok(ledger("--as", "muni", "request", "--type", VCT, "--claims", "given_name,birthdate",
              "--purpose", PURPOSE, "--out", str(files["request"]),
              "--unsafe-allow-unregistered"))
    present(files, HOLDERS[str(tmp_path)])
    result = ledger("--json", "verify", "--request", str(files["request"]),
                    str(files["presentation"]))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["failed_check"] == "verifier_authorization"


def test_issue_many_anchors_in_batches_and_writes_json_lines(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str
) -> None:
    files = setup_network(ledger, tmp_path)
    holder = json.loads(files["holder"].read_text())
    lines = [{"claims": CLAIMS, "holder_jwk": holder, "id": f"person-{i}"} for i in range(5)]
    lines[2] = {"claims": CLAIMS, "holder_jwk": holder}  # id drawn at random
    source = tmp_path / "people.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "issued.jsonl"
    result = json.loads(ok(ledger("--as", "cpr", "--json", "issue-many", "--type", VCT,
                                  "--input", str(source), "--out", str(out),
                                  "--max-batch", "2")))
    assert (result["issued"], result["batches"]) == (5, 3)
    packages = [CredentialPackage.from_json(line) for line in out.read_text().splitlines()]
    ids = [p.metadata["credential_id"] for p in packages]
    assert ids[:2] == ["person-0", "person-1"] and ids[3:] == ["person-3", "person-4"]
    assert all(p.anchor.is_batch for p in packages)
    assert list((home / "agencies" / "cpr" / "deliveries").iterdir()) == []

    files["credential"].write_text(packages[3].to_json())
    ask(ledger, files)
    present(files, HOLDERS[str(tmp_path)])
    assert verify(ledger, files).exit_code == 0


def test_issue_many_interrupted_before_anchoring_leaves_anchor_no_empty_file_to_write(
    ledger: Invoke, home: Path, tmp_path: Path, on_devnet: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = setup_network(ledger, tmp_path)
    holder = json.loads(files["holder"].read_text())
    source = tmp_path / "people.jsonl"
    source.write_text(json.dumps({"claims": CLAIMS, "holder_jwk": holder}) + "\n")
    out = tmp_path / "issued.jsonl"

    def ctrl_c(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr("ledger.agency.issuer.Issuer.issue_many", ctrl_c)
        stopped = ledger("--as", "cpr", "issue-many", "--type", VCT, "--input", str(source),
                         "--out", str(out))
    assert stopped.exit_code == 1
    assert stopped.stderr == (
        f"Interrupted: `ledger --as cpr anchor` writes {out} with the credentials anchored "
        "before the interruption, if any.\n\nAborted!\n"
    )

    anchored = json.loads(ok(ledger("--as", "cpr", "--json", "anchor")))
    assert (anchored["anchored"], anchored["written"]) == (0, 0)
    assert not out.exists()
    assert list((home / "agencies" / "cpr" / "deliveries").iterdir()) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{oops", "{path}:2: not JSON ("),
        ('{"claims": {}}', "{path}:2: expected an object with claims and holder_jwk\n"),
        ('{"claims": {}, "holder_jwk": {}, "id": "../x"}',
         "{path}:2: id must be 1-64 letters, digits, '-' or '_'\n"),
    ],
    ids=["not-json", "no-holder", "bad-id"],
)
def test_issue_many_names_the_bad_input_line(
    ledger: Invoke, home: Path, tmp_path: Path, line: str, message: str
) -> None:
    source = tmp_path / "people.jsonl"
    source.write_text('{"claims": {}, "holder_jwk": {}}\n' + line + "\n")
    result = ledger("--as", "cpr", "issue-many", "--type", VCT, "--input", str(source),
                    "--out", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: " + message.format(path=source))


def test_json_lines_hold_the_same_document_as_the_credential_file() -> None:
    from ledger.agency.packages import AnchorEvidence
    from ledger.cli._ledger_agency import _compact

    package = CredentialPackage(
        "header.payload.sig~disclosure~", AnchorEvidence(b"\x01" * 32, (b"\x02" * 32,), 3),
        7, 31337, {"credential_id": "c1", "status": {"list_id": 1, "idx": 9}},
    )
    assert json.loads(_compact(package)) == json.loads(package.to_json())
    assert "\n" not in _compact(package)
