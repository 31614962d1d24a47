"""`wallet consent grant|list|withdraw` and `wallet access-log`, run in-process with click's
CliRunner against the shared devnet world: exact output and exit codes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from test_wallet_cli import Cli
from world import ISSUER_NAME, PASSPHRASE, VERIFIER_NAME, WalletWorld

from ledger._rand import UnsafeDeterministicRandom
from ledger.cli._wallet_exchange import expiry
from ledger.cli.wallet_cli import cli
from ledger.errors import InputError
from ledger.exchange.access_log import build_batch
from ledger.exchange.consent import verify_consent, verify_withdrawal
from ledger.exchange.pseudonym import SourceLogKey
from ledger.exchange.receipts import AccessReceipt, LegalBasis, Outcome
from ledger.sdjwt.jwk import public_key_from_jwk
from ledger.wallet.access_log import LogBatch, SourceLog
from ledger.wallet.wallet import Wallet

DAY = 86_400
RNG = UnsafeDeterministicRandom(4242)


def _date(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WALLET_HOME", "LEDGER_RPC", "LEDGER_DEPLOYMENT", "LEDGER_POA"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def run(tmp_path: Path, world: WalletWorld) -> Cli:
    """A wallet holding one person credential from the world's issuer (the source)."""
    ledger_home = tmp_path / "ledger"
    world.deployment.save(ledger_home / "deployment.json")
    runner = Cli(tmp_path / "wallet", world.rpc.url, ledger_home)
    assert runner("init").exit_code == 0
    with Wallet.open(runner.home, PASSPHRASE) as wallet:
        jwk = wallet.holder_jwk
    package, _ = world.issue(jwk, exp=4_000_000_000)
    path = tmp_path / "credential.json"
    path.write_text(package.to_json())
    result = runner("import", str(path))
    assert result.exit_code == 0, result.output
    return runner


def _grant(
    run: Cli, world: WalletWorld, out: Path, *extra: str, input: str | None = None
) -> Result:
    return run(
        "consent", "grant", "--requester", world.base.verifier.address, "--type", world.base.vct,
        "--claims", "municipality,age_over_18", "--purpose", world.base.purpose, "--expires", "90d",
        "--out", str(out), *extra, input=input,
    )  # fmt: skip


