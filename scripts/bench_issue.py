#!/usr/bin/env python3
"""Credentials issued and anchored per second, end to end, with batching; gas per credential.

On an ephemeral devnet: deploy the suite, set up an accredited issuer with a registered key and
a type of 10 claims, then `Issuer.issue_many` N credentials (SD-JWT VC with 10 selectively
disclosable claims + random status index + durable outbox + Merkle batch anchor, every package
returned only after its root is mined). Reported: credentials/s, the split (signing, outbox,
anchoring), gas per credential.

References measured in the same run:
  (a) SAMPLE credentials issued one by one with an immediate single anchor each
      (`issue(anchor="now")`: sign, write-ahead to the outbox, send, wait mined) — rate and
      gas, extrapolated to N;
  (b) the same N digests anchored as N single anchors, pipelined (`send_many`) — the best
      a one-anchor-per-credential design can do on this node — time and gas.

Usage: scripts/bench_issue.py [--count N] [--sample N] [--processes P] [--skip-full-reference]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401 (first: the project venv and import path)
from world import CLAIMS as WORLD_CLAIMS
from world import VCT, build_world

from ledger.agency.issuer import Issuer, IssueRequest
from ledger.agency.packages import CredentialPackage
from ledger.chain.client import LedgerChain
from ledger.chain.devnet import Devnet
from ledger.chain.rpc import Rpc
from ledger.sdjwt import SigningKey

CLAIMS = (*WORLD_CLAIMS, "email", "phone")  # the tests' person type, and two more


def person(i: int) -> dict[str, object]:
    return {
        "given_name": f"Karen {i}",
        "family_name": "Jensen",
        "birthdate": "1990-01-01",
        "cpr_number": f"{i % 310000:06d}-{i % 10000:04d}",
        "address": f"Nørregade {i % 200}, 1165 København K",
        "nationality": "DK",
        "age_over_18": True,
        "municipality": "København",
        "email": f"karen{i}@example.dk",
        "phone": f"+45 {20000000 + i}",
    }


def setup(rpc: Rpc) -> tuple[LedgerChain, SigningKey]:
    """The tests' world (`tests/world.py`) with this benchmark's type of 10 claims: an issuer
    admitted and accredited, its signing key registered."""
    world = build_world(rpc, claims=CLAIMS, council_size=2)
    return world.issuer_chain(), world.signing_key


def gas_of(rpc: Rpc, tx_hashes: set[str]) -> int:
    hashes = sorted(tx_hashes)
    receipts = []
    for i in range(0, len(hashes), 200):
        receipts += rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes[i : i + 200]])
    return sum(int(r["gasUsed"], 16) for r in receipts)


def digest(pkg: CredentialPackage) -> bytes:
    return hashlib.sha256(pkg.sd_jwt.split("~", 1)[0].encode("ascii")).digest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--processes", type=int, default=1, help="signing processes")
    parser.add_argument("--skip-full-reference", action="store_true")
    args = parser.parse_args()
    n = args.count

    with Devnet() as net, Rpc(net.rpc_url) as rpc, tempfile.TemporaryDirectory() as tmp:
        chain, key = setup(rpc)
        holders = [SigningKey.generate().public_jwk for _ in range(64)]
        requests = [IssueRequest(person(i), holders[i % 64]) for i in range(n)]
        with Issuer.open(chain, key, Path(tmp) / "a", signing_processes=args.processes) as issuer:
            # Warm-up (creates the status list on chain, loads caches, starts any pool).
            issuer.issue_many(requests[:1000], vct=VCT)

            t0 = time.perf_counter()
            packages = issuer.issue_many(requests, vct=VCT)
            elapsed = time.perf_counter() - t0
            timings = issuer.last_timings
            assert timings is not None and len(packages) == n
            batch_txs = {str(p.metadata["tx_hash"]) for p in packages}
            batch_gas = gas_of(rpc, batch_txs)
            reader = LedgerChain(rpc, chain.deployment)
            probe = packages[n // 2]
            assert probe.anchor.root is not None
            assert reader.verify_inclusion(
                chain.address, probe.anchor.root, probe.anchor.proof, digest(probe)
            )

            print(
                f"batched issuance of {n:,} credentials ({len(CLAIMS)} claims each), "
                f"{args.processes} signing process(es):"
            )
            print(
                f"  end to end (issued, anchored, mined, packaged): {elapsed:.2f} s "
                f"= {n / elapsed:,.0f} credentials/s"
            )
            print(
                f"  split: signing {timings.signing:.2f} s ({n / timings.signing:,.0f}/s), "
                f"outbox {timings.queueing:.2f} s, anchoring {timings.anchoring:.2f} s "
                f"(seal + write-ahead + send + mined + proofs)"
            )
            print(
                f"  anchor transactions: {len(batch_txs)}, gas {batch_gas:,} "
                f"= {batch_gas / n:.1f} gas per credential"
            )

            # (a) one by one, immediate single anchors.
            t0 = time.perf_counter()
            singles = [
                issuer.issue(r.claims, vct=VCT, holder_jwk=r.holder_jwk, anchor="now")
                for r in requests[: args.sample]
            ]
            single_elapsed = time.perf_counter() - t0
            single_txs = {
                str(p.metadata["tx_hash"]) for p in singles if isinstance(p, CredentialPackage)
            }
            single_gas = gas_of(rpc, single_txs) / args.sample
            rate = args.sample / single_elapsed
            print(
                f"reference (a): {args.sample} issued one by one with a single anchor each "
                f"(send + wait mined): {rate:,.0f} credentials/s, {single_gas:,.0f} gas each; "
                f"extrapolated to {n:,}: {n / rate:.1f} s"
            )
            print(
                f"  ratio: batched is {(n / elapsed) / rate:.1f}x faster, "
                f"{single_gas / (batch_gas / n):,.0f}x less gas per credential"
            )

        if not args.skip_full_reference:
            # (b) the same N digests as N single anchors, pipelined.
            type_id = chain.type_id_of(VCT)
            txs = [chain.anchor_tx(digest(p), type_id, gas=80_000) for p in packages]
            t0 = time.perf_counter()
            receipts = []
            # Chunks of 500: anvil's automine stalls under bursts of thousands of pending txs.
            for i in range(0, len(txs), 500):
                receipts += chain.send_many(txs[i : i + 500])
            ref_elapsed = time.perf_counter() - t0
            ref_gas = sum(r.gas_used for r in receipts)
            print(
                f"reference (b): the same {n:,} digests as {n:,} single anchors, pipelined "
                f"in chunks of 500 (anchoring only, no signing): {ref_elapsed:.2f} s "
                f"= {n / ref_elapsed:,.0f}/s, "
                f"{ref_gas / n:,.0f} gas per credential"
            )
            print(
                f"  ratio: batched end to end is {ref_elapsed / elapsed:.1f}x faster than "
                f"(b)'s anchoring alone, {ref_gas / batch_gas:,.0f}x less gas"
            )


if __name__ == "__main__":
    main()
