#!/usr/bin/env python3
"""Benchmark: full presentation verification (SD-JWT + KB-JWT + the chain read), ours vs naive.

On an ephemeral anvil with the suite deployed, an accredited issuer and a registered verifier:

* ours  — `ledger.agency.verifier.Verifier`: request check, SD-JWT layer with key binding,
  claims-vs-request match, ONE LedgerLens eth_call with prebuilt calldata, nonce consumption;
  `verify` one at a time, `verify_batch` single-process and with a 2-process pool.
* naive — the reference `sd-jwt` 0.10.4 verifier (`SDJWTVerifier`, issuer JWK at hand) plus a
  plain web3 `contract.functions.checkCredential(...).call()`, one at a time and on 2 processes.
  It does less than ours (no request, claim-match or nonce bookkeeping).

* herd  — ours with `status_privacy="herd"` (the node learns the status list, not the entry):
  the status list (the issuer default, 131,072 entries = 1,024 words) read whole at the lens
  answer's block and cached for that block; "cold" clears that cache before every presentation,
  as if every verification met a new block (the worst case).

Prints latency p50/p99 and throughput, and the ratios. Usage: scripts/bench_verify.py [--n 2000]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import _common  # noqa: F401 (first: the project venv and import path)
from world import PERSON, PURPOSE, VCT, build_world
from world import VERIFIER_CLAIMS as REQUESTED

from ledger.agency.packages import (
    AnchorEvidence,
    PresentationPackage,
    issuer_did,
    parse_status_uri,
    status_uri,
)
from ledger.agency.request import PresentationRequest
from ledger.agency.verifier import VerifiedCredentialPresentation, Verifier
from ledger.chain.client import LedgerChain
from ledger.chain.deploy import contract_abi
from ledger.chain.devnet import Devnet
from ledger.chain.rpc import Rpc
from ledger.sdjwt import IssuedCredential, SigningKey, create_presentation, issue_sd_jwt_vc

# The issuer's default list size (ledger.agency.issuer.DEFAULT_STATUS_LIST_CAPACITY): what herd
# mode reads whole.
LIST_ID, CAPACITY, CREDENTIALS = 1, 1 << 17, 16

Items = list[tuple[PresentationPackage, PresentationRequest]]


class Env:
    """A deployed, populated suite and the credentials to present."""

    def __init__(self, net: Devnet) -> None:
        self.url = net.rpc_url
        self.rpc = Rpc(net.rpc_url)
        world = build_world(self.rpc)  # the tests' world (tests/world.py)
        self.deployment = world.deployment
        self.type_id = world.type_id
        self.purpose_digest = world.purpose_digest
        self.claim_mask = world.verifier_claim_mask
        self.key = world.signing_key
        self.holder = SigningKey.generate()
        issuer = world.issuer.address
        issuer_chain = world.issuer_chain()
        issuer_chain.create_status_list(LIST_ID, CAPACITY)
        registry = self.deployment.address("StatusRegistry")
        chain_id = self.deployment.chain_id
        self.credentials: list[IssuedCredential] = []
        for i in range(CREDENTIALS):
            credential = issue_sd_jwt_vc(
                PERSON,
                signing_key=self.key,
                issuer=issuer_did(chain_id, issuer),
                vct=VCT,
                holder_jwk=self.holder.public_jwk,
                status_idx=i * 97 % CAPACITY,
                status_uri=status_uri(registry, chain_id, issuer, LIST_ID),
            )
            issuer_chain.anchor(credential.digest, self.type_id)
            self.credentials.append(credential)
        self.verifier_account = world.verifier
        assert net.pid is not None
        self.anvil_pid = net.pid

    def naive_init_args(self) -> tuple[str, str, dict[str, str], bytes, int]:
        """What `_naive_init` takes: the node, the lens, the issuer key, purpose and mask."""
        lens = self.deployment.address("LedgerLens")
        return self.url, lens, self.key.public_jwk, self.purpose_digest, self.claim_mask

    def verifier(self, processes: int = 1, status_privacy: str = "direct") -> Verifier:
        chain = LedgerChain(Rpc(self.url), self.deployment)
        return Verifier(
            chain,
            account=self.verifier_account,
            processes=processes,
            status_privacy=status_privacy,
        )

    def items(self, verifier: Verifier, n: int) -> Items:
        out: Items = []
        for i in range(n):
            request = verifier.create_request(vct=VCT, claims=REQUESTED, purpose=PURPOSE)
            presentation = create_presentation(
                self.credentials[i % CREDENTIALS].compact,
                disclose=REQUESTED,
                holder_key=self.holder,
                audience=request.audience,
                nonce=request.nonce,
            )
            out.append((PresentationPackage(presentation, AnchorEvidence(), self.type_id), request))
        return out


# -- naive stack ----------------------------------------------------------------------------------

_NAIVE: dict[str, Any] = {}


def _naive_init(
    url: str, lens: str, issuer_jwk: dict[str, str], purpose: bytes, claim_mask: int
) -> None:
    from jwcrypto.jwk import JWK
    from web3 import HTTPProvider, Web3

    w3 = Web3(HTTPProvider(url))
    _NAIVE["contract"] = w3.eth.contract(address=lens, abi=contract_abi("LedgerLens").abi)
    _NAIVE["key"] = JWK(**issuer_jwk)
    _NAIVE["purpose"], _NAIVE["mask"] = purpose, claim_mask


def _naive_verify(presentation: str, audience: str, nonce: str, verifier: str) -> bool:
    from sd_jwt.verifier import SDJWTVerifier

    key = _NAIVE["key"]
    payload = SDJWTVerifier(
        presentation, lambda iss, header: key, audience, nonce
    ).get_verified_payload()
    jwt = presentation.split("~", 1)[0]
    header = jwt.split(".", 1)[0]
    kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    ref = parse_status_uri(payload["status"]["status_list"]["uri"])
    result = (
        _NAIVE["contract"]
        .functions.checkCredential(
            hashlib.sha256(jwt.encode()).digest(),
            bytes(32),
            [],
            base64.urlsafe_b64decode(kid + "="),
            ref.list_id,
            payload["status"]["status_list"]["idx"],
            verifier,
            _NAIVE["purpose"],
            _NAIVE["mask"],
        )
        .call()
    )
    return bool(result[0]) and result[10] == 0


def _naive_chunk(jobs: Sequence[tuple[str, str, str, str]]) -> int:
    return sum(_naive_verify(*job) for job in jobs)


# -- measuring ------------------------------------------------------------------------------------


def latencies(fn: Callable[[int], object], n: int) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - start)
    return out


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def load() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


_TICK = os.sysconf("SC_CLK_TCK")


def cpu(pids: Sequence[int]) -> float:
    """CPU seconds (user + system) used so far by `pids`: load-independent cost accounting."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / _TICK


