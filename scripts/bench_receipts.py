#!/usr/bin/env python3
"""Benchmark: access receipts and the citizen's complete log (ledger.exchange), one core.

Each figure is printed beside a same-run reference and their ratio:

- receipts encoded + leaf-hashed per second, against bare SHA-256 of the same bytes; decoded
  from outside (bounded parser, canonical check), against orjson.loads of the same bytes;
- pseudonyms per second for the source (one P-256 ECDH each), against the same with the ECDH
  secret kept per subject (one SHA-256);
- sealing a batch of 10,000 receipts (group per pseudonym, slot values, the sparse Merkle tree),
  against a plain OpenZeppelin-style Merkle tree over the same leaves (ledger.chain.merkle);
- one citizen's slot proof, made and verified, against an OZ Merkle proof of one leaf;
- the on-chain cost per receipt of anchoring a batch root. By default from the figure recorded
  for AnchorRegistry.anchorBatch at 10,000 (scripts/bench_gas.py, docs/performance.md); with
  --measure-gas, measured now on a private anvil by anchoring this run's SMT root through that
  same contract (the receipts anchoring contract does not exist yet: the assumption is that it
  costs about what a batch root costs there).

Run: .venv/bin/python scripts/bench_receipts.py [--count 10000] [--rounds 5] [--measure-gas]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import _common  # noqa: F401 (first: the project venv and import path)
import orjson

from ledger._rand import UnsafeDeterministicRandom
from ledger.chain.merkle import MerkleTree
from ledger.chain.merkle import verify as oz_verify
from ledger.exchange.access_log import build_batch, verify_my_batch
from ledger.exchange.pseudonym import SourceLogKey, pseudonym_from_shared_secret
from ledger.exchange.receipts import AccessReceipt, LegalBasis, Outcome
from ledger.sdjwt.jwk import SigningKey

#: AnchorRegistry.anchorBatch at 10,000 credentials, total transaction gas, as recorded by
#: scripts/bench_gas.py in docs/performance.md ("batch root, 10,000 credentials | 55,388").
RECORDED_BATCH_GAS = 55_388
GAS_TARGET_PER_RECEIPT = 10


def best_of(rounds: int, fn: Callable[[], Any]) -> float:
    """The fastest of `rounds` runs of fn, in seconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def row(label: str, ours: float, ref: float, unit: str, ref_label: str) -> None:
    """Ours and the reference as rates (higher is better) and their ratio."""
    print(f"  {label:<40} {ours:>12,.0f} {unit}   {ref_label:<34} {ref:>12,.0f} {unit}"
          f"   ratio {ours / ref:6.3f}")


def row_time(label: str, ours: float, ref: float, unit: str, ref_label: str) -> None:
    """Ours and the reference as times (lower is better) and the ratio ours / reference."""
    print(f"  {label:<40} {ours:>12,.1f} {unit}   {ref_label:<34} {ref:>12,.1f} {unit}"
          f"   ratio {ours / ref:6.2f}x")


def make_receipts(count: int) -> list[AccessReceipt]:
    rng = UnsafeDeterministicRandom(2026)
    out = []
    for i in range(count):
        refused = i % 10 == 0
        out.append(AccessReceipt.new(
            source="0x" + "11" * 20,
            requester="0x" + f"{i % 50:02x}" * 20,
            vct="https://credentials.example.dk/person/v1",
            claims=["age_over_18", "address.municipality"],
            purpose="Boligstøtte: alder og bopælskommune",
            legal_basis=LegalBasis.PUBLIC_TASK,
            case_ref=f"KK-2026-{i:06d}",
            outcome=Outcome.NO_CONSENT if refused else Outcome.ANSWERED,
            answer=None if refused else f"eyJhbGciOiJFUzI1NiJ9.{i}.sig~",
            now=1_780_000_000 + i,
            rng=rng,
        ))
    return out


