"""The Danish scenario of `ledger demo`, told through the real CLIs instead of the SDK.

`ledger` (operator and agencies) and `wallet` (the citizen) run in-process through click's
`CliRunner` against the session anvil, with a fresh ledger home and wallet home per test,
keystores under a cheap scrypt and the wallet under a cheap Argon2id (`world.CHEAP_WORK`).
Two things are made through the SDK because no CLI will make them: the thief's credential (the
CLI will not sign with a revoked key) and presentations sent "anyway" from outside the wallet
(a revoked copy, the thief's credential), which the municipality's `ledger verify` must reject.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result
from world import CHEAP_WORK

from ledger.demo import CLAIM_NAMES, MUNICIPALITY_CLAIMS, MUNICIPALITY_PURPOSE, PERSON, VCT

if TYPE_CHECKING:
    from ledger.chain.devnet import Devnet
    from ledger.chain.rpc import Rpc

LEDGER_PASSPHRASE = "correct horse battery staple"
WALLET_PASSPHRASE = "Karen's wallet passphrase"
BROKER_PURPOSE = "Marketing profile enrichment"

Invoke = Callable[..., Result]


@pytest.fixture
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(ledger home, wallet home), both fresh; secrets from the environment."""
    ledger_home, wallet_home = tmp_path / "ledger-home", tmp_path / "wallet-home"
    for var in ("LEDGER_RPC", "LEDGER_ACCOUNT", "LEDGER_DEPLOYMENT", "LEDGER_POA"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LEDGER_HOME", str(ledger_home))
    monkeypatch.setenv("LEDGER_PASSPHRASE", LEDGER_PASSPHRASE)
    monkeypatch.setenv("WALLET_HOME", str(wallet_home))
    monkeypatch.setenv("WALLET_PASSPHRASE", WALLET_PASSPHRASE)
    return ledger_home, wallet_home


@pytest.fixture
def ledger() -> Invoke:
    """`ledger ARGS...` in-process."""
    from ledger.cli.ledger_cli import cli

    return lambda *args: CliRunner().invoke(cli, list(args), catch_exceptions=False, obj=CHEAP_WORK)


@pytest.fixture
def wallet() -> Invoke:
    """`wallet ARGS...` in-process."""
    from ledger.cli.wallet_cli import cli

    return lambda *args: CliRunner().invoke(cli, list(args), catch_exceptions=False, obj=CHEAP_WORK)


def ok(result: Result) -> str:
    """stdout of a command that must succeed."""
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    return result.stdout


def refused(result: Result) -> str:
    """stderr of a command that must fail with an expected error (exit 1, no output)."""
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    return result.stderr


# ---------------------------------------------------------------------------------------------
# wallet holder-key
# ---------------------------------------------------------------------------------------------


def _holder_kid(wallet_home: Path) -> tuple[str, dict[str, str]]:
    from ledger.wallet import Wallet

    with Wallet.open(wallet_home, WALLET_PASSPHRASE) as held:
        return held.holder_key().kid, held.holder_jwk


def test_holder_key_prints_the_public_jwk_only(
    homes: tuple[Path, Path], wallet: Invoke
) -> None:
    ok(wallet("init"))
    _, jwk = _holder_kid(homes[1])
    printed = ok(wallet("holder-key"))
    assert printed == json.dumps(jwk, sort_keys=True) + "\n"
    assert sorted(json.loads(printed)) == ["crv", "kty", "x", "y"]  # no private "d"


def test_holder_key_out_writes_the_jwk_file(
    homes: tuple[Path, Path], wallet: Invoke, tmp_path: Path
) -> None:
    ok(wallet("init"))
    kid, jwk = _holder_kid(homes[1])
    out = tmp_path / "holder.jwk.json"
    assert ok(wallet("holder-key", "--out", str(out))) == (
        f"Wrote the public holder key {kid} to {out}\n"
    )
    assert json.loads(out.read_text()) == jwk
    assert '"d"' not in out.read_text()
    as_json = json.loads(ok(wallet("--json", "holder-key")))
    assert as_json == {"kid": kid, "jwk": jwk, "out": None}


def test_holder_key_without_a_wallet_is_an_error(homes: tuple[Path, Path], wallet: Invoke) -> None:
    assert refused(wallet("holder-key")) == (
        f"Error: no wallet in {homes[1]} (run `wallet init` first)\n"
    )


# ---------------------------------------------------------------------------------------------
# the scenario
# ---------------------------------------------------------------------------------------------


def _decide(ledger: Invoke, *action: str) -> None:
    """Propose `action` as alice (one vote of two needed) and have bob's vote execute it."""
    proposed = ok(ledger("--as", "alice", *action))
    match = re.fullmatch(
        r"Proposal (\d+) \((.+)\): 1 of 2 votes; needs 1 more "
        r"\(`ledger --as MEMBER council vote \1`\)\.\n",
        proposed,
    )
    assert match, proposed
    assert ok(ledger("--as", "bob", "council", "vote", match[1])) == (
        f"Proposal {match[1]}: executed.\n"
    )


def _address(ledger: Invoke, name: str) -> str:
    accounts = json.loads(ok(ledger("--json", "account", "list")))
    return next(str(a["address"]) for a in accounts if a["name"] == name)


def _stolen_key_credential(ledger_home: Path, rpc: Rpc, kid: str, holder_jwk: dict[str, str],
                           outbox: Path) -> str:
    """What a thief holding the CPR office's key (and account) can make: a credential signed
    with the revoked key and anchored now, through the SDK (the CLI refuses)."""
    from ledger.agency.issuer import Issuer
    from ledger.agency.packages import CredentialPackage
    from ledger.chain.client import LedgerChain
    from ledger.chain.deploy import Deployment
    from ledger.cli._ledger_accounts import keyring

    ring = keyring(ledger_home)
    key = ring.unlock_signing_key("cpr", kid, LEDGER_PASSPHRASE)
    account = ring.unlock_account("cpr", LEDGER_PASSPHRASE)
    chain = LedgerChain(rpc, Deployment.load(ledger_home / "deployment.json"), account)
    with Issuer.open(chain, key, outbox) as issuer:
        package = issuer.issue(PERSON, vct=VCT, holder_jwk=holder_jwk, anchor="now")
    assert isinstance(package, CredentialPackage)  # anchored now, not queued
    return package.to_json()


def test_danish_scenario_runs_through_the_ledger_and_wallet_clis(
    homes: tuple[Path, Path],
    ledger: Invoke,
    wallet: Invoke,
    devnet: Devnet,
    devnet_funder: None,
    rpc: Rpc,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger_home, wallet_home = homes
    monkeypatch.setenv("LEDGER_RPC", devnet.rpc_url)
    files = {name: tmp_path / f"{name}.json" for name in (
        "claims", "holder", "credential", "second", "stolen", "request", "presentation",
        "broker-request", "broker-presentation",
    )}  # fmt: skip
    files["claims"].write_text(json.dumps(PERSON, ensure_ascii=False))
    asked = ",".join(MUNICIPALITY_CLAIMS)

    # 1. a council of three (two votes execute) admits the CPR office and the municipality
    deployed = ok(ledger("deploy", "--council", "alice", "--council", "bob",
                                        "--council", "carol", "--threshold", "2"))
    assert re.search(r"^Council: alice \(0x\w{40}\), bob \(0x\w{40}\), carol \(0x\w{40}\); "
                     r"threshold 2 of 3\.$", deployed, re.M), deployed
    for name in ("cpr", "muni", "broker"):
        ok(ledger("account", "create", name, "--fund"))
    _decide(ledger, "type", "register", VCT, "--claims", ",".join(CLAIM_NAMES))
    _decide(ledger, "agency", "admit", "cpr", "--name", "CPR Office")
    _decide(ledger, "agency", "accredit", "cpr", "--type", VCT)
    _decide(ledger, "agency", "admit", "muni", "--name", "Københavns Kommune")
    _decide(ledger, "verifier", "register", "muni", "--type", VCT, "--claims", asked,
            "--purpose", MUNICIPALITY_PURPOSE)
    _decide(ledger, "agency", "admit", "broker", "--name", "Nordic Data Broker ApS")
    muni, broker = _address(ledger, "muni"), _address(ledger, "broker")
    cpr = _address(ledger, "cpr")

    # 2. the CPR office issues a person credential to the key of Karen's wallet
    ok(ledger("--as", "cpr", "keys", "create"))
    ok(ledger("--as", "cpr", "keys", "register"))
    (kid,) = [k["kid"] for k in json.loads(ok(ledger("--as", "cpr", "--json", "keys", "list")))]
    created = ok(wallet("init"))
    holder_kid = created.splitlines()[1].removeprefix("Holder key: ")
    assert created == f"Created wallet in {wallet_home}\nHolder key: {holder_kid}\n"
    assert ok(wallet("holder-key", "--out", str(files["holder"]))) == (
        f"Wrote the public holder key {holder_kid} to {files['holder']}\n"
    )

    def issue(out: Path, *extra: str) -> Result:
        return ledger("--as", "cpr", "issue", "--type", VCT, "--claims", str(files["claims"]),
                      "--holder-jwk", str(files["holder"]), "--validity", "31536000",
                      "--out", str(out), *extra)

    issued = ok(issue(files["credential"]))
    assert re.fullmatch(rf"Issued credential \w+ \({re.escape(VCT)}\), anchored in block \d+; "
                        rf"wrote {re.escape(str(files['credential']))}\.\n", issued), issued
    imported = ok(wallet("import", str(files["credential"])))
    first_id = imported.split()[2].rstrip(":")
    assert re.fullmatch(rf"Imported credential {first_id}: {re.escape(VCT)}\n"
                        rf"Issued by CPR Office \({cpr}\) on \d{{4}}-\d\d-\d\d "
                        r"\d\d:\d\d:\d\d UTC\n", imported), imported

    # 3. the municipality asks for two claims; Karen consents; it sees exactly those two
    def ask(out: Path, as_: str = "muni", claims: str = asked,
            purpose: str = MUNICIPALITY_PURPOSE, warning: str = "") -> None:
        result = ledger("--as", as_, "request", "--type", VCT, "--claims", claims,
                        "--purpose", purpose, "--out", str(out))
        assert (result.exit_code, result.stderr) == (0, warning), result.output
        assert result.stdout.startswith(f"Wrote request to {out} (expires ")

    def present(request: Path, out: Path) -> Result:
        return wallet("present", "--yes", "--request", str(request), "--out", str(out))

    def verify(*opts: str) -> Result:
        return ledger("verify", *opts, "--request", str(files["request"]),
                      str(files["presentation"]))

    ask(files["request"])
    assert ok(present(files["request"], files["presentation"])) == (
        f"Københavns Kommune ({muni}) asks for:\n"
        "  age_over_18: yes\n"
        "  address.municipality: København\n"
        f"Purpose: {MUNICIPALITY_PURPOSE}\n"
        f"From credential {first_id} ({VCT})\n"
        f"Wrote presentation to {files['presentation']}\n"
    )
    report = json.loads(ok(verify("--json")))
    assert (report["ok"], report["failed_check"]) == (True, None)
    assert report["claims"] == {"age_over_18": True, "address": {"municipality": "København"}}
    assert report["issuer"] == {"address": cpr, "name": "CPR Office"}
    checks = {c["name"]: c["detail"] for c in report["checks"]}
    assert checks["request_match"] == "age_over_18, address.municipality"

    # 4. an agency not registered as a verifier asks for the CPR number: the wallet says no
    broker_asks = ("--as", "broker", "request", "--type", VCT, "--claims", "cpr_number",
                   "--purpose", BROKER_PURPOSE, "--out", str(files["broker-request"]))
    assert refused(ledger(*broker_asks)) == (
        f"Error: refused to create the request: this verifier is not registered for {VCT} "
        f"with the purpose {BROKER_PURPOSE!r}; have the council register it (`ledger verifier "
        "register`) or ask only for what it is registered for\n"
    )
    assert not files["broker-request"].exists()
    # A broker that writes its request anyway (here: the opt-out meant for tests) meets the wallet.
    anyway = ledger(*broker_asks, "--unsafe-allow-unregistered")
    assert (anyway.exit_code, anyway.stderr) == (0, (
        f"Warning: this verifier is not registered for {VCT} with the purpose "
        f"{BROKER_PURPOSE!r} (see `ledger verifier register`); wallets will refuse this "
        "request by default.\n"
    )), anyway.output
    assert refused(present(files["broker-request"], files["broker-presentation"])) == (
        f"Error: refused: Nordic Data Broker ApS ({broker}) is not registered to ask for "
        f"credentials of type {VCT} for the purpose {BROKER_PURPOSE!r}\n"
    )
    assert not files["broker-presentation"].exists()

    # 5. the CPR office revokes the credential: the wallet no longer offers it, and a copy
    #    presented anyway fails at the municipality on its status
    assert ok(ledger("--as", "cpr", "revoke", str(files["credential"]))) == (
        "Revoked 1 credential(s) in 1 transaction(s).\n"
    )
    ask(files["request"])
    assert refused(present(files["request"], files["presentation"])) == (
        f"Error: every credential of type {VCT} in this wallet is revoked or suspended\n"
    )
    _present_anyway(files, wallet_home, files["credential"])  # Karen's old copy
    rejected = verify()
    assert rejected.exit_code == 1
    lines = rejected.stdout.splitlines()
    assert lines[0] == "INVALID: Credential status now failed"
    assert re.fullmatch(r"  \[FAIL\] Credential status now +revoked \(at block \d+\)", lines[8])

    # 6. the key is stolen: a credential anchored before its revocation still verifies, the CLI
    #    will not sign with it afterwards, and the wallet refuses what a thief signs with it
    ok(issue(files["second"]))
    second_id = ok(wallet("import", str(files["second"]))).split()[2].rstrip(":")
    rpc.call("evm_increaseTime", [1])  # the revocation lands in a later second than the anchor
    revoked = ok(ledger("--as", "cpr", "keys", "revoke", kid))
    assert re.fullmatch(rf"Revoked signing key {kid} \(block \d+\)\.\n", revoked), revoked

    ask(files["request"])
    assert ok(present(files["request"], files["presentation"])).splitlines()[-2:] == [
        f"From credential {second_id} ({VCT})", f"Wrote presentation to {files['presentation']}",
    ]
    still = ok(verify()).splitlines()
    assert still[0] == "VALID: every check passed"
    assert still[-3:] == [
        "Disclosed claims (issued by CPR Office):",
        '  address.municipality = "København"',
        "  age_over_18 = true",
    ]

    assert refused(issue(tmp_path / "after.json")) == (
        "Error: cpr has no signing key registered and valid now "
        "(see `ledger keys create` and `ledger keys register`)\n"
    )
    assert re.fullmatch(  # naming the key does not get round it
        rf"Error: signing key {kid} of cpr is not valid on chain now \(revoked "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)\n",
        refused(issue(tmp_path / "after.json", "--kid", kid)),
    )
    assert not (tmp_path / "after.json").exists()

    rpc.call("evm_increaseTime", [1])
    holder_jwk = json.loads(files["holder"].read_text())
    files["stolen"].write_text(
        _stolen_key_credential(ledger_home, rpc, kid, holder_jwk, tmp_path / "thief-outbox")
    )
    assert refused(wallet("import", str(files["stolen"]))).startswith(
        "Error: refused to import the credential: its signing key was not valid when it was "
        "anchored (SigningKeyNotValidAtAnchor: "
    )
    ask(files["request"])  # sent anyway, the municipality rejects it on the key's revocation
    _present_anyway(files, wallet_home, files["stolen"])
    forged = verify()
    lines = forged.stdout.splitlines()
    assert (forged.exit_code, lines[0]) == (1, "INVALID: Signing key valid at anchor time failed")
    assert re.fullmatch(r"  \[FAIL\] Signing key valid at anchor time +key revoked at \d+, "
                        r"before the anchor at \d+", lines[7]), lines[7]
    listed = ok(wallet("list")).splitlines()
    assert sorted(line.split()[0] for line in listed) == sorted([first_id, second_id])
    # the broker got nothing: Karen's history has the two disclosures to the municipality
    history = ok(wallet("history")).splitlines()
    assert [line.split("  ", 1)[1] for line in history] == [
        f"Københavns Kommune ({muni})  {MUNICIPALITY_PURPOSE!r}: age_over_18, "
        f"address.municipality  [credential {cred}]"
        for cred in (first_id, second_id)
    ]


def _present_anyway(files: dict[str, Path], wallet_home: Path, credential: Path) -> None:
    """Present `credential` (answering the current request) with Karen's holder key, outside
    the wallet's own checks: what a verifier must catch by itself."""
    from ledger.agency.packages import CredentialPackage, PresentationPackage
    from ledger.agency.request import PresentationRequest
    from ledger.sdjwt import create_presentation
    from ledger.wallet import Wallet

    package = CredentialPackage.from_json(credential.read_text())
    request = PresentationRequest.from_json(files["request"].read_text())
    with Wallet.open(wallet_home, WALLET_PASSPHRASE) as held:
        presentation = create_presentation(
            package.sd_jwt, disclose=list(request.claim_paths), holder_key=held.holder_key(),
            audience=request.audience, nonce=request.nonce,
        )
    files["presentation"].write_text(
        PresentationPackage(presentation, package.anchor, package.type_id).to_json()
    )
