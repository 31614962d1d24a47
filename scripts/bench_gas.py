"""Print gasUsed of anchoring and status updates, against an EAS-style full-record reference.

Runs on its own ephemeral anvil: deploys the suite, sets up one accredited issuer, then measures.
Targets (issue #2): single anchor <= 55,000; <= 100 gas/credential in a batch of 1,024 and <= 10
at 10,000; status update <= 55,000 alone; a batch of 100 random updates <= 25,000 per credential.
Council votes are measured on councils of their own (3 members, threshold 2; 5, threshold 3).
Access-receipt batches (issue 17): <= 10 gas per receipt at 10,000 receipts per batch.
"""

from __future__ import annotations

import random
import secrets
from typing import Any

import _common  # noqa: F401 (first: the project venv and import path)
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.chain.abi import ContractAbi, load_artifact
from ledger.chain.client import CheckRequest, LedgerChain
from ledger.chain.council import council_execute
from ledger.chain.deploy import deploy_suite
from ledger.chain.devnet import Devnet
from ledger.chain.merkle import MerkleTree
from ledger.chain.rpc import Rpc
from ledger.chain.sender import TxSender
from ledger.exchange.access_log import build_batch
from ledger.sdjwt.jwk import SigningKey

CAPACITY = 1 << 20  # a list of ~1M entries: random indexes almost never share a word


def funded(rpc: Rpc) -> LocalAccount:
    account: LocalAccount = Account.from_key(secrets.token_bytes(32))
    rpc.call("anvil_setBalance", [account.address, hex(10**21)])
    return account


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def row(label: str, gas: int, per: float | None = None, target: str = "", ok: bool = True) -> None:
    per_text = f"{per:>10,.1f} /credential" if per is not None else " " * 22
    print(f"  {label:<44} {gas:>10,} gas {per_text}  {target:<18} {verdict(ok) if target else ''}")


