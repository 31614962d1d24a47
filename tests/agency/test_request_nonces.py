"""Verifier nonce store: issue, consume exactly once, expiry, persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.agency.nonces import NonceStore
from ledger.errors import NonceReplayed, NonceUnknown

NOW = 1_800_000_000


def test_issued_nonce_is_accepted_once_then_refused() -> None:
    with NonceStore() as store:
        n = store.issue(ttl=60, now=NOW)
        store.consume(n, now=NOW + 1)  # accepted
        with pytest.raises(NonceReplayed):
            store.consume(n, now=NOW + 1)


def test_replayed_nonce_is_rejected() -> None:
    with NonceStore() as store:
        n = store.issue(ttl=60, now=NOW)
        store.consume(n, now=NOW + 1)
        with pytest.raises(NonceReplayed):
            store.consume(n, now=NOW + 2)


def test_unknown_nonce_is_rejected() -> None:
    with NonceStore() as store, pytest.raises(NonceUnknown):
        store.consume("never-issued", now=NOW)


def test_expired_nonce_is_rejected() -> None:
    with NonceStore() as store:
        n = store.issue(ttl=60, now=NOW)
        with pytest.raises(NonceUnknown, match="expired"):
            store.consume(n, now=NOW + 60)


def test_nonces_are_distinct_and_256_bit() -> None:
    with NonceStore() as store:
        nonces = {store.issue(ttl=60, now=NOW) for _ in range(200)}
    assert len(nonces) == 200
    assert all(len(n) == 43 for n in nonces)


def test_consumed_nonce_stays_consumed_after_reopen(tmp_path: Path) -> None:
    path = tmp_path / "nonces.db"
    with NonceStore(path) as store:
        n = store.issue(ttl=60, now=NOW)
        store.consume(n, now=NOW)
    with NonceStore(path) as store, pytest.raises(NonceReplayed):
        store.consume(n, now=NOW + 1)


def test_purged_nonce_is_still_rejected() -> None:
    with NonceStore() as store:
        n = store.issue(ttl=60, now=NOW)
        store.consume(n, now=NOW)
        assert store.purge(now=NOW + 61) == 1
        with pytest.raises(NonceUnknown):
            store.consume(n, now=NOW + 62)


def test_constructor_does_no_io(tmp_path: Path) -> None:
    NonceStore(tmp_path / "absent" / "nonces.db")
    assert not (tmp_path / "absent").exists()
