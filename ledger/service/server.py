"""Running the data service under uvicorn.

`serve(app, host=..., port=...)` runs one process and returns when it stops: uvicorn catches
SIGINT and SIGTERM, finishes the requests in flight, runs the app's shutdown (the source's store
is closed) and returns. Several worker processes need the app built in each worker: write a
`SourceConfig` file and run ``uvicorn --factory ledger.service.server:app_from_env`` with
``LEDGER_SERVICE_CONFIG`` naming it (what `scripts/bench_pull.py` and the crash test do).

A `SourceConfig` holds secrets (the source's signing key, log key and pseudonym secret): it is
written with mode 0600 and is meant for tests, benchmarks and a deployment's secret store, not
for a shared disk. `ledger --as NAME serve` does not write one: it unlocks the keys and serves
one process.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI

from ledger import untrusted_json
from ledger.errors import ConfigError, JsonRejected

__all__ = ["CONFIG_ENV", "SourceConfig", "app_from_env", "serve", "source_from_config"]

CONFIG_ENV = "LEDGER_SERVICE_CONFIG"


def serve(app: FastAPI | str, *, host: str = "127.0.0.1", port: int = 8080, **options: Any) -> None:
    """Run `app` (or an import string, with ``factory=True`` and ``workers=N`` in `options`)
    until SIGINT or SIGTERM."""
    settings: dict[str, Any] = {
        "host": host,
        "port": port,
        "lifespan": "on",
        "log_level": "warning",
        "server_header": False,
        "access_log": False,
        **options,
    }
    if int(settings.get("workers") or 1) > 1:
        uvicorn.run(app, **settings)  # the supervisor starts and stops the workers
        return
    uvicorn.Server(uvicorn.Config(app, **settings)).run()


@dataclass(frozen=True)
class SourceConfig:
    """Everything a service process needs to build its `DataSource`."""

    rpc_url: str
    deployment: str
    """Path of the deployment record."""
    agency: str
    signing_key: dict[str, str]
    """The source's private P-256 JWK (a secret)."""
    log_key: dict[str, str]
    """The source's private log key JWK (a secret)."""
    pseudonym_secret: str
    """Hex, >= 32 bytes (a secret)."""
    store: str
    """A SQLite path or a postgresql:// URL."""
    holder_keys: dict[str, dict[str, str]] | None = None
    max_body_bytes: int = 16 * 1024
    rate_per_second: float = 200.0
    burst: int = 400

    def write(self, path: Path) -> None:
        """Write as JSON, mode 0600."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(orjson.dumps(asdict(self)))

    @classmethod
    def read(cls, path: Path) -> SourceConfig:
        """Read a config file (bounded parser)."""
        try:
            obj = untrusted_json.load_file(path, max_bytes=16 * 1024 * 1024)
        except (JsonRejected, OSError) as exc:
            raise ConfigError(f"cannot read the service config {path}: {exc}") from exc
        if not isinstance(obj, dict):
            raise ConfigError(f"the service config {path} is not an object")
        try:
            return cls(**obj)
        except TypeError as exc:
            raise ConfigError(f"the service config {path} has unknown or missing members") from exc


def source_from_config(config: SourceConfig) -> Any:
    """The `DataSource` a config describes (not opened)."""
    from ledger.chain.client import LedgerChain
    from ledger.chain.deploy import Deployment
    from ledger.chain.rpc import Rpc
    from ledger.exchange.pseudonym import SourceLogKey
    from ledger.exchange.register import StoreRegister
    from ledger.exchange.source import DataSource, DictHolderKeys
    from ledger.exchange.store import ExchangeStore, SqliteExchangeStore
    from ledger.sdjwt import SigningKey

    store: ExchangeStore
    if config.store.startswith(("postgresql://", "postgres://")):
        from ledger.exchange.store_postgres import PostgresExchangeStore

        store = PostgresExchangeStore(config.store)
    else:
        store = SqliteExchangeStore(config.store)
    chain = LedgerChain(Rpc(config.rpc_url), Deployment.load(Path(config.deployment)))
    return DataSource(
        store=store,
        register=StoreRegister(store),
        chain=chain,
        agency=config.agency,
        signing_key=SigningKey.from_private_jwk(config.signing_key),
        log_key=SourceLogKey.from_private_jwk(config.log_key),
        pseudonym_secret=bytes.fromhex(config.pseudonym_secret),
        holder_keys=DictHolderKeys(config.holder_keys or {}),
    )


def app_from_env() -> FastAPI:
    """The app of the config file named by ``LEDGER_SERVICE_CONFIG`` (a uvicorn factory)."""
    from ledger.service.app import create_app
    from ledger.service.limits import ServiceLimits

    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise ConfigError(f"set {CONFIG_ENV} to the service config file")
    config = SourceConfig.read(Path(path))
    limits = ServiceLimits(config.max_body_bytes, config.rate_per_second, config.burst)
    return create_app(source_from_config(config), limits=limits)
