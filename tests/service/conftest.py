"""The data service's test world: the suite deployed with the CPR person type, the CPR office
(source, its signing key registered) and a municipality (requester, registered for two claims
on consent), a synthetic register in a SQLite store, and a `DataSource` over it all.

The clock is the chain's (a shared devnet's time may run ahead of the wall clock)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from world import AgencyWorld, build_world

from ledger.chain.rpc import Rpc
from ledger.demo import CLAIM_NAMES
from ledger.exchange.pseudonym import SourceLogKey
from ledger.exchange.register import StoreRegister
from ledger.exchange.requester import DataRequester
from ledger.exchange.source import DataSource, DictHolderKeys
from ledger.exchange.store import SqliteExchangeStore
from ledger.exchange.synthetic import synthetic_register
from ledger.sdjwt import SigningKey
from ledger.service.app import create_app

CPR_CLAIMS = CLAIM_NAMES  # the CPR person type, as the demo registers it
ASKED = ("address.municipality", "age_over_18")
CASE = "KK-2026-0042"
PERSONS = synthetic_register(n=12, seed=7)


class Clock:
    """A settable clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def cpr_world(rpc: Rpc) -> AgencyWorld:
    """The suite with the CPR type; `issuer` is the CPR office, `verifier` the municipality."""
    return build_world(rpc, claims=CPR_CLAIMS, verifier_claims=ASKED)


@dataclass
class Pull:
    """One test's source, requester, app and citizen."""

    world: AgencyWorld
    store: SqliteExchangeStore
    source: DataSource
    requester: DataRequester
    client: httpx.Client
    clock: Clock
    holder_keys: DictHolderKeys
    karen: dict[str, Any]
    karen_key: SigningKey
    url: str = "http://cpr.test"

    def fetch(self, subject: str | None = None, **kwargs: Any) -> Any:
        args: dict[str, Any] = {
            "vct": self.world.vct,
            "claims": ASKED,
            "purpose": self.world.purpose,
            "case_ref": CASE,
        }
        args.update(kwargs)
        return self.requester.fetch(
            self.karen["cpr_number"] if subject is None else subject,
            args.pop("vct"),
            args.pop("claims"),
            args.pop("purpose"),
            args.pop("case_ref"),
            source=self.world.issuer.address,
            url=self.url,
            **args,
        )

    def requester_as(self, account: LocalAccount) -> DataRequester:
        return DataRequester(
            chain=self.world.reader(), account=account, client=self.client, clock=self.clock
        )


@pytest.fixture
def pull(cpr_world: AgencyWorld, tmp_path: Path) -> Iterator[Pull]:
    world = cpr_world
    clock = Clock(world.now())
    # The test reads through its own connection; the service opens its own at startup.
    store = SqliteExchangeStore(tmp_path / "cpr.db").open()
    StoreRegister(store, clock=clock).put_many(PERSONS)
    served = SqliteExchangeStore(tmp_path / "cpr.db")
    register = StoreRegister(served, clock=clock)
    karen = PERSONS[0]
    karen_key = SigningKey.generate()
    holder_keys = DictHolderKeys({karen["cpr_number"]: karen_key.public_jwk})
    source = DataSource(
        store=served,
        register=register,
        chain=world.reader(),
        agency=world.issuer.address,
        signing_key=world.signing_key,
        log_key=SourceLogKey.generate(),
        pseudonym_secret=secrets.token_bytes(32),
        holder_keys=holder_keys,
        clock=clock,
    )
    app = create_app(source)
    with TestClient(app, base_url="http://cpr.test") as client:
        requester = DataRequester(
            chain=world.reader(), account=world.verifier, client=client, clock=clock
        )
        yield Pull(world, store, source, requester, client, clock, holder_keys, karen, karen_key)
    store.close()
