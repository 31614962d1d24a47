#!/usr/bin/env python3
"""Benchmark once-only pulls end to end over HTTP on loopback, beside a same-run baseline.

A pull: the requester signs a query (EIP-712), POSTs it with httpx to the data service (FastAPI
under uvicorn), the source checks the signature, the time window, the requester's standing on
chain (one eth_call to anvil: requesterCheck), the subject's consent, looks her up in the register
(SQLite, 10,000 synthetic persons), signs the SD-JWT VC of the asked claims, stores the receipt
with the nonce (one transaction, synchronous=FULL) and answers; the requester verifies the
answer (SD-JWT signature with the key registered on chain, audience, type, claims) and checks on
chain that the key is valid now and the source accredited (one JSON-RPC batch).

Baseline, same run, same stack and shape: httpx POSTs a small body to an empty FastAPI handler
served by uvicorn with the same number of workers.

Both run as W uvicorn processes (default 2, one worker each on its own port: uvicorn's
``--workers`` supervisor added ~40 ms to every request here) and C client processes (default 2,
spread over the servers), each client
doing its pulls one after another; p50/p99 are per pull as a client saw it, throughput is all
pulls over the wall time. On the 2-core development machine everything (anvil, the workers, the
clients) shares the two cores. Prints verdict lines against the issue's targets (p50 <= 5 ms,
>= 1,000 pulls/s on 2 cores).

Usage: python3 scripts/bench_pull.py [--pulls N] [--clients C] [--workers W] [--persons P]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common  # noqa: F401  first: the project venv and import path
from fastapi import FastAPI, Request
from starlette.responses import Response

SCRIPTS = Path(__file__).resolve().parent
ASKED = ("address.municipality", "age_over_18")
CPR_CLAIMS = (
    "given_name", "family_name", "birthdate", "cpr_number", "address.street_address",
    "address.postal_code", "address.locality", "address.municipality", "nationalities",
    "age_over_18", "age_over_65",
)  # fmt: skip
SUBJECTS = 100  # subjects with a holder key and a consent; pulls pick among them


def empty_app() -> Any:
    """The baseline: FastAPI with one empty POST handler (a uvicorn factory)."""
    app = FastAPI(docs_url=None, redoc_url=None)

    @app.post("/empty")
    async def empty(request: Request) -> Response:
        await request.body()
        return Response(b"{}", media_type="application/json")

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", target, "--app-dir", str(SCRIPTS),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log"],
        env={**os.environ, **env},
    )  # fmt: skip
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


# --- client processes ------------------------------------------------------------------------


def pull_client(args: dict[str, Any], count: int, out: Any) -> None:
    """Run `count` pulls one after another; put the latencies (s) on `out`."""
    import random

    from eth_account import Account

    from ledger.chain.client import LedgerChain
    from ledger.chain.deploy import Deployment
    from ledger.chain.rpc import Rpc
    from ledger.exchange.requester import DataRequester

    chain = LedgerChain(Rpc(args["rpc_url"]), Deployment.load(Path(args["deployment"])))
    account = Account.from_key(bytes.fromhex(args["requester_key"]))
    rng = random.Random(os.getpid())
    latencies = []
    with DataRequester(chain=chain, account=account) as requester:
        for i in range(count + 20):
            subject = rng.choice(args["subjects"])
            t0 = time.perf_counter()
            requester.fetch(
                subject, args["vct"], ASKED, args["purpose"], "bench",
                source=args["source"], url=args["url"],
            )  # fmt: skip
            if i >= 20:  # warm-up: caches, connections
                latencies.append(time.perf_counter() - t0)
    out.put(latencies)


def empty_client(args: dict[str, Any], count: int, out: Any) -> None:
    import httpx

    latencies = []
    body = b'{"query": {}, "signature": "' + b"0" * 130 + b'"}'
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    with httpx.Client(transport=transport) as client:  # as DataRequester's client
        for i in range(count + 20):
            t0 = time.perf_counter()
            reply = client.post(args["url"] + "/empty", content=body)
            reply.raise_for_status()
            if i >= 20:
                latencies.append(time.perf_counter() - t0)
    out.put(latencies)


def run_clients(
    target: Any, args: dict[str, Any], clients: int, pulls: int
) -> tuple[list[float], float]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    per = pulls // clients
    urls = args["urls"]
    procs = [
        ctx.Process(target=target, args=({**args, "url": urls[i % len(urls)]}, per, out))
        for i in range(clients)
    ]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    latencies: list[float] = []
    for _ in procs:
        latencies.extend(out.get(timeout=600))
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    # throughput over the measured pulls: the wall time less each client's warm-up share
    return latencies, wall


def summary(latencies: list[float], wall: float, clients: int) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1e3
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3
    # each client runs its pulls back to back: throughput = pulls / (busiest client's time)
    busy = sum(latencies) / clients
    return p50, p99, len(latencies) / max(busy, 1e-9)


# --- setup -------------------------------------------------------------------------------------


def setup(workdir: Path, rpc: Any, persons: int) -> tuple[dict[str, Any], Any]:
    from world import build_world

    from ledger.exchange.consent import record_consent, sign_consent
    from ledger.exchange.pseudonym import SourceLogKey
    from ledger.exchange.register import StoreRegister
    from ledger.exchange.store import SqliteExchangeStore
    from ledger.exchange.synthetic import synthetic_register
    from ledger.sdjwt import SigningKey
    from ledger.service.server import SourceConfig

    world = build_world(rpc, claims=CPR_CLAIMS, verifier_claims=ASKED)
    deployment = workdir / "deployment.json"
    world.deployment.save(deployment)
    records = synthetic_register(n=persons, seed=1)
    store_path = workdir / "cpr.db"
    holder_keys: dict[str, dict[str, str]] = {}
    subjects = [r["cpr_number"] for r in records[:SUBJECTS]]
    now = int(time.time())
    with SqliteExchangeStore(store_path) as store:
        StoreRegister(store).put_many(records)
        for subject in subjects:
            key = SigningKey.generate()
            holder_keys[subject] = key.public_jwk
            consent = sign_consent(
                key, requester=world.verifier.address, source=world.issuer.address,
                vct=world.vct, claims=ASKED, purpose=world.purpose, expires_at=now + 86400,
                now=now,
            )  # fmt: skip
            record_consent(
                store, consent.document, key.public_jwk, subject_id=subject,
                source=world.issuer.address, now=now,
            )  # fmt: skip
    config = SourceConfig(
        rpc_url=rpc.url, deployment=str(deployment), agency=world.issuer.address,
        signing_key=world.signing_key.to_private_jwk(),
        log_key=SourceLogKey.generate().to_private_jwk(),
        pseudonym_secret=secrets.token_hex(32), store=str(store_path), holder_keys=holder_keys,
        rate_per_second=1e9, burst=10**9,
    )  # fmt: skip
    config_path = workdir / "service.json"
    config.write(config_path)
    args = {
        "rpc_url": rpc.url,
        "deployment": str(deployment),
        "requester_key": bytes(world.verifier.key).hex(),
        "subjects": subjects,
        "vct": world.vct,
        "purpose": world.purpose,
        "source": world.issuer.address,
    }
    return args, config_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pulls", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--persons", type=int, default=10_000)
    opts = parser.parse_args()

    from ledger.chain.devnet import Devnet
    from ledger.chain.rpc import Rpc
    from ledger.service.server import CONFIG_ENV

    with tempfile.TemporaryDirectory() as tmp, Devnet() as net, Rpc(net.rpc_url) as rpc:
        workdir = Path(tmp)
        args, config_path = setup(workdir, rpc, opts.persons)

        def servers(target: str, env: dict[str, str]) -> list[tuple[str, Any]]:
            out = []
            for _ in range(opts.workers):
                port = free_port()
                out.append((f"http://127.0.0.1:{port}", start_server(target, port, env)))
            return out

        running = servers("bench_pull:empty_app", {})
        try:
            base, base_wall = run_clients(
                empty_client, {"urls": [u for u, _ in running]}, opts.clients, opts.pulls
            )
        finally:
            for _, process in running:
                stop_server(process)

        running = servers("ledger.service.server:app_from_env", {CONFIG_ENV: str(config_path)})
        try:
            pulls, pull_wall = run_clients(
                pull_client, {**args, "urls": [u for u, _ in running]}, opts.clients, opts.pulls
            )
        finally:
            for _, process in running:
                stop_server(process)

    b50, b99, brate = summary(base, base_wall, opts.clients)
    p50, p99, prate = summary(pulls, pull_wall, opts.clients)
    cores = os.cpu_count()
    print(f"machine: {cores} cores; {opts.workers} uvicorn processes, {opts.clients} client "
          f"processes, {len(pulls)} pulls, register of {opts.persons:,} persons")  # fmt: skip
    print(f"{'':32} {'p50 ms':>8} {'p99 ms':>8} {'per s':>8}")
    print(f"{'baseline: empty handler':32} {b50:8.2f} {b99:8.2f} {brate:8.0f}")
    print(f"{'pull end to end':32} {p50:8.2f} {p99:8.2f} {prate:8.0f}")
    print(f"ratio pull/baseline: p50 {p50 / b50:.1f}x, throughput {prate / brate:.2f}x")
    print(f"verdict p50 <= 5 ms: {'PASS' if p50 <= 5 else 'FAIL'} ({p50:.2f} ms)")
    print(f"verdict >= 1,000 pulls/s: {'PASS' if prate >= 1000 else 'FAIL'} ({prate:.0f}/s)")


if __name__ == "__main__":
    main()