def test_grant_shows_who_what_why_and_writes_the_signed_consent(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    out = tmp_path / "consent.json"
    before = int(time.time())
    result = _grant(run, world, out, input="y\n")
    assert result.exit_code == 0, result.output
    with Wallet.open(run.home, PASSPHRASE) as wallet:
        (kept,) = wallet.list_consents()
        jwk = wallet.holder_jwk
    assert before + 90 * DAY <= kept.expires_at <= int(time.time()) + 90 * DAY
    verifier, issuer = world.base.verifier.address, world.base.issuer.address
    assert result.output == (
        f"{VERIFIER_NAME} ({verifier}) may fetch from {ISSUER_NAME} ({issuer}):\n"
        f"  {world.base.vct}: municipality, age_over_18\n"
        f"Purpose: {world.base.purpose}\n"
        f"Until:   {_date(kept.expires_at)}\n"
        f"Grant this consent to {VERIFIER_NAME}? [y/N]: y\n"
        f"Granted consent {kept.consent_id} to {VERIFIER_NAME} until {_date(kept.expires_at)}\n"
        f"Wrote it to {out}: take it to the source\n"
    )
    document = json.loads(out.read_text())["document"]
    consent = verify_consent(document, jwk, now=int(time.time()))
    assert (consent.requester, consent.source) == (verifier, issuer)
    assert consent.claims == ("age_over_18", "municipality")


def test_declining_signs_nothing(run: Cli, world: WalletWorld, tmp_path: Path) -> None:
    out = tmp_path / "consent.json"
    result = _grant(run, world, out, input="n\n")
    assert result.exit_code == 1
    assert result.output.endswith("Error: consent not granted: nothing was signed\n")
    assert not out.exists()
    assert run("consent", "list").output == "No consents.\n"


def test_list_and_withdraw(run: Cli, world: WalletWorld, tmp_path: Path) -> None:
    assert _grant(run, world, tmp_path / "c.json", "--yes").exit_code == 0
    with Wallet.open(run.home, PASSPHRASE) as wallet:
        (kept,) = wallet.list_consents()
        jwk = wallet.holder_jwk
    verifier = world.base.verifier.address
    listed = run("consent", "list")
    assert listed.output == (
        f"{kept.consent_id}  active until {_date(kept.expires_at)}  {VERIFIER_NAME} ({verifier})"
        f"  {world.base.vct}: age_over_18, municipality  purpose {world.base.purpose!r}\n"
    )
    out = tmp_path / "withdrawal.json"
    result = run("consent", "withdraw", kept.consent_id, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Withdrew consent {kept.consent_id} ({VERIFIER_NAME})\n"
        f"Wrote it to {out}: take it to the source\n"
    )
    withdrawal = verify_withdrawal(json.loads(out.read_text())["document"], jwk, now=2**40)
    assert withdrawal.consent_id == kept.consent_id
    assert " withdrawn since " in run("consent", "list").output


def test_grant_refuses_a_purpose_the_requester_is_not_registered_for(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    out = tmp_path / "c.json"
    verifier = world.base.verifier.address
    result = run(
        "consent", "grant", "--requester", verifier, "--type", world.base.vct, "--claims",
        "municipality", "--purpose", "Marketing", "--expires", "1d", "--out", str(out), "--yes",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {VERIFIER_NAME} ({verifier}) is not registered on this ledger for the purpose "
        f"'Marketing' with {world.base.vct}: the source would refuse its queries, so there is "
        "nothing to consent to\n"
    )
    assert not out.exists()


def test_grant_needs_exactly_one_destination(run: Cli, world: WalletWorld) -> None:
    result = run(
        "consent", "grant", "--requester", world.base.verifier.address, "--type", "t",
        "--claims", "a", "--purpose", "p", "--expires", "1d", "--yes",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.output == (
        "Error: say where it goes: --source URL (the source's service) or --out FILE\n"
    )


def test_grant_refuses_a_requester_that_is_no_agency(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    stranger = "0x" + "ab" * 20
    result = run(
        "consent", "grant", "--requester", stranger, "--type", world.base.vct, "--claims", "a",
        "--purpose", "p", "--expires", "1d", "--out", str(tmp_path / "c.json"), "--yes",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "is not an agency on this ledger" in result.output


def test_withdrawing_an_unknown_consent_says_how_to_find_them(run: Cli, tmp_path: Path) -> None:
    result = run("consent", "withdraw", "ab" * 16, "--out", str(tmp_path / "w.json"))
    assert result.exit_code == 1
    assert "(`wallet consent list` shows them)" in result.output


def test_every_consent_command_has_help_text() -> None:
    group = cli.commands["consent"]
    assert isinstance(group, click.Group)
    assert sorted(group.commands) == ["grant", "list", "withdraw"]
    for name, command in group.commands.items():
        assert command.help, f"wallet consent {name} has no help text"
        result = CliRunner().invoke(cli, ["consent", name, "--help"])
        assert result.exit_code == 0


def test_expiry_reads_durations_and_dates() -> None:
    assert expiry("90d", 1000) == 1000 + 90 * DAY
    assert expiry("2w", 0) == 14 * DAY
    assert expiry("2027-01-31", 0) == 1_801_353_600
    with pytest.raises(InputError, match="duration"):
        expiry("soon", 0)


# --- the access log ----------------------------------------------------------------------------


def _receipt(world: WalletWorld, t: int, case_ref: str) -> AccessReceipt:
    return AccessReceipt.new(
        source=world.base.issuer.address,
        requester=world.base.verifier.address,
        vct=world.base.vct,
        claims=["age_over_18", "municipality"],
        purpose="Boligstøtte",
        legal_basis=LegalBasis.PUBLIC_TASK,
        case_ref=case_ref,
        outcome=Outcome.ANSWERED,
        answer="a.b.c~",
        now=t,
        rng=RNG,
    )


def _anchored_log(run: Cli, world: WalletWorld) -> tuple[SourceLog, list[AccessReceipt]]:
    """Two batches anchored by the world's issuer (the source): her receipt in batch 1 among
    others', none of hers in batch 2."""
    log_key = SourceLogKey.generate(rng=RNG)
    with Wallet.open(run.home, PASSPHRASE) as wallet:
        jwk = wallet.holder_jwk
    others = [SourceLogKey.generate(rng=RNG).public_jwk for _ in range(2)]
    mine = [_receipt(world, 1_780_000_000, "KK-1")]
    batches = []
    chain = world.base.issuer_chain()
    for no, hers in ((1, mine), (2, [])):
        entries = [(log_key.pseudonym(jwk, no), r) for r in hers]
        entries += [(log_key.pseudonym(o, no), _receipt(world, 1_780_000_100, "X")) for o in others]
        batch = build_batch(no, entries)
        chain.receipts.anchor(no, batch.root, batch.count)
        batches.append(LogBatch(no, tuple(hers), batch.proof_for(log_key.pseudonym(jwk, no))))
    log = SourceLog(
        world.base.issuer.address, public_key_from_jwk(log_key.public_jwk), tuple(batches)
    )
    return log, mine


def test_access_log_shows_each_access_anchored(
    run: Cli, world: WalletWorld, tmp_path: Path
) -> None:
    log, (mine,) = _anchored_log(run, world)
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log.to_json()))
    result = run("access-log", "--file", str(path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    issuer, verifier = world.base.issuer.address, world.base.verifier.address
    assert lines[0] == (
        f"Access log from {ISSUER_NAME} ({issuer}): 1 access(es), complete over 2 anchored "
        "batch(es)"
    )
    assert lines[1:4] == [
        f"{_date(mine.time)}  {VERIFIER_NAME} ({verifier})",
        f"  answered: {world.base.vct}: age_over_18, municipality",
        "  purpose 'Boligstøtte', legal basis public-task, case KK-1",
    ]
    assert lines[4].startswith("  anchored in batch 1, block ")
    assert len(lines) == 5


def test_access_log_catches_a_dropped_receipt(run: Cli, world: WalletWorld, tmp_path: Path) -> None:
    log, _ = _anchored_log(run, world)
    first = log.batches[0]
    dropped = SourceLog(log.source, log.log_key, (LogBatch(1, (), first.proof), *log.batches[1:]))
    path = tmp_path / "log.json"
    path.write_text(json.dumps(dropped.to_json()))
    result = run("access-log", "--file", str(path))
    assert result.exit_code == 1
    assert result.output == (
        "Error: batch 1: 1 receipt(s) anchored for you were not given to you\n"
    )


def test_access_log_refuses_a_file_that_is_not_a_log(run: Cli, tmp_path: Path) -> None:
    path = tmp_path / "log.json"
    path.write_text("[]")
    result = run("access-log", "--file", str(path))
    assert result.exit_code == 1
    assert result.output == (
        "Error: not an access log: expected an object with the members source, log_key, "
        "receipts and batches\n"
    )


def test_access_log_needs_exactly_one_origin(run: Cli, tmp_path: Path) -> None:
    result = run("access-log")
    assert result.exit_code == 1
    assert result.output == "Error: say where the log comes from: --source URL or --file FILE\n"