def measure_gas(root: bytes, count: int) -> int:
    """Anchor `root` through AnchorRegistry.anchorBatch on a private anvil (the tests' world,
    `tests/world.py`: its accredited issuer anchors); its gasUsed."""
    from world import build_world

    from ledger.chain.devnet import Devnet
    from ledger.chain.rpc import Rpc

    with Devnet() as net, Rpc(net.rpc_url) as rpc:
        world = build_world(rpc)
        return int(world.issuer_chain().anchor_batch(root, world.type_id, count).gas_used)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="receipts per batch")
    parser.add_argument("--rounds", type=int, default=5, help="runs per figure (best kept)")
    parser.add_argument("--measure-gas", action="store_true",
                        help="anchor the root on a private anvil instead of the recorded figure")
    args = parser.parse_args()
    n, rounds = args.count, args.rounds
    print(f"Python {sys.version.split()[0]}, {n:,} receipts, best of {rounds} runs, one core\n")

    receipts = make_receipts(n)
    encoded = [r.encode() for r in receipts]
    sha = hashlib.sha256

    print("Receipts")
    t_leaf = best_of(rounds, lambda: [r.leaf for r in receipts])
    t_sha = best_of(rounds, lambda: [sha(e).digest() for e in encoded])
    row("encode + leaf hash", n / t_leaf, n / t_sha, "/s", "ref: sha256 of the same bytes")
    t_dec = best_of(rounds, lambda: [AccessReceipt.decode(e) for e in encoded])
    t_json = best_of(rounds, lambda: [orjson.loads(e) for e in encoded])
    row("decode from outside (checked)", n / t_dec, n / t_json, "/s", "ref: orjson.loads")
    sizes = [len(e) for e in encoded]
    print(f"  encoded size: median {statistics.median(sizes):.0f} bytes, max {max(sizes)}")

    print("\nPseudonyms (source side)")
    log_key = SourceLogKey.generate(rng=UnsafeDeterministicRandom(1))
    subjects = max(1, n // 4)  # ~4 receipts per subject per batch would be busy; 1 is typical
    holders = [SigningKey.generate(rng=UnsafeDeterministicRandom(100 + i)).public_key
               for i in range(min(subjects, 2_000))]
    t_ecdh = best_of(rounds, lambda: [log_key.pseudonym(h, 7) for h in holders])
    secrets_ = [log_key.shared_secret(h) for h in holders]
    t_cached = best_of(rounds, lambda: [pseudonym_from_shared_secret(z, 7) for z in secrets_])
    row("pseudonym, ECDH each time", len(holders) / t_ecdh, len(holders) / t_cached, "/s",
        "ref: ECDH secret kept per subject")

    print(f"\nSealing a batch of {n:,} receipts")
    rng = UnsafeDeterministicRandom(3)
    pseudonyms = [rng.token_bytes(32) for _ in range(n)]  # one receipt per subject: worst case
    leaves = [r.leaf for r in receipts]
    pairs = list(zip(pseudonyms, leaves, strict=True))
    t_batch = best_of(rounds, lambda: build_batch(7, pairs))
    t_oz = best_of(rounds, lambda: MerkleTree.from_leaves(leaves))
    row_time("build_batch (slots + sparse Merkle tree)", t_batch * 1e3, t_oz * 1e3, "ms",
             "ref: OZ Merkle tree (keccak)")
    print(f"  = {n / t_batch:,.0f} receipts/s sealed")

    print("\nOne citizen's slot (proof made by the source, verified by the wallet)")
    batch = build_batch(7, pairs)
    tree = MerkleTree.from_leaves(leaves)
    k = min(1_000, n)
    t_proof = best_of(rounds, lambda: [batch.proof_for(p) for p in pseudonyms[:k]])
    t_ozp = best_of(rounds, lambda: [tree.proof(i) for i in range(k)])
    row_time("proof_for (SMT)", t_proof / k * 1e6, t_ozp / k * 1e6, "us",
             "ref: OZ proof of one leaf")
    proofs = [batch.proof_for(p) for p in pseudonyms[:k]]
    oz_proofs = [tree.proof(i) for i in range(k)]

    def verify_all() -> None:
        for p, r, proof in zip(pseudonyms[:k], receipts[:k], proofs, strict=True):
            verify_my_batch(batch.root, 7, p, [r], proof)

    t_ver = best_of(rounds, verify_all)
    t_ozv = best_of(rounds, lambda: [oz_verify(tree.root, pr, leaves[i])
                                     for i, pr in enumerate(oz_proofs)])
    row_time("verify_my_batch (1 receipt, leaf incl.)", t_ver / k * 1e6, t_ozv / k * 1e6, "us",
             "ref: OZ verify of one leaf")
    sib = statistics.mean(len(p.smt.siblings) for p in proofs)
    print(f"  proof size: depth ~{statistics.mean(p.smt.depth for p in proofs):.1f}, "
          f"{sib:.1f} sibling hashes + 32-byte bitmap; OZ: {len(oz_proofs[0])} hashes")

    print("\nOn-chain cost of anchoring the batch root")
    if args.measure_gas:
        gas = measure_gas(batch.root, n)
        source = "MEASURED now: AnchorRegistry.anchorBatch of this run's SMT root, private anvil"
    else:
        gas = RECORDED_BATCH_GAS
        source = ("RECORDED, not measured now: AnchorRegistry.anchorBatch at 10,000 "
                  "(scripts/bench_gas.py, docs/performance.md); --measure-gas to measure")
    per = gas / n
    verdict = "ok" if per <= GAS_TARGET_PER_RECEIPT else "OVER TARGET"
    print(f"  gas per batch root: {gas:,} ({source})")
    print("  ESTIMATE for the receipts anchoring contract (not written yet), assumed to cost"
          " what a batch root costs in AnchorRegistry:")
    print(f"  {gas:,} gas / {n:,} receipts = {per:.2f} gas per receipt"
          f"   target <= {GAS_TARGET_PER_RECEIPT}   {verdict}")
    print(f"  reference: one anchor per answer ~55,000 gas -> ratio {per / 55_000:.6f}")


if __name__ == "__main__":
    main()
