#!/usr/bin/env python3
"""Fault scenarios, end to end through the real CLIs on a devnet of their own (issue 13, part 6).

Each scenario runs `ledger` / `wallet` as separate processes against one issuing agency (`cpr`,
accredited, key registered) and prints what was issued or imported, what survived, what was
lost and what was anchored twice, with the one-line error the faulted command printed:

* outbox-disk-full: 3 credentials queued (`issue --batch`), then `issue-many` of 12 with the
  process's file size limit (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail with EFBIG) just above
  the outbox; then, with room again, `anchor`.
* outbox-tmpfs-full (root only): the same with the agency's state folder on a tmpfs that is
  nearly full, so SQLite meets a real ENOSPC.
* wallet-disk-full: 2 credentials imported, a third `wallet import` under the file size limit,
  then the rest imported with room again.
* concurrent-issue-many: two `issue-many` and one `anchor` at once on one agency home, with
  `issue --batch` running beside them; then `anchor`.
* concurrent-wallet-import: two `wallet import` at once on one wallet.

"Anchored twice" counts successful anchor transactions on chain beyond one per anchored batch
of the outbox (plus anchor transactions that reverted, reported apart). Process killed mid-batch
is covered by tests/agency/test_outbox_crash.py (kill -9 at every stage), node killed and node
hung by their own tests. Bounded: every process has a timeout; the devnet is stopped at exit.

Usage: scripts/fault_scenarios.py [--keep DIR] [--no-tmpfs]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import _common  # first: the project venv and import path

VCT = "https://credentials.example.dk/person/v1"
CLAIMS = {"given_name": "Karen", "birthdate": "1990-01-01", "age_over_18": True}
LEDGER_PASSPHRASE = "fault scenario passphrase"
WALLET_PASSPHRASE = "fault scenario wallet passphrase"
#: No command of a scenario may take longer than this (seconds): the script is bounded.
COMMAND_TIMEOUT = 180.0


@dataclass
class Outcome:
    """What one scenario did and what it found afterwards."""

    name: str
    done: int = 0  # credentials issued, or imported, that were committed before or during
    survived: int = 0
    lost: list[str] = field(default_factory=list)
    anchored_twice: int = 0
    reverted_anchors: int = 0
    errors: list[str] = field(default_factory=list)  # stderr of the faulted commands
    problems: list[str] = field(default_factory=list)  # tracebacks, wrong exit codes, ...

    @property
    def ok(self) -> bool:
        return not self.lost and not self.anchored_twice and not self.problems

    def lines(self) -> list[str]:
        out = [
            f"{self.name}: {'OK' if self.ok else 'FAILED'}",
            f"  issued/imported {self.done}, survived {self.survived}, lost {len(self.lost)}"
            f"{' ' + str(self.lost) if self.lost else ''}, anchored twice {self.anchored_twice}"
            f" (reverted anchor transactions {self.reverted_anchors})",
        ]
        out += [f"  faulted command said: {e}" for e in self.errors]
        out += [f"  PROBLEM: {p}" for p in self.problems]
        return out


# -- running the CLIs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Homes:
    """A ledger home with the agency `cpr` set up, a wallet home, and the chain."""

    ledger: Path
    wallet: Path
    rpc_url: str
    work: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "WALLET_"))}
        env.update(
            LEDGER_HOME=str(self.ledger),
            LEDGER_RPC=self.rpc_url,
            LEDGER_PASSPHRASE=LEDGER_PASSPHRASE,
            WALLET_HOME=str(self.wallet),
            WALLET_PASSPHRASE=WALLET_PASSPHRASE,
            PYTHONPATH=str(_common.ROOT),
        )
        return env

    @property
    def state(self) -> Path:
        """The agency's state folder (outbox, status lists, deliveries)."""
        return self.ledger / "agencies" / "cpr"


# The CLI's own entry point, with cheap keystores (scrypt n = 16; easy to brute-force: a throw-away
# devnet only), passed the way tests pass them (`ledger.cli._common.WorkFactors`).
_CHEAP_KEYSTORES = (
    "import sys; from ledger.cli._common import WorkFactors; from {module} import cli; "
    "cli.main(sys.argv[1:], prog_name='{program}', obj=WorkFactors(keystore=2**4))"
)


