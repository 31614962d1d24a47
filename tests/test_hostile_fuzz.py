"""A seeded byte mutator drives every document parser with damaged valid documents: whatever
the damage, only `LedgerError` subclasses come out (never a ValueError, KeyError, TypeError,
UnicodeError, RecursionError... nor a crash). Each target gets a fixed time budget (~5 s in
all); the seed makes a failure reproducible (it is in the assertion message)."""

from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ledger.errors import LedgerError

BUDGET = 0.6  # seconds per target
SEED = 20261203


def _mutate(rng: random.Random, doc: bytes) -> bytes:
    data = bytearray(doc)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(data) + 1)
        op = rng.randrange(9)
        if op == 0 and data:  # flip a byte
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif op == 1:  # insert structural or awkward bytes
            data[at:at] = rng.choice([b"[", b"{", b"]", b"}", b'"', b",", b":", b"\\", b"\\u",
                                      b"\xff", b"\xc3", b"NaN", b"1e999", b"-", b"\x00"])
        elif op == 2:  # delete a range
            del data[at:at + rng.randint(1, 16)]
        elif op == 3:  # repeat a range
            piece = data[at:at + rng.randint(1, 32)]
            data[at:at] = piece * rng.randint(1, 50)
        elif op == 4:  # truncate
            del data[at:]
        elif op == 5:  # deep nesting
            data[at:at] = rng.choice([b"[", b'{"a":']) * rng.randint(100, 70_000)
        elif op == 6:  # a long number
            data[at:at] = b"9" * rng.randint(100, 20_000)
        elif op == 7:  # repeat a member (a duplicate name if it is one)
            piece = data[at:at + rng.randint(4, 40)]
            data[at:at] = piece + b","
        else:  # swap two bytes
            if len(data) > 1:
                j = rng.randrange(len(data))
                k = min(at, len(data) - 1)
                data[j], data[k] = data[k], data[j]
    return bytes(data)


def _fuzz(name: str, doc: bytes, target: Callable[[bytes], Any]) -> int:
    rng = random.Random(f"{SEED}-{name}")
    deadline = time.monotonic() + BUDGET
    runs = 0
    while time.monotonic() < deadline:
        mutated = _mutate(rng, doc)
        try:
            target(mutated)
        except LedgerError:
            pass
        except Exception as exc:  # the point: nothing else may escape
            pytest.fail(f"{name}: {type(exc).__name__}: {str(exc)[:200]} on input "
                        f"{mutated[:300]!r} (seed {SEED}, run {runs})")
        runs += 1
    return runs


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _valid_documents(tmp_path: Path) -> dict[str, tuple[bytes, Callable[[bytes], Any]]]:
    from ledger.agency.packages import AnchorEvidence, CredentialPackage, PresentationPackage
    from ledger.agency.request import PresentationRequest, create_request
    from ledger.chain.keystore import keystore_address
    from ledger.network import network_file, saved_network
    from ledger.sdjwt import (
        SigningKey,
        create_presentation,
        issue_sd_jwt_vc,
        verify_credential,
        verify_presentation,
    )
    from ledger.untrusted_json import loads

    issuer, holder = SigningKey.generate(), SigningKey.generate()
    issued = issue_sd_jwt_vc(
        {"given_name": "Karen", "address": {"locality": "Aarhus"}, "nationalities": ["DK"],
         "n": 2**70}, signing_key=issuer, issuer="0xCPR", vct="urn:person",
        holder_jwk=holder.public_jwk, status_idx=7, status_uri="ethereum:x", now=1_800_000_000)
    compact = issued.compact
    presentation = create_presentation(compact, disclose=["given_name"], holder_key=holder,
                                       nonce="n",
                                       audience="a", now=1_800_000_000)
    package = CredentialPackage(compact, AnchorEvidence(), 1, 31337, {"vct": "urn:person"})
    shown = PresentationPackage(presentation, AnchorEvidence(), 1)
    request = create_request(
        verifier_account=Account.from_key(bytes(range(1, 33))), vct="urn:person", type_id=1,
        claims=["given_name"], purpose="Fuzzing", audience=None, chain_id=31337,
        registry="0x5FbDB2315678afecb367f032d93F642f64180aa3", now=1_800_000_000)
    keystore = json.dumps(Account.encrypt(bytes(range(1, 33)), "pw", kdf="pbkdf2",
                                          iterations=1)).encode()
    home = tmp_path / "home"
    home.mkdir()
    file = tmp_path / "doc"

    def in_file(read: Callable[[], Any]) -> Callable[[bytes], Any]:
        def target(data: bytes) -> Any:
            file.write_bytes(data)
            return read()
        return target

    def in_network_file(data: bytes) -> Any:
        network_file(home).write_bytes(data)
        return saved_network(home)

    def text(data: bytes) -> str:
        return data.decode("utf-8", "surrogateescape")

    return {
        "untrusted_json": (package.to_json().encode(), loads),
        "credential-package": (package.to_json().encode(),
                               lambda d: CredentialPackage.from_json(text(d))),
        "presentation-package": (shown.to_json().encode(),
                                 lambda d: PresentationPackage.from_json(text(d))),
        "request": (request.to_json().encode(), PresentationRequest.from_json),
        "keystore": (keystore, in_file(lambda: keystore_address(file))),
        "network": (b'{"rpc_url": "http://127.0.0.1:8545", "poa": false}', in_network_file),
        "credential": (compact.encode(), lambda d: verify_credential(
            text(d), issuer_key_resolver=issuer.public_key, expected_holder_jwk=holder.public_jwk,
            now=1_800_000_000)),
        "presentation": (presentation.encode(), lambda d: verify_presentation(
            text(d), issuer_key_resolver=issuer.public_key, expected_audience="a",
            expected_nonce="n", now=1_800_000_000)),
    }


def test_damaged_documents_only_ever_raise_ledger_errors(tmp_path: Path) -> None:
    runs = {name: _fuzz(name, doc, target)
            for name, (doc, target) in _valid_documents(tmp_path).items()}
    assert all(n > 0 for n in runs.values()), runs
