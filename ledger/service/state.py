"""A source agency's data service state in its agency state directory, for `ledger serve`.

    <state dir>/exchange.db          the exchange store (register, receipts, consents, nonces)
    <state dir>/exchange-log-key.json   the source's P-256 log key (private JWK, mode 0600)
    <state dir>/exchange-secret.hex     the pseudonym secret (32 random bytes, mode 0600)
    <state dir>/holder-keys.json        optional: {subject id: holder public JWK}, the holder keys
                                        the source knows (from the person credentials it issued)

The log key and the secret are made on first use. Known limit: they are protected by the file
mode only, not encrypted under the agency's passphrase as its signing keys are.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import orjson

from ledger import untrusted_json
from ledger.chain.client import LedgerChain
from ledger.errors import ConfigError, JsonRejected
from ledger.exchange.pseudonym import SourceLogKey
from ledger.exchange.register import StoreRegister
from ledger.exchange.source import DataSource, DictHolderKeys
from ledger.exchange.store import ExchangeStore, SqliteExchangeStore
from ledger.sdjwt import SigningKey

__all__ = ["EXCHANGE_STORE_FILE", "source_from_state"]

EXCHANGE_STORE_FILE = "exchange.db"
_LOG_KEY_FILE = "exchange-log-key.json"
_SECRET_FILE = "exchange-secret.hex"
_HOLDER_KEYS_FILE = "holder-keys.json"


def _secret_file(path: Path, make: bytes) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(make)
    return path.read_bytes()


def source_from_state(
    state_dir: Path,
    *,
    chain: LedgerChain,
    agency: str,
    signing_key: SigningKey,
    store: ExchangeStore | None = None,
) -> DataSource:
    """The `DataSource` of the agency whose state directory is `state_dir` (not opened)."""
    store = store or SqliteExchangeStore(state_dir / EXCHANGE_STORE_FILE)
    log_jwk = _secret_file(
        state_dir / _LOG_KEY_FILE, orjson.dumps(SourceLogKey.generate().to_private_jwk())
    )
    secret = _secret_file(state_dir / _SECRET_FILE, secrets.token_hex(32).encode())
    holder_keys: dict[str, dict[str, str]] = {}
    holder_path = state_dir / _HOLDER_KEYS_FILE
    try:
        log_key = SourceLogKey.from_private_jwk(untrusted_json.loads(log_jwk))
        if holder_path.exists():
            holder_keys = untrusted_json.load_file(holder_path)
        if not isinstance(holder_keys, dict):
            raise ConfigError(f"{holder_path} is not an object of subject id -> JWK")
    except JsonRejected as exc:
        raise ConfigError(f"the data service state in {state_dir} is unreadable: {exc}") from exc
    return DataSource(
        store=store,
        register=StoreRegister(store),
        chain=chain,
        agency=agency,
        signing_key=signing_key,
        log_key=log_key,
        pseudonym_secret=bytes.fromhex(secret.decode("ascii").strip()),
        holder_keys=DictHolderKeys(holder_keys),
    )