def _limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:  # in the child, before exec: writes past `limit` fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def start(
    homes: Homes, program: str, *args: str, fsize: int | None = None
) -> subprocess.Popen[str]:
    """Start `ledger ARGS` or `wallet ARGS` as its own process (a file size limit if given)."""
    module = {"ledger": "ledger.cli.ledger_cli", "wallet": "ledger.cli.wallet_cli"}[program]
    return subprocess.Popen(
        [sys.executable, "-c", _CHEAP_KEYSTORES.format(module=module, program=program), *args],
        env=homes.env(),
        cwd=homes.work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=None if fsize is None else _limit_file_size(fsize),
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait (bounded) for a process started by `start`: (exit code, stdout, stderr)."""
    try:
        out, err = proc.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return -1, out, err + f"\n(killed after {COMMAND_TIMEOUT:g} s)"
    return proc.returncode, out, err


def run(homes: Homes, program: str, *args: str, fsize: int | None = None) -> tuple[int, str, str]:
    return finish(start(homes, program, *args, fsize=fsize))


def must(homes: Homes, program: str, *args: str) -> str:
    """Run a command that is not under test in this process (no interpreter start-up); its
    stdout. It must succeed."""
    from click.testing import CliRunner

    from ledger.cli import ledger_cli, wallet_cli

    cli = {"ledger": ledger_cli.cli, "wallet": wallet_cli.cli}[program]
    result = CliRunner().invoke(cli, list(args), env=homes.env())
    if result.exit_code != 0:
        why = result.output or repr(result.exception)
        raise RuntimeError(f"`{program} {' '.join(args)}` failed: {why}")
    return result.stdout


def one_line_error(
    homes: Homes, outcome: Outcome, what: str, result: tuple[int, str, str]
) -> None:
    """A faulted command must fail (or succeed) cleanly: exit 1 with one `Error: ` line. Its
    whole stderr goes to `faulted-commands.log` in the work folder (see --keep)."""
    code, _, err = result
    text = err.strip()
    with (homes.work / "faulted-commands.log").open("a", encoding="utf-8") as fh:
        fh.write(f"== {outcome.name}: {what} (exit {code})\n{err}\n")
    if code == 0:
        outcome.errors.append(f"({what} succeeded)")
        return
    outcome.errors.append(text.splitlines()[-1] if text else f"(exit {code}, no message)")
    if "Traceback" in err:
        outcome.problems.append(f"{what} crashed with a traceback: {text.splitlines()[-1]}")
    elif code != 1 or not text.startswith("Error: ") or len(text.splitlines()) != 1:
        outcome.problems.append(
            f"{what} did not fail with one `Error:` line (exit {code}): {text[:300]!r}"
        )


# -- the network ---------------------------------------------------------------------------------


def setup(work: Path, rpc_url: str) -> Homes:
    """Deploy, and set up the issuing agency `cpr` through the `ledger` CLI (in process)."""
    homes = Homes(work / "ledger-home", work / "wallet-home", rpc_url, work)
    for args in (
        ["deploy", "--council", "alice", "--threshold", "1"],
        ["account", "create", "cpr", "--fund"],
        ["--as", "alice", "type", "register", VCT, "--claims", ",".join(CLAIMS)],
        ["--as", "alice", "agency", "admit", "cpr", "--name", "CPR Office"],
        ["--as", "alice", "agency", "accredit", "cpr", "--type", VCT],
        ["--as", "cpr", "keys", "create"],
        ["--as", "cpr", "keys", "register"],
    ):
        must(homes, "ledger", *args)
    (work / "claims.json").write_text(json.dumps(CLAIMS))
    return homes


def holder_jwk(homes: Homes, name: str) -> Path:
    """A holder JWK file: the wallet's if `name` is "wallet" (made if needed), else a fresh one."""
    path = homes.work / f"holder-{name}.jwk.json"
    if not path.exists():
        if name == "wallet":
            if not (homes.wallet / "wallet.sqlite").exists():
                must(homes, "wallet", "init")
            must(homes, "wallet", "holder-key", "--out", str(path))
        else:
            from ledger.sdjwt.jwk import SigningKey

            path.write_text(json.dumps(SigningKey.generate().public_jwk))
    return path


def requests_file(homes: Homes, name: str, ids: Sequence[str]) -> Path:
    jwk = json.loads(holder_jwk(homes, "batch").read_text())
    path = homes.work / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"claims": CLAIMS, "holder_jwk": jwk, "id": i}) + "\n"
                            for i in ids))
    return path


# -- what the outbox and the chain hold ------------------------------------------------------


def outbox_rows(homes: Homes) -> dict[str, str]:
    """Credential id -> state, read straight from the outbox file."""
    conn = sqlite3.connect(f"file:{homes.state / 'issuer.sqlite'}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT id, state FROM credentials"))
    finally:
        conn.close()