class Meter:
    """Wall time and CPU time of `pids` over a block."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)

    def __enter__(self) -> Meter:
        self.cpu0, self.wall0 = cpu(self.pids), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = cpu(self.pids) - self.cpu0


def _record_sequential(
    out: dict[str, float], tag: str, lat: list[float], m: Meter, n: int
) -> None:
    """Latency percentiles, rate and CPU per presentation of one one-at-a-time run."""
    out[f"p50 {tag}"], out[f"p99 {tag}"] = pct(lat, 0.5), pct(lat, 0.99)
    out[f"seq {tag}"] = n / sum(lat)
    out[f"cpu seq {tag}"] = m.cpu / n * 1000


def _record_batch(
    out: dict[str, float], env: Env, verifier: Verifier, pids: list[int], n: int
) -> None:
    """verify_batch on one process: its rate and CPU per presentation (all must verify)."""
    items = env.items(verifier, n)
    with Meter(pids) as m:
        results = verifier.verify_batch(items, processes=1)
    out["batch1"], out["cpu batch1"] = n / m.wall, m.cpu / n * 1000
    assert all(isinstance(r, VerifiedCredentialPresentation) for r in results), results[:3]


def ours_round(env: Env, n: int) -> dict[str, float]:
    """One round of every measurement of ours (fresh requests: nonces are single-use)."""
    out: dict[str, float] = {}
    verifier = env.verifier()
    pids = [os.getpid(), env.anvil_pid]
    for overlap in (True, False):
        verifier._steps._overlap = overlap
        items = env.items(verifier, n)
        with Meter(pids) as m:
            lat = latencies(lambda i, b=items: verifier.verify(*b[i]), n)  # type: ignore[misc]
        tag = "overlap" if overlap else "serial"
        _record_sequential(out, tag, lat, m, n)
    _record_batch(out, env, verifier, pids, n)
    verifier.close()
    return out


def herd_round(env: Env, n: int) -> dict[str, float]:
    """Ours in herd mode: one at a time with the list cache warm (same block) and cold (cleared
    before each presentation), and verify_batch on one process."""
    out: dict[str, float] = {}
    verifier = env.verifier(status_privacy="herd")
    reader = verifier._steps._herd
    assert reader is not None
    pids = [os.getpid(), env.anvil_pid]
    for tag in ("warm", "cold"):
        items = env.items(verifier, n)
        if tag == "warm":
            verifier.verify(*items[0])  # the list read of this block
            items = env.items(verifier, n)

        def one(i: int, b: Items = items, cold: bool = tag == "cold") -> object:
            if cold:
                reader._words.clear()
            return verifier.verify(*b[i])

        with Meter(pids) as m:
            lat = latencies(one, n)
        _record_sequential(out, tag, lat, m, n)
    _record_batch(out, env, verifier, pids, n)
    verifier.close()
    return out


def pooled_round(pooled: Verifier, env: Env, n: int) -> dict[str, float]:
    items = env.items(pooled, n)
    pool = pooled._pool._pool if pooled._pool is not None else None
    workers = list(pool._processes) if pool is not None else []  # type: ignore[attr-defined]
    with Meter([os.getpid(), env.anvil_pid, *workers]) as m:
        results = pooled.verify_batch(items)
    assert all(isinstance(r, VerifiedCredentialPresentation) for r in results), results[:3]
    return {"batch2": n / m.wall, "cpu batch2": m.cpu / n * 1000}


def naive_round(env: Env, jobs: list[tuple[str, str, str, str]], pool: Any) -> dict[str, float]:
    with Meter([os.getpid(), env.anvil_pid]) as m:
        lat = latencies(lambda i: _naive_verify(*jobs[i]), len(jobs))
    cpu_seq = m.cpu / len(jobs) * 1000
    half = len(jobs) // 2
    workers = [p.pid for p in pool._pool]
    with Meter([os.getpid(), env.anvil_pid, *workers]) as m:
        ok = sum(pool.map(_naive_chunk, [jobs[:half], jobs[half:]]))
    assert ok == len(jobs)
    return {
        "p50": pct(lat, 0.5),
        "p99": pct(lat, 0.99),
        "seq": len(jobs) / sum(lat),
        "par": len(jobs) / m.wall,
        "cpu seq": cpu_seq,
        "cpu par": m.cpu / len(jobs) * 1000,
    }


def best(rounds: list[dict[str, float]], key: str, lower: bool = False) -> float:
    values = [r[key] for r in rounds]
    return min(values) if lower else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="presentations per measurement")
    parser.add_argument("--naive-n", type=int, default=300, help="presentations, naive stack")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best is reported")
    args = parser.parse_args()
    n = args.n
    load_before = load()

    with Devnet() as net:
        env = Env(net)
        warm = env.verifier()
        for package, request in env.items(warm, 50):
            warm.verify(package, request)
        naive_items = env.items(warm, args.naive_n)
        jobs = [
            (p.presentation, r.audience, r.nonce, env.verifier_account.address)
            for p, r in naive_items
        ]
        _naive_init(*env.naive_init_args())
        for job in jobs[:20]:
            assert _naive_verify(*job)
        pooled = env.verifier(processes=2)
        pooled.verify_batch(env.items(pooled, 64))  # start the pool
        ctx = multiprocessing.get_context("fork")
        naive_pool = ctx.Pool(2, initializer=_naive_init, initargs=env.naive_init_args())
        naive_pool.map(_naive_chunk, [jobs[:10], jobs[10:20]])
        ours: list[dict[str, float]] = []
        herds: list[dict[str, float]] = []
        pooled_rates: list[dict[str, float]] = []
        naive: list[dict[str, float]] = []
        try:
            for r in range(args.rounds):
                ours.append(ours_round(env, n))
                herds.append(herd_round(env, n))
                pooled_rates.append(pooled_round(pooled, env, 2 * n))
                naive.append(naive_round(env, jobs, naive_pool))
                print(
                    f"round {r + 1}: ours p50 {ours[-1]['p50 overlap']:.3f} ms, "
                    f"batch on 2 cores {pooled_rates[-1]['batch2']:.0f}/s; naive p50 "
                    f"{naive[-1]['p50']:.3f} ms (load {load()})"
                )
        finally:
            naive_pool.close()
            pooled.close()

    lower = ("p", "cpu")
    o = {k: best(ours, k, lower=k.startswith(lower)) for k in ours[0]}
    o.update({k: best(pooled_rates, k, lower=k.startswith(lower)) for k in pooled_rates[0]})
    v = {k: best(naive, k, lower=k.startswith(lower)) for k in naive[0]}
    o2 = o["batch2"]
    print(
        f"\nfull verification on anvil, best of {args.rounds} rounds (ours n={n}, naive "
        f"n={len(jobs)}), {os.cpu_count()} cores, load average {load_before} before"
    )
    rows = [
        ("latency p50 (ms)", o["p50 overlap"], v["p50"], v["p50"] / o["p50 overlap"], 3),
        ("latency p99 (ms)", o["p99 overlap"], v["p99"], v["p99"] / o["p99 overlap"], 3),
        ("latency p50, no overlap (ms)", o["p50 serial"], v["p50"], v["p50"] / o["p50 serial"], 3),
        ("one at a time (/s)", o["seq overlap"], v["seq"], o["seq overlap"] / v["seq"], 0),
        ("batch, 1 process (/s)", o["batch1"], v["seq"], o["batch1"] / v["seq"], 0),
        ("batch, 2 processes (/s)", o2, v["par"], o2 / v["par"], 0),
    ]
    print(f"{'':32}{'ours':>11}{'naive':>11}{'ours vs naive':>15}")
    for label, ours_value, naive_value, ratio, digits in rows:
        print(f"{label:32}{ours_value:11.{digits}f}{naive_value:11.{digits}f}{ratio:14.1f}x")
    print(
        "\nCPU per presentation, all processes involved (verifier, pool workers, anvil): "
        "independent of other load; 2 idle cores give at most 2000 / ms presentations/s"
    )
    print(f"{'':32}{'ours ms':>11}{'naive ms':>11}{'ours /s':>10}{'naive /s':>10}")
    for label, ours_key, naive_key in (
        ("one at a time", "cpu seq overlap", "cpu seq"),
        ("batch, 1 process", "cpu batch1", "cpu seq"),
        ("batch, 2 processes", "cpu batch2", "cpu par"),
    ):
        print(
            f"{label:32}{o[ours_key]:11.3f}{v[naive_key]:11.3f}"
            f"{2000 / o[ours_key]:10.0f}{2000 / v[naive_key]:10.0f}"
        )
    print("targets: p50 <= 1 ms, >= 2,000 presentations/s on 2 cores, >= 5x the naive stack")

    h = {k: best(herds, k, lower=k.startswith(lower)) for k in herds[0]}
    print(
        f"\nstatus privacy toward the node: direct (one lens call names digest, kid, status "
        f"index) vs herd (whole list of {CAPACITY} entries read per block; cold = a new block "
        "before every presentation)"
    )
    print(f"{'':32}{'direct':>11}{'herd':>11}{'herd/direct':>13}")
    for label, direct_value, herd_value, digits in (
        ("latency p50 (ms)", o["p50 overlap"], h["p50 warm"], 3),
        ("latency p99 (ms)", o["p99 overlap"], h["p99 warm"], 3),
        ("latency p50, cold (ms)", o["p50 overlap"], h["p50 cold"], 3),
        ("one at a time (/s)", o["seq overlap"], h["seq warm"], 0),
        ("one at a time, cold (/s)", o["seq overlap"], h["seq cold"], 0),
        ("batch, 1 process (/s)", o["batch1"], h["batch1"], 0),
        ("CPU per presentation (ms)", o["cpu seq overlap"], h["cpu seq warm"], 3),
        ("CPU per presentation, cold (ms)", o["cpu seq overlap"], h["cpu seq cold"], 3),
    ):
        ratio = herd_value / direct_value
        print(f"{label:32}{direct_value:11.{digits}f}{herd_value:11.{digits}f}{ratio:12.2f}x")


if __name__ == "__main__":
    main()