def main() -> None:
    rng = random.Random(2026)
    with Devnet() as net, Rpc(net.rpc_url) as rpc:
        members = [funded(rpc) for _ in range(2)]
        deployment = deploy_suite(
            rpc, funded(rpc), council_members=[m.address for m in members], threshold=1
        )
        council = [LedgerChain(rpc, deployment, m) for m in members]
        actions = council[0].actions
        issuer_account = funded(rpc)
        issuer = LedgerChain(rpc, deployment, issuer_account)
        for action in (
            actions.register_type("https://credentials.example.dk/person/v1", ["a", "b", "c"]),
            actions.admit_agency(issuer.address, "CPR Office"),
            actions.accredit(issuer.address, 1, authority=True),
        ):
            council_execute(council, action)
        key = SigningKey.generate()
        kid = key.thumbprint
        registered = issuer.register_key(key).gas_used
        issuer.create_status_list(1, CAPACITY)

        print(f"solc {load_artifact('AnchorRegistry').compiler_version}, evm cancun, optimizer on")
        print("\nAnchoring (total transaction gas, 21,000 base included)")
        single = issuer.anchor(secrets.token_bytes(32), 1).gas_used
        row("single anchor", single, single, "<= 55,000", single <= 55_000)
        child_account = funded(rpc)
        council_execute(council, actions.admit_agency(child_account.address, "Sub-issuer"))
        issuer.sub_accredit(child_account.address, 1)
        child = LedgerChain(rpc, deployment, child_account)
        delegated = child.anchor(secrets.token_bytes(32), 1).gas_used
        row("single anchor, sub-accredited (parent re-read)", delegated, delegated)
        batch_gas: dict[int, int] = {}
        for size in (1, 64, 1_024, 10_000):
            digests = [secrets.token_bytes(32) for _ in range(size)]
            tree = MerkleTree.from_digests(digests)
            gas = issuer.anchor_batch(tree.root, 1, size).gas_used
            batch_gas[size] = gas
            target = {1_024: 100, 10_000: 10}.get(size)
            per = gas / size
            row(
                f"batch root, {size:,} credentials",
                gas,
                per,
                f"<= {target} /cred" if target else "",
                target is None or per <= target,
            )

        eas_abi = ContractAbi(load_artifact("EASStyleReference").abi)
        sender = TxSender(rpc, issuer_account)
        eas = sender.transact(None, load_artifact("EASStyleReference").bytecode).contract_address
        assert eas is not None
        schema = secrets.token_bytes(32)
        eas_gas = [
            sender.transact(
                eas,
                eas_abi.encode_call(
                    "attest", [schema, funded(rpc).address, 0, True, secrets.token_bytes(32)]
                ),
            ).gas_used
            for _ in range(3)
        ]
        reference = max(eas_gas)
        issuer.sender.resync_nonce()
        print("\nReference: EAS-style attestation (full Attestation record + event per credential)")
        row("EAS-style attest, 1 credential", reference, reference)
        print(f"  ratio single anchor / EAS-style          {single / reference:.3f}")
        for size in (1_024, 10_000):
            ratio = batch_gas[size] / size / reference
            print(f"  ratio batch {size:>6,} per credential / EAS   {ratio:.6f}")

        print("\nAccess-receipt batches (ReceiptRegistry: a batch's SMT root + count per source)")
        for batch_no in (1, 2):
            entries = [(secrets.token_bytes(32), secrets.token_bytes(32)) for _ in range(10_000)]
            batch = build_batch(batch_no, entries)
            gas = issuer.receipts.anchor(batch_no, batch.root, batch.count).gas_used
            per = gas / batch.count
            which = "first" if batch_no == 1 else "next"
            row(f"receipt batch of 10,000 ({which} of a source)", gas, per, "<= 10 /receipt",
                per <= 10)
            print(f"  ratio receipt batch {batch_no} per receipt / EAS    {per / reference:.6f}")
        published = issuer.directory.publish(1, "https://cpr.example.dk/exchange").gas_used
        row("publish a data service URL (once per type)", published)

        print("\nStatus updates (2 bits per entry, 128 entries per word)")
        fresh_index, used_index = 5, 6  # same word: the second write finds it non-zero
        fresh = issuer.set_status(1, fresh_index, 1).gas_used
        used = issuer.set_status(1, used_index, 1).gas_used
        row("single update, fresh word", fresh, None, "<= 55,000", fresh <= 55_000)
        row("single update, word already non-zero", used, None, "<= 55,000", used <= 55_000)
        # Back to valid: the one write that also asks the TrustRegistry if the agency is Active.
        issuer.set_status(1, 7, 2)
        lifted = issuer.set_status(1, 7, 0).gas_used
        row("single reinstate (suspended -> valid)", lifted, None, "<= 55,000", lifted <= 55_000)
        indexes = rng.sample(range(128, CAPACITY), 100)
        # Suspend, then revoke: revocation is final, so this is the order a real list sees.
        batch_fresh = issuer.set_statuses(1, indexes, 2).gas_used
        batch_used = issuer.set_statuses(1, indexes, 1).gas_used
        row(
            "batch of 100 random, fresh words",
            batch_fresh,
            batch_fresh / 100,
            "<= 25,000 /cred",
            batch_fresh / 100 <= 25_000,
        )
        row(
            "batch of 100 random, words non-zero",
            batch_used,
            batch_used / 100,
            "<= 25,000 /cred",
            batch_used / 100 <= 25_000,
        )

        print("\nLedgerLens")
        calls: list[Any] = []
        original = rpc.raw_request

        def counting(body: bytes) -> Any:
            calls.append(body)
            return original(body)

        rpc.raw_request = counting  # type: ignore[method-assign]
        digest = secrets.token_bytes(32)
        issuer.anchor(digest, 1)
        calls.clear()
        check = issuer.check_credential(CheckRequest(digest, kid, 1, fresh_index))
        one_call = len(calls) == 1 and b'"eth_call"' in calls[0]
        rpc.raw_request = original  # type: ignore[method-assign]
        print(f"  checkCredential answered in exactly one eth_call: {'yes' if one_call else 'NO'}")
        print(
            f"  anchored={check.anchored} accredited_at_anchor={check.issuer_accredited_at_anchor}"
            f" key_valid_at_anchor={check.key_valid_at_anchor} status={check.status}"
        )
        lens_call = ContractAbi(load_artifact("LedgerLens").abi).encode_call(
            "checkCredential",
            [digest, bytes(32), [], kid, 1, fresh_index, "0x" + "00" * 20, bytes(32), 0],
        )
        lens_gas = issuer.sender.estimate_gas(deployment.address("LedgerLens"), lens_call)
        row("checkCredential (eth_estimateGas of the view)", lens_gas)
        trust_abi = ContractAbi(load_artifact("TrustRegistry").abi)
        trust = deployment.address("TrustRegistry")
        at = check.anchored_at
        for label, fn, args in (
            ("isAccreditedAt (eth_estimateGas)", "isAccreditedAt", [issuer.address, 1, at]),
            ("isAgencyActiveAt (eth_estimateGas)", "isAgencyActiveAt", [issuer.address, at]),
        ):
            row(label, issuer.sender.estimate_gas(trust, trust_abi.encode_call(fn, args)))

        print("\nKeys (once per signing key)")
        row("register key (thumbprint + P256VERIFY proof)", registered)
        rotated = issuer.rotate_key(kid, SigningKey.generate()).gas_used
        row("rotate key (new key's proof included)", rotated)

        print("\nGovernance (cold paths: a 1-of-2 council's proposal executes at once)")
        governed = funded(rpc).address
        for label, action in (
            ("admit agency", actions.admit_agency(governed, "Agency")),
            ("accredit agency", actions.accredit(governed, 1)),
            ("suspend agency", actions.suspend_agency(governed)),
            ("reinstate agency", actions.reinstate_agency(governed)),
            ("withdraw accreditation", actions.withdraw_accreditation(governed, 1)),
            ("re-accredit agency", actions.accredit(governed, 1)),
        ):
            row(f"{label} (propose, executed)", council[0].propose(action).receipt.gas_used)

        print("\nCouncil (the action: admit an agency)")
        for size, threshold in ((3, 2), (5, 3)):
            bench_council(rpc, size, threshold)