def anchored_batches(homes: Homes) -> int:
    conn = sqlite3.connect(f"file:{homes.state / 'issuer.sqlite'}?mode=ro", uri=True)
    try:
        (n,) = conn.execute("SELECT COUNT(*) FROM batches WHERE state = 'anchored'").fetchone()
        return int(n)
    finally:
        conn.close()


def anchor_transactions(homes: Homes, since_block: int) -> tuple[int, int]:
    """(successful, reverted) transactions sent to the AnchorRegistry after `since_block`."""
    from ledger.chain.deploy import Deployment
    from ledger.chain.rpc import Rpc

    registry = Deployment.load(homes.ledger / "deployment.json").address("AnchorRegistry").lower()
    ok = reverted = 0
    with Rpc(homes.rpc_url) as rpc:
        head = int(rpc.call("eth_blockNumber", []), 16)
        for number in range(since_block + 1, head + 1):
            block = rpc.call("eth_getBlockByNumber", [hex(number), True])
            for tx in block["transactions"]:
                if (tx.get("to") or "").lower() != registry:
                    continue
                receipt = rpc.call("eth_getTransactionReceipt", [tx["hash"]])
                if int(receipt["status"], 16) == 1:
                    ok += 1
                else:
                    reverted += 1
    return ok, reverted


def block_number(homes: Homes) -> int:
    from ledger.chain.rpc import Rpc

    with Rpc(homes.rpc_url) as rpc:
        return int(rpc.call("eth_blockNumber", []), 16)


def check_anchoring(outcome: Outcome, homes: Homes, committed: Sequence[str], since: int) -> None:
    """After a final `anchor`: every committed credential anchored, none twice."""
    rows = outbox_rows(homes)
    outcome.done = len(committed)
    outcome.survived = sum(1 for cid in committed if rows.get(cid) == "anchored")
    outcome.lost = [cid for cid in committed if rows.get(cid) != "anchored"]
    ok, reverted = anchor_transactions(homes, since)
    outcome.anchored_twice = max(0, ok - anchored_batches(homes))
    outcome.reverted_anchors = reverted


def queue(homes: Homes, ids: Sequence[str]) -> None:
    """`ledger issue --batch` each of `ids` (committed to the outbox, not anchored yet)."""
    jwk = holder_jwk(homes, "batch")
    for cid in ids:
        must(homes, "ledger", "--as", "cpr", "issue", "--batch", "--type", VCT,
             "--claims", str(homes.work / "claims.json"), "--holder-jwk", str(jwk),
             "--out", str(homes.work / f"{cid}.json"))


def _outbox_size(homes: Homes) -> int:
    return max(
        (homes.state / name).stat().st_size
        for name in ("issuer.sqlite", "issuer.sqlite-wal")
        if (homes.state / name).exists()
    )


# -- scenarios ---------------------------------------------------------------------------------


def outbox_disk_full(homes: Homes, *, tmpfs: bool = False) -> Outcome:
    """Queue 3, then `issue-many` 12 with no room left; `anchor` with room again."""
    name = "outbox-tmpfs-full" if tmpfs else "outbox-disk-full"
    outcome = Outcome(name)
    since = block_number(homes)
    before = set(outbox_rows(homes)) if (homes.state / "issuer.sqlite").exists() else set()
    queue(homes, [f"{name}-queued-{i}" for i in range(3)])
    queued = set(outbox_rows(homes)) - before
    many = [f"{name}-{i}" for i in range(12)]
    source = requests_file(homes, name, many)
    out = homes.work / f"{name}.out.jsonl"
    if tmpfs:
        result = _on_full_tmpfs(homes, lambda: run(
            homes, "ledger", "--as", "cpr", "issue-many", "--type", VCT, "--input", str(source),
            "--out", str(out), "--max-batch", "4"))
    else:
        result = run(homes, "ledger", "--as", "cpr", "issue-many", "--type", VCT,
                     "--input", str(source), "--out", str(out), "--max-batch", "4",
                     fsize=_outbox_size(homes) + 8192)
    one_line_error(homes, outcome, "issue-many with the disk full", result)
    code, _, err = run(homes, "ledger", "--as", "cpr", "anchor")
    if code != 0:
        outcome.problems.append(f"anchor with room again failed: {err.strip()}")
    committed = sorted(queued | (set(outbox_rows(homes)) - before - queued))
    check_anchoring(outcome, homes, committed, since)
    return outcome


