"""Fixtures for the wallet tests: cheap KDF parameters keep every store test fast; `world` and
`wallet` serve the tests that run a wallet against the chain (`test_wallet_holder_world`)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from world import CHEAP_KDF, PASSPHRASE, WalletWorld, make_wallet

from ledger.wallet import WalletStore
from ledger.wallet.wallet import Wallet


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A wallet home that does not exist yet."""
    return tmp_path / "wallet-home"


@pytest.fixture
def clock() -> Callable[[], float]:
    """A deterministic clock: 1_700_000_000, then +1 s per call."""
    ticks = itertools.count(1_700_000_000)
    return lambda: float(next(ticks))


@pytest.fixture
def store(home: Path, clock: Callable[[], float]) -> Iterator[WalletStore]:
    """A fresh store holding one key, two credentials and one history entry."""
    s = WalletStore.create(home, PASSPHRASE, kdf_params=CHEAP_KDF, now=clock)
    s.put_key("holder-1", {"kty": "EC", "crv": "P-256", "x": "X", "y": "Y", "d": "SECRET-D"})
    s.put_credential("cred-a", "eyJhbGciOi.A.sig~d1~", {"issuer": "0xCPR", "vct": "urn:person"})
    s.put_credential("cred-b", "eyJhbGciOi.B.sig~d2~", {"issuer": "0xROAD", "vct": "urn:licence"})
    s.add_history(
        verifier_address="0xMUNI",
        verifier_name="Municipality",
        purpose="age check",
        claims=["age_over_18"],
        credential_id="cred-a",
    )
    yield s
    s.close()


@pytest.fixture
def world(wallet_world: WalletWorld, chain_snapshot: str) -> WalletWorld:
    """The shared wallet world; the chain is reverted after the test."""
    return wallet_world


@pytest.fixture
def wallet(tmp_path: Path) -> Iterator[Wallet]:
    """A fresh wallet (its holder key only) in `tmp_path / "wallet"`."""
    with make_wallet(tmp_path / "wallet") as w:
        yield w