def bench_council(rpc: Rpc, size: int, threshold: int) -> None:
    """Gas of propose, the votes before the threshold and the vote that executes."""
    accounts = [funded(rpc) for _ in range(size)]
    deployment = deploy_suite(
        rpc, funded(rpc), council_members=[a.address for a in accounts], threshold=threshold
    )
    council = [LedgerChain(rpc, deployment, a) for a in accounts]
    label = f"{threshold} of {size}"
    outcome = council[0].propose(council[0].actions.admit_agency(funded(rpc).address, "Agency"))
    row(f"{label}: propose (the proposer's vote)", outcome.receipt.gas_used)
    for n, member in enumerate(council[1:threshold], start=2):
        outcome = member.vote(outcome.proposal_id)
        kind = "executing vote" if outcome.executed else "vote"
        row(f"{label}: {kind} ({n} of {threshold})", outcome.receipt.gas_used)
    # A call that fails when the threshold is reached (suspending an agency not admitted yet):
    # the vote stays recorded; once the agency is admitted, any member executes the proposal.
    agency = funded(rpc).address
    pending = council[0].propose(council[0].actions.suspend_agency(agency))
    for member in council[1:threshold]:
        outcome = member.vote(pending.proposal_id)
    assert outcome.execution_error is not None
    row(f"{label}: vote at threshold, call fails", outcome.receipt.gas_used)
    council_execute(council, council[0].actions.admit_agency(agency, "Agency"))
    executed = council[-1].execute(pending.proposal_id)
    row(f"{label}: execute once the cause is fixed", executed.receipt.gas_used)


if __name__ == "__main__":
    main()