def anchor_disk_full(homes: Homes) -> Outcome:
    """Queue 6; `anchor` under a file size limit raised by 4 KiB after each failure (so the
    runs fail at sealing, at the write-ahead record, at marking anchored ...), then with room."""
    outcome = Outcome("anchor-disk-full")
    since = block_number(homes)
    before = set(outbox_rows(homes)) if (homes.state / "issuer.sqlite").exists() else set()
    queue(homes, [f"anchor-full-{i}" for i in range(6)])
    committed = sorted(set(outbox_rows(homes)) - before)
    for step in range(16):
        result = run(homes, "ledger", "--as", "cpr", "anchor", "--max-batch", "2",
                     fsize=_outbox_size(homes) + step * 4096)
        one_line_error(homes, outcome, f"anchor with {step * 4} KiB of room", result)
        if result[0] == 0:
            outcome.errors[-1] = f"(succeeded with {step * 4} KiB of room)"
            break
    code, _, err = run(homes, "ledger", "--as", "cpr", "anchor")
    if code != 0:
        outcome.problems.append(f"anchor with room again failed: {err.strip()}")
    check_anchoring(outcome, homes, committed, since)
    return outcome


def _on_full_tmpfs(
    homes: Homes, action: Callable[[], tuple[int, str, str]]
) -> tuple[int, str, str]:
    """Run `action` with the agency's state folder on a tmpfs holding its files and little more;
    the files are copied back afterwards (the tmpfs is gone, the state stays)."""
    state = homes.state
    aside = state.with_name("cpr.aside")
    shutil.copytree(state, aside)
    used = sum(p.stat().st_size for p in aside.rglob("*") if p.is_file())
    size = (used // 4096 + 1) * 4096 + 16 * 4096
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(state)],
                   check=True)
    try:
        shutil.copytree(aside, state, dirs_exist_ok=True)
        return action()
    finally:
        shutil.rmtree(aside)
        shutil.copytree(state, aside)
        subprocess.run(["umount", str(state)], check=True)
        shutil.copytree(aside, state, dirs_exist_ok=True)
        shutil.rmtree(aside)


def _credential_for_wallet(homes: Homes, name: str) -> Path:
    """A credential anchored now (single anchor), bound to the wallet's holder key."""
    out = homes.work / f"{name}.json"
    must(homes, "ledger", "--as", "cpr", "issue", "--type", VCT,
         "--claims", str(homes.work / "claims.json"),
         "--holder-jwk", str(holder_jwk(homes, "wallet")), "--out", str(out))
    return out


def wallet_ids(homes: Homes) -> set[str]:
    return {row["id"] for row in json.loads(must(homes, "wallet", "--json", "list"))}


def wallet_disk_full(homes: Homes) -> Outcome:
    """Import 2, import a third with no room, then the rest with room again."""
    outcome = Outcome("wallet-disk-full")
    files = [_credential_for_wallet(homes, f"wallet-full-{i}") for i in range(4)]
    before = wallet_ids(homes)
    for f in files[:2]:
        must(homes, "wallet", "import", str(f))
    imported = wallet_ids(homes) - before
    size = (homes.wallet / "wallet.sqlite").stat().st_size
    result = run(homes, "wallet", "import", str(files[2]), fsize=size)
    one_line_error(homes, outcome, "wallet import with the disk full", result)
    after = wallet_ids(homes)  # opens and checks every record
    if result[0] == 0:
        imported |= after - before
    outcome.done = len(imported)
    outcome.survived = len(imported & after)
    outcome.lost = sorted(imported - after)
    for f in files[2:]:
        code, _, err = run(homes, "wallet", "import", str(f))
        if code != 0 and "already" not in err:
            outcome.problems.append(f"import with room again failed: {err.strip()}")
    if len(wallet_ids(homes) - before) != 4:
        outcome.problems.append("the wallet does not hold the 4 credentials at the end")
    return outcome


