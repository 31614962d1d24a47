"""The data service as a real uvicorn process on a free loopback port: a pull over TCP, a clean
stop on SIGTERM, and a SIGKILL in the middle of a load that leaves no answer without its
receipt. The server runs on a private devnet (its clock is the wall clock, as the server's)."""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from world import AgencyWorld, build_world

from ledger.chain.devnet import Devnet
from ledger.chain.rpc import Rpc
from ledger.errors import LedgerError
from ledger.exchange.consent import record_consent, sign_consent
from ledger.exchange.pseudonym import SourceLogKey
from ledger.exchange.receipts import AccessReceipt, Outcome
from ledger.exchange.register import StoreRegister
from ledger.exchange.requester import DataRequester
from ledger.exchange.store import SqliteExchangeStore
from ledger.sdjwt import SigningKey
from ledger.service.server import CONFIG_ENV, SourceConfig
from service.conftest import ASKED, CASE, CPR_CLAIMS, PERSONS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    world: AgencyWorld
    config: Path
    store_path: Path
    deployment: Path
    karen: dict[str, object]


@pytest.fixture(scope="module")
def private_chain() -> Iterator[Rpc]:
    with Devnet(die_with_parent=True) as net, Rpc(net.rpc_url) as rpc:
        yield rpc


@pytest.fixture
def served(private_chain: Rpc, tmp_path: Path) -> Served:
    world = build_world(private_chain, claims=CPR_CLAIMS, verifier_claims=ASKED)
    deployment = tmp_path / "deployment.json"
    world.deployment.save(deployment)
    store_path = tmp_path / "cpr.db"
    karen = PERSONS[0]
    karen_key = SigningKey.generate()
    now = int(time.time())
    with SqliteExchangeStore(store_path) as store:
        StoreRegister(store).put_many(PERSONS)
        consent = sign_consent(
            karen_key,
            requester=world.verifier.address,
            source=world.issuer.address,
            vct=world.vct,
            claims=ASKED,
            purpose=world.purpose,
            expires_at=now + 3600,
            now=now,
        )
        record_consent(
            store,
            consent.document,
            karen_key.public_jwk,
            subject_id=str(karen["cpr_number"]),
            source=world.issuer.address,
            now=now,
        )
    config = SourceConfig(
        rpc_url=private_chain.url,
        deployment=str(deployment),
        agency=world.issuer.address,
        signing_key=world.signing_key.to_private_jwk(),
        log_key=SourceLogKey.generate().to_private_jwk(),
        pseudonym_secret=secrets.token_hex(32),
        store=str(store_path),
        holder_keys={str(karen["cpr_number"]): karen_key.public_jwk},
        rate_per_second=1e6,
        burst=1_000_000,
    )
    path = tmp_path / "service.json"
    config.write(path)
    return Served(world, path, store_path, deployment, karen)


def start(served: Served, port: int, log_level: str = "warning") -> subprocess.Popen[bytes]:
    env = {**os.environ, CONFIG_ENV: str(served.config)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "ledger.service.server:app_from_env",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", log_level],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the service exited: {process.communicate()[1].decode()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/exchange/challenge").status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("the service did not start within 30 s")


def requester(served: Served) -> DataRequester:
    return DataRequester(chain=served.world.reader(), account=served.world.verifier)


def fetch(served: Served, client: DataRequester, port: int) -> object:
    return client.fetch(
        str(served.karen["cpr_number"]),
        served.world.vct,
        ASKED,
        served.world.purpose,
        CASE,
        source=served.world.issuer.address,
        url=f"http://127.0.0.1:{port}",
    )


def test_real_server_answers_over_tcp_and_stops_cleanly_on_sigterm(served: Served) -> None:
    port = free_port()
    process = start(served, port, log_level="info")
    try:
        with requester(served) as client:
            got = fetch(served, client, port)
        assert got.claims["age_over_18"] in (True, False)  # type: ignore[attr-defined]
        assert "openapi" in httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    # uvicorn finishes its shutdown (the app's lifespan closes the store), then re-raises the
    # signal it caught, so the process ends as killed by SIGTERM, after a clean stop.
    assert process.returncode in (0, -signal.SIGTERM), err.decode()
    assert b"Application shutdown complete" in err, err.decode()
    assert b"Traceback" not in err
    with SqliteExchangeStore(served.store_path) as store:
        row = store.get_receipt(got.receipt_id)  # type: ignore[attr-defined]
    assert row is not None


def test_sigkill_mid_load_leaves_no_answer_without_its_receipt(served: Served) -> None:
    port = free_port()
    process = start(served, port)
    answers: list[tuple[str, str]] = []
    stop = threading.Event()

    def load() -> None:
        with requester(served) as client:
            while not stop.is_set():
                try:
                    got = fetch(served, client, port)
                except LedgerError:
                    return  # the server is gone
                answers.append((got.receipt_id, got.credential))  # type: ignore[attr-defined]

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(answers) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) >= 20
    with SqliteExchangeStore(served.store_path) as store:
        for receipt_id, credential in answers:
            row = store.get_receipt(receipt_id)
            assert row is not None, "an answer left without its receipt"
            receipt = AccessReceipt.decode(row.body)
            assert receipt.outcome is Outcome.ANSWERED
            assert receipt.answer_digest == hashlib.sha256(credential.encode()).digest()
        stored = store.count_receipts()
    # restarted, the service goes on from the same store
    process = start(served, port)
    try:
        with requester(served) as client:
            fetch(served, client, port)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    with SqliteExchangeStore(served.store_path) as store:
        assert store.count_receipts() == stored + 1