def concurrent_issue(homes: Homes) -> Outcome:
    """Two `issue-many` and an `anchor` at once, `issue --batch` beside them; then `anchor`."""
    outcome = Outcome("concurrent-issue-many")
    since = block_number(homes)
    before = set(outbox_rows(homes)) if (homes.state / "issuer.sqlite").exists() else set()
    queue(homes, ["conc-queued-0", "conc-queued-1"])
    a = [f"conc-a-{i}" for i in range(8)]
    b = [f"conc-b-{i}" for i in range(8)]
    procs = [
        start(homes, "ledger", "--as", "cpr", "issue-many", "--type", VCT, "--input",
              str(requests_file(homes, "conc-a", a)), "--out", str(homes.work / "conc-a.out"),
              "--max-batch", "3"),
        start(homes, "ledger", "--as", "cpr", "issue-many", "--type", VCT, "--input",
              str(requests_file(homes, "conc-b", b)), "--out", str(homes.work / "conc-b.out"),
              "--max-batch", "3"),
        start(homes, "ledger", "--as", "cpr", "anchor"),
        start(homes, "ledger", "--as", "cpr", "issue", "--batch", "--type", VCT, "--claims",
              str(homes.work / "claims.json"), "--holder-jwk",
              str(holder_jwk(homes, "batch")), "--out", str(homes.work / "conc-single.json")),
    ]
    for what, proc in zip(("issue-many A", "issue-many B", "anchor", "issue --batch"), procs,
                          strict=True):
        result = finish(proc)
        if result[0] != 0:
            one_line_error(homes, outcome, what, result)
    code, _, err = run(homes, "ledger", "--as", "cpr", "anchor")
    if code != 0:
        outcome.problems.append(f"anchor afterwards failed: {err.strip()}")
    committed = sorted(set(outbox_rows(homes)) - before)  # whatever any of them queued
    check_anchoring(outcome, homes, committed, since)
    # every credential file is handed out: by its own run, or by the final `anchor`
    for out_name in ("conc-queued-0.json", "conc-queued-1.json", "conc-single.json"):
        if not (homes.work / out_name).exists():
            outcome.problems.append(f"{out_name} was never written (its delivery record lost)")
    for label, ids, out in (("A", a, "conc-a.out"), ("B", b, "conc-b.out")):
        path = homes.work / out
        if not path.exists():
            outcome.problems.append(f"issue-many {label}'s --out was never written")
        else:
            written = {json.loads(line)["metadata"]["credential_id"]
                       for line in path.read_text().splitlines()}
            if written != set(ids):
                outcome.problems.append(f"issue-many {label} wrote {len(written)} of {len(ids)}")
    return outcome


def concurrent_wallet_import(homes: Homes) -> Outcome:
    """Two `wallet import` at once on one wallet."""
    outcome = Outcome("concurrent-wallet-import")
    files = [_credential_for_wallet(homes, f"wallet-conc-{i}") for i in range(2)]
    before = wallet_ids(homes)
    procs = [start(homes, "wallet", "import", str(f)) for f in files]
    failed = 0
    for proc in procs:
        result = finish(proc)
        if result[0] != 0:
            failed += 1
            one_line_error(homes, outcome, "concurrent wallet import", result)
    after = wallet_ids(homes)
    outcome.done = len(files) - failed
    outcome.survived = len(after - before)
    if outcome.survived < outcome.done:
        outcome.lost = [f"{outcome.done - outcome.survived} import(s) reported but missing"]
    return outcome


SCENARIOS: dict[str, Callable[[Homes], Outcome]] = {
    "outbox-disk-full": outbox_disk_full,
    "anchor-disk-full": anchor_disk_full,
    "wallet-disk-full": wallet_disk_full,
    "concurrent-issue-many": concurrent_issue,
    "concurrent-wallet-import": concurrent_wallet_import,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--keep", type=Path, help="Work in DIR and keep it (default: a temp dir).")
    parser.add_argument("--no-tmpfs", action="store_true",
                        help="Skip the tmpfs scenario even when running as root.")
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS),
                        help="Run only this scenario (repeatable).")
    args = parser.parse_args(argv)

    from ledger.chain.devnet import Devnet

    work = Path(tempfile.mkdtemp(prefix="fault-scenarios-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    outcomes: list[Outcome] = []
    started = time.monotonic()
    try:
        with Devnet(die_with_parent=True) as net:
            homes = setup(work, net.rpc_url)
            for name, scenario in SCENARIOS.items():
                if args.only and name not in args.only:
                    continue
                outcome = scenario(homes)
                outcomes.append(outcome)
                print("\n".join(outcome.lines()), flush=True)
                if name == "outbox-disk-full" and os.geteuid() == 0 and not args.no_tmpfs:
                    outcome = outbox_disk_full(homes, tmpfs=True)
                    outcomes.append(outcome)
                    print("\n".join(outcome.lines()), flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    failed = [o.name for o in outcomes if not o.ok]
    print(f"{len(outcomes) - len(failed)} of {len(outcomes)} scenarios OK"
          f"{' (failed: ' + ', '.join(failed) + ')' if failed else ''}"
          f" in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
