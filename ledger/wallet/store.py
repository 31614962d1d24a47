"""The citizen wallet's encrypted store: one SQLite file in the wallet home.

Layout (`wallet.sqlite`, format version 2)::

    header(id=1, format, version, store_id, salt, kdf, canary, manifest, created_at, header_sum)
    records(kind, rid, blob)            -- PRIMARY KEY (kind, rid)

* The key is derived from the passphrase with Argon2id (`_crypto.KdfParams`, stored in the header
  beside the salt so the cost can be raised later with `change_passphrase`). It is never written.
* `header_sum` is SHA-256 over the header fields the key and the passphrase check depend on
  (format, version, store id, salt, KDF parameters, canary, created_at). It is checked before the
  passphrase, so a damaged header is reported as damage (`WalletHeaderDamaged`), not as a wrong
  passphrase: with a flipped salt or KDF byte the right passphrase derives the wrong key, and
  without the checksum the two could not be told apart.
* `canary` is AES-GCM of a fixed text under the key: with the header intact, a failing tag means
  a wrong passphrase → `WrongWalletPassphrase`, raised before anything else is touched.
* Every record blob is AES-256-GCM under the key, fresh random nonce per write, associated data
  (store id, kind, record id): a blob moved to another row, kind or wallet fails its tag.
* `manifest` is AES-GCM of {generation, kind -> record id -> SHA-256(blob)}. It is rewritten in the
  same SQLite transaction as every change, so a row deleted, added, swapped or reverted to an
  older ciphertext outside the wallet no longer matches it → `WalletStoreTampered`. Every read
  checks the rows it returns against the manifest; `open` checks all rows.
* So any byte of the file changed, by accident or on purpose, ends in a `WalletStoreDamaged`
  error naming what is damaged (SQLite's structure → `WalletStoreCorrupt`, the header →
  `WalletHeaderDamaged`, the manifest or a record → `WalletStoreTampered`) or in no change at all
  (bytes SQLite does not read: free space, unused header fields). Never in a wrong passphrase,
  never in different content (checked flipping every byte: `tests/wallet/test_wallet_damage.py`).
* Durability: rollback journal (`journal_mode=DELETE`) with `synchronous=FULL`, each logical
  change in one `BEGIN IMMEDIATE` transaction. A crash at any point leaves the old or the new state
  (SQLite rolls a hot journal back on the next open). DELETE rather than WAL because at rest the
  wallet is then a single self-contained file (no -wal/-shm companions to lose when copied), and
  a wallet writes a few records a day, so WAL's write throughput buys nothing. A full disk (or
  file size limit) fails the change with `StorageFull` / `StorageError` and leaves the old state.
* A version-1 store (before `header_sum`) opens as before and is upgraded in place once the
  passphrase has unlocked it and every record checked out; until then a wrong passphrase on it
  still cannot be told from a damaged header, and the error says so.

Known limits: replacing the whole file by an older copy of itself (a consistent snapshot) cannot be
detected from inside the file; that needs state kept elsewhere. The header checksum is unkeyed (it
must be checkable without the passphrase), so it catches damage, not an attacker: one who edits
the salt or KDF parameters and recomputes it makes the wallet report a wrong passphrase. That only
denies access, which deleting the file does too; it reveals nothing and lets nothing be forged.

Why one module of some 650 lines: every accessor reads and writes through the same sealing (key,
associated data, manifest, one transaction per change), and the guarantees above hold only as a
whole; split, the argument would have to be re-assembled across files to be checked.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger import untrusted_json
from ledger._atomic import publish
from ledger._rand import Clock, Rng
from ledger.errors import (
    InputError,
    StorageError,
    WalletAlreadyExists,
    WalletError,
    WalletHeaderDamaged,
    WalletHomeUnusable,
    WalletNotFound,
    WalletPassphraseInvalid,
    WalletRecordNotFound,
    WalletStoreCorrupt,
    WalletStoreTampered,
    WrongWalletPassphrase,
)
from ledger.wallet import _crypto
from ledger.wallet._crypto import DEFAULT_KDF, InvalidTag, KdfParams
from ledger.wallet._db import (
    FORMAT,
    SCHEMA,
    VERSION,
    add_header_sum,
    connect,
    db_errors,
    header_sum,
    read_header,
    store_path,
)
from ledger.wallet.home import FILE_MODE, STORE_FILE, ensure_home
from ledger.wallet.records import (
    KIND_CREDENTIAL,
    KIND_DATA_CONSENT,
    KIND_HISTORY,
    KIND_KEY,
    KIND_META,
    KINDS,
    HistoryEntry,
    HolderKeyRecord,
    StoredCredential,
    check_record_id,
    history_record_id,
)

_CANARY = b"ledger-wallet canary v1"

Manifest = dict[str, dict[str, str]]
_Change = tuple[str, str, Any]  # (kind, record id, JSON object or None to delete)

__all__ = ["StoreCheck", "WalletStore", "store_path"]


@dataclass(frozen=True)
class StoreCheck:
    """Result of `WalletStore.verify`: every record decrypted and matched the manifest."""

    generation: int
    keys: int
    credentials: int
    history: int
    meta: int
    data_consents: int = 0


@dataclass
class _State:
    generation: int
    records: Manifest


def _digest(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _encode(obj: Any) -> bytes:
    try:
        return _crypto.canonical_json(obj)
    except (TypeError, ValueError) as exc:
        raise InputError(f"value is not JSON-serializable: {exc}") from exc


class WalletStore:
    """An unlocked wallet store. Get one from `create`, `open` (or `backup.restore_backup`).

    Use as a context manager or call `close()`. Not safe to share across threads; separate
    processes may use the same store (writes serialize on SQLite's lock).
    """

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        key: bytes,
        store_id: bytes,
        kdf_params: KdfParams,
        *,
        now: Clock | None = None,
        rng: Rng | None = None,
    ) -> None:
        """Wrap an open connection and derived key (no I/O); prefer `create` / `open`."""
        self._path = path
        self._conn = conn
        self._key = key
        self._store_id = store_id
        self._kdf = kdf_params
        self._now: Clock = time.time if now is None else now
        self._rng: Rng = os.urandom if rng is None else rng

    # -- lifecycle ------------------------------------------------------------------------------

    @staticmethod
    def exists(home: Path) -> bool:
        """Whether `home` holds a wallet store file."""
        return store_path(home).exists()

    @classmethod
    def create(
        cls,
        home: Path,
        passphrase: str,
        *,
        kdf_params: KdfParams = DEFAULT_KDF,
        now: Clock | None = None,
        rng: Rng | None = None,
    ) -> WalletStore:
        """Create an empty store in `home` (made 0o700 if new) and return it unlocked.

        The file is built under a temporary name and linked into place, so a crash leaves either
        no wallet or a complete one. Raises `WalletAlreadyExists` if `home` has a store.
        """
        return cls._build(home, passphrase, (), kdf_params=kdf_params, now=now, rng=rng)

    @classmethod
    def open(
        cls, home: Path, passphrase: str, *, now: Clock | None = None, rng: Rng | None = None
    ) -> WalletStore:
        """Unlock the store in `home` and check every row against the manifest.

        Raises `WalletNotFound`, `WrongWalletPassphrase`, or a `WalletStoreDamaged`:
        `WalletHeaderDamaged` (checked before the passphrase), `WalletStoreCorrupt` (not a
        wallet, truncated, garbage) or `WalletStoreTampered`. A version-1 store is upgraded in
        place once unlocked (best effort: it opens even if the upgrade cannot be written).
        """
        path = store_path(home)
        if not path.is_file():
            raise WalletNotFound(f"no wallet in {home} (run `wallet init` first)")
        with db_errors(path):
            conn = connect(path)
        try:
            with db_errors(path):
                header = read_header(conn, path)
                if header.checksum is not None and not header.intact():
                    raise WalletHeaderDamaged(
                        f"wallet store {path} is damaged: its header (store id, salt, KDF "
                        "parameters or passphrase check) does not match its checksum"
                    )
                store_id = header.store_id
                try:
                    kdf = KdfParams.from_json(untrusted_json.loads(header.kdf))
                except (InputError, ValueError) as exc:
                    raise WalletStoreCorrupt(f"wallet store {path}: bad KDF header") from exc
                key = _crypto.derive_key(passphrase, header.salt, kdf)
                try:
                    _crypto.unseal(key, header.canary, _crypto.aad("canary", store_id))
                except InvalidTag:
                    old = header.checksum is None  # a version-1 header cannot be checked
                    raise WrongWalletPassphrase(
                        f"wrong passphrase for the wallet in {home}"
                        + (" (or its header is damaged: this older file cannot tell)" * old)
                    ) from None
                store = cls(path, conn, key, store_id, kdf, now=now, rng=rng)
                store._check_all_digests()
            if header.checksum is None:
                quiet = contextlib.suppress(WalletError, StorageError)
                with quiet, db_errors(path), store._transaction(immediate=True):
                    add_header_sum(conn)
            return store
        except BaseException:
            conn.close()
            raise

    @classmethod
    def _build(
        cls,
        home: Path,
        passphrase: str,
        records: Sequence[tuple[str, str, Any]],
        *,
        kdf_params: KdfParams,
        now: Clock | None,
        rng: Rng | None,
        replace: bool = False,
    ) -> WalletStore:
        """Write a complete store (with `records`) to a temp file, then move it into place."""
        if not passphrase:
            raise WalletPassphraseInvalid("the passphrase must not be empty")
        home = Path(home)
        final = store_path(home)
        if final.exists() and not replace:
            raise WalletAlreadyExists(f"a wallet already exists in {home}")
        get_random: Rng = os.urandom if rng is None else rng
        clock: Clock = time.time if now is None else now
        tmp = home / f".{STORE_FILE}.tmp-{get_random(8).hex()}"
        try:
            ensure_home(home)
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
        except OSError as exc:
            raise WalletHomeUnusable(
                f"cannot create a wallet in {home}: {exc.strerror or exc}"
            ) from exc
        try:
            with db_errors(tmp):
                conn = connect(tmp)
                try:
                    conn.executescript(SCHEMA)
                    store_id = get_random(16)
                    salt = get_random(_crypto.SALT_BYTES)
                    key = _crypto.derive_key(passphrase, salt, kdf_params)
                    store = cls(tmp, conn, key, store_id, kdf_params, now=clock, rng=get_random)
                    conn.execute("BEGIN IMMEDIATE")
                    state = _State(0, {kind: {} for kind in KINDS})
                    for kind, rid, obj in records:
                        store._put_row(state, kind, rid, obj)
                    kdf_json = json.dumps(kdf_params.to_json())
                    canary, created_at = store._seal_canary(key), int(clock())
                    conn.execute(
                        "INSERT INTO header VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            FORMAT,
                            VERSION,
                            store_id,
                            salt,
                            kdf_json,
                            canary,
                            store._seal_manifest(state, key),
                            created_at,
                            header_sum(VERSION, store_id, salt, kdf_json, canary, created_at),
                        ),
                    )
                    conn.execute("COMMIT")
                finally:
                    conn.close()
            os.chmod(tmp, FILE_MODE)
            if replace:
                # A stale hot journal would be "rolled back" into the new file: drop it first.
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(home / f"{STORE_FILE}-journal")
            try:  # without `replace`, never clobber a wallet that appeared meanwhile
                publish(tmp, final, exclusive=not replace)
            except FileExistsError:
                raise WalletAlreadyExists(f"a wallet already exists in {home}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        with db_errors(final):
            conn = connect(final)
        return cls(final, conn, key, store_id, kdf_params, now=clock, rng=get_random)

    def close(self) -> None:
        """Close the database connection. The store object is unusable afterwards."""
        self._conn.close()

    def __enter__(self) -> WalletStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- properties -----------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The store file."""
        return self._path

    @property
    def store_id(self) -> str:
        """Random id of this store (hex), bound into every record's associated data."""
        return self._store_id.hex()

    @property
    def kdf_params(self) -> KdfParams:
        """The KDF cost parameters the current passphrase key was derived with."""
        return self._kdf

    @property
    def generation(self) -> int:
        """Number of committed changes since creation (from the authenticated manifest)."""
        with self._read() as state:
            return state.generation

    # -- holder keys ----------------------------------------------------------------------------

    def put_key(self, key_id: str, jwk: Mapping[str, Any], *, label: str = "") -> HolderKeyRecord:
        """Store (or replace) the private holder JWK `jwk` under `key_id`."""
        record = HolderKeyRecord(check_record_id(key_id), dict(jwk), int(self._now()), label)
        self._write([(KIND_KEY, key_id, record.to_json())])
        return record

    def get_key(self, key_id: str) -> HolderKeyRecord:
        """The holder key `key_id`; `WalletRecordNotFound` if absent."""
        return HolderKeyRecord.from_json(self._get(KIND_KEY, key_id))

    def keys(self) -> tuple[HolderKeyRecord, ...]:
        """All holder keys, ordered by key id."""
        return tuple(HolderKeyRecord.from_json(o) for _, o in self._list(KIND_KEY))

    # -- credentials ----------------------------------------------------------------------------

    def put_credential(
        self, cred_id: str, compact: str, metadata: Mapping[str, Any]
    ) -> StoredCredential:
        """Store (or replace) credential `cred_id`: its SD-JWT compact form and JSON metadata."""
        if not isinstance(compact, str) or not compact:
            raise InputError("credential compact form must be a non-empty string")
        check_record_id(cred_id)
        record = StoredCredential(cred_id, compact, dict(metadata), int(self._now()))
        self._write([(KIND_CREDENTIAL, cred_id, record.to_json())])
        return record

    def get_credential(self, cred_id: str) -> StoredCredential:
        """Credential `cred_id`; `WalletRecordNotFound` if absent."""
        return StoredCredential.from_json(self._get(KIND_CREDENTIAL, cred_id))

    def list_credentials(self) -> tuple[StoredCredential, ...]:
        """All credentials, ordered by credential id."""
        return tuple(StoredCredential.from_json(o) for _, o in self._list(KIND_CREDENTIAL))

    def delete_credential(self, cred_id: str) -> None:
        """Delete credential `cred_id`; `WalletRecordNotFound` if absent."""
        self._write([(KIND_CREDENTIAL, cred_id, None)])

    # -- disclosure history ---------------------------------------------------------------------

    def add_history(
        self,
        *,
        verifier_address: str,
        verifier_name: str,
        purpose: str,
        claims: Sequence[str],
        credential_id: str,
        at: int | None = None,
    ) -> HistoryEntry:
        """Append a disclosure to the history (`at` defaults to now) and return it."""
        if isinstance(claims, str) or not all(isinstance(c, str) for c in claims):
            raise InputError("claims must be a sequence of claim names")
        when = int(self._now()) if at is None else int(at)
        fields = (verifier_address, verifier_name, purpose, tuple(claims), credential_id)

        def make(state: _State) -> list[tuple[str, str, Any]]:
            seq = 1 + max((int(r) for r in state.records[KIND_HISTORY]), default=0)
            entry = HistoryEntry(seq, when, *fields)
            made.append(entry)
            return [(KIND_HISTORY, history_record_id(seq), entry.to_json())]

        made: list[HistoryEntry] = []
        self._write(make)
        return made[0]

    def history(self) -> tuple[HistoryEntry, ...]:
        """Every disclosure, oldest first."""
        return tuple(HistoryEntry.from_json(o) for _, o in self._list(KIND_HISTORY))

    # -- consents to once-only pulls (records of ledger.wallet.data_consents) ------------------

    def put_data_consent(self, consent_id: str, record: Mapping[str, Any]) -> None:
        """Store (or replace) the JSON record of a consent the citizen granted."""
        self._write([(KIND_DATA_CONSENT, check_record_id(consent_id), dict(record))])

    def get_data_consent(self, consent_id: str) -> dict[str, Any]:
        """The JSON record of consent `consent_id`; `WalletRecordNotFound` if absent."""
        return self._get(KIND_DATA_CONSENT, consent_id)

    def data_consents(self) -> list[dict[str, Any]]:
        """The JSON records of every consent, ordered by id."""
        return [obj for _, obj in self._list(KIND_DATA_CONSENT)]

    # -- meta -----------------------------------------------------------------------------------

    def set_meta(self, name: str, value: Any) -> None:
        """Store a JSON value under `name` (wallet settings, default key id, ...)."""
        self._write([(KIND_META, check_record_id(name), {"value": value})])

    def get_meta(self, name: str, default: Any = None) -> Any:
        """The JSON value stored under `name`, or `default`."""
        try:
            return self._get(KIND_META, name).get("value", default)
        except WalletRecordNotFound:
            return default

    # -- whole-store operations -----------------------------------------------------------------

    def verify(self) -> StoreCheck:
        """Decrypt every record and check it against the manifest; raise on any mismatch."""
        counts = {kind: len(self._list(kind)) for kind in KINDS}
        with self._read() as state:
            return StoreCheck(
                state.generation,
                counts[KIND_KEY],
                counts[KIND_CREDENTIAL],
                counts[KIND_HISTORY],
                counts[KIND_META],
                counts[KIND_DATA_CONSENT],
            )

    def change_passphrase(
        self, new_passphrase: str, *, kdf_params: KdfParams | None = None
    ) -> None:
        """Re-encrypt everything under a key from `new_passphrase` (new salt; maybe new cost).

        One transaction: a crash leaves the store under either the old or the new passphrase.
        """
        if not new_passphrase:
            raise WalletPassphraseInvalid("the passphrase must not be empty")
        params = self._kdf if kdf_params is None else kdf_params
        salt = self._rng(_crypto.SALT_BYTES)
        new_key = _crypto.derive_key(new_passphrase, salt, params)
        with db_errors(self._path), self._transaction(immediate=True):
            state = self._load_state()
            add_header_sum(self._conn)  # a version-1 store that could not be upgraded on open
            rows = [(k, r, self._decrypt_row(k, r, b)) for k, r, b in self._all_rows()]
            old_key, self._key = self._key, new_key
            try:
                fresh = _State(state.generation + 1, {kind: {} for kind in KINDS})
                for kind, rid, obj in rows:
                    self._put_row(fresh, kind, rid, obj)
                kdf_json, canary = json.dumps(params.to_json()), self._seal_canary(new_key)
                version, created_at = self._conn.execute(
                    "SELECT version, created_at FROM header WHERE id = 1"
                ).fetchone()
                self._conn.execute(
                    "UPDATE header SET salt = ?, kdf = ?, canary = ?, manifest = ?, "
                    "header_sum = ? WHERE id = 1",
                    (
                        salt,
                        kdf_json,
                        canary,
                        self._seal_manifest(fresh, new_key),
                        header_sum(version, self._store_id, salt, kdf_json, canary, created_at),
                    ),
                )
            except BaseException:
                self._key = old_key
                raise
        self._kdf = params

    def _records_for_backup(self) -> list[tuple[str, str, Any]]:
        """Every record decrypted and checked, as (kind, id, JSON). Plaintext secrets: internal."""
        with db_errors(self._path), self._transaction(immediate=False):
            state = self._load_state()
            self._check_rows(state, self._all_rows(), KINDS)
            return [(k, r, self._decrypt_row(k, r, b)) for k, r, b in self._all_rows()]

    # -- internals ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self, *, immediate: bool) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            # Also after a failed COMMIT (busy, I/O error): never leave a transaction open.
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _read(self) -> Iterator[_State]:
        with db_errors(self._path), self._transaction(immediate=False):
            yield self._load_state()

    def _load_state(self) -> _State:
        row = self._conn.execute("SELECT manifest FROM header WHERE id = 1").fetchone()
        if row is None or not isinstance(row[0], bytes):
            raise WalletStoreCorrupt(f"wallet store {self._path} has no manifest")
        try:
            plain = _crypto.unseal(self._key, row[0], _crypto.aad("manifest", self._store_id))
        except InvalidTag:
            raise WalletStoreTampered(
                f"the manifest of wallet store {self._path} fails its authentication tag"
            ) from None
        try:
            obj = untrusted_json.loads(plain, max_bytes=len(plain))  # authenticated
            records: Manifest = {kind: dict(obj["records"].get(kind, {})) for kind in KINDS}
            return _State(int(obj["generation"]), records)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WalletStoreCorrupt(f"wallet store {self._path}: malformed manifest") from exc

    def _seal_manifest(self, state: _State, key: bytes) -> bytes:
        plain = _encode({"generation": state.generation, "records": state.records})
        return _crypto.seal(key, plain, _crypto.aad("manifest", self._store_id), self._rng)

    def _seal_canary(self, key: bytes) -> bytes:
        return _crypto.seal(key, _CANARY, _crypto.aad("canary", self._store_id), self._rng)

    def _record_aad(self, kind: str, rid: str) -> bytes:
        return _crypto.aad("record", self._store_id, kind, rid)

    def _put_row(self, state: _State, kind: str, rid: str, obj: Any) -> None:
        blob = _crypto.seal(self._key, _encode(obj), self._record_aad(kind, rid), self._rng)
        self._conn.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", (kind, rid, blob))
        state.records[kind][rid] = _digest(blob)

    def _write(
        self,
        changes: Sequence[tuple[str, str, Any]]
        | Callable[[_State], Sequence[tuple[str, str, Any]]],
    ) -> None:
        """Apply changes ((kind, id, JSON or None to delete)) and the new manifest atomically."""
        with db_errors(self._path), self._transaction(immediate=True):
            state = self._load_state()
            todo = changes(state) if callable(changes) else changes
            for kind, rid, obj in todo:
                if obj is None:
                    if rid not in state.records[kind]:
                        raise WalletRecordNotFound(f"no {kind} {rid!r} in the wallet")
                    self._conn.execute(
                        "DELETE FROM records WHERE kind = ? AND rid = ?", (kind, rid)
                    )
                    del state.records[kind][rid]
                else:
                    self._put_row(state, kind, rid, obj)
            state.generation += 1
            self._conn.execute(
                "UPDATE header SET manifest = ? WHERE id = 1",
                (self._seal_manifest(state, self._key),),
            )

    def _all_rows(self) -> list[tuple[str, str, bytes]]:
        return list(self._conn.execute("SELECT kind, rid, blob FROM records ORDER BY kind, rid"))

    def _check_rows(
        self, state: _State, rows: Sequence[tuple[str, str, bytes]], kinds: Sequence[str]
    ) -> None:
        """`rows` must be exactly the manifest's entries for `kinds`, byte for byte."""
        seen: dict[str, set[str]] = {kind: set() for kind in KINDS}
        for kind, rid, blob in rows:
            if kind not in state.records or rid not in state.records[kind]:
                raise WalletStoreTampered(
                    f"{kind} record {rid!r} is not in the manifest (added outside the wallet)"
                )
            if not isinstance(blob, bytes) or _digest(blob) != state.records[kind][rid]:
                raise WalletStoreTampered(
                    f"{kind} record {rid!r} was modified, swapped or rolled back outside the wallet"
                )
            seen[kind].add(rid)
        for kind in kinds:
            missing = set(state.records[kind]) - seen[kind]
            if missing:
                raise WalletStoreTampered(
                    f"{kind} record {min(missing)!r} is missing (deleted outside the wallet)"
                )

    def _check_all_digests(self) -> None:
        with self._read() as state:
            self._check_rows(state, self._all_rows(), KINDS)

    def _decrypt_row(self, kind: str, rid: str, blob: bytes) -> Any:
        try:
            plain = _crypto.unseal(self._key, blob, self._record_aad(kind, rid))
        except InvalidTag:
            raise WalletStoreTampered(
                f"{kind} record {rid!r} fails its authentication tag (altered or moved)"
            ) from None
        return untrusted_json.loads(plain, max_bytes=len(plain))  # authenticated

    def _get(self, kind: str, rid: str) -> dict[str, Any]:
        with self._read() as state:
            row = self._conn.execute(
                "SELECT blob FROM records WHERE kind = ? AND rid = ?", (kind, rid)
            ).fetchone()
            if row is None and rid not in state.records[kind]:
                raise WalletRecordNotFound(f"no {kind} {rid!r} in the wallet")
            self._check_rows(state, [] if row is None else [(kind, rid, row[0])], ())
            if row is None:
                raise WalletStoreTampered(
                    f"{kind} record {rid!r} is missing (deleted outside the wallet)"
                )
            obj = self._decrypt_row(kind, rid, row[0])
        if not isinstance(obj, dict):
            raise WalletStoreCorrupt(f"{kind} record {rid!r} is not an object")
        return obj

    def _list(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        with self._read() as state:
            rows = [
                (kind, rid, blob)
                for rid, blob in self._conn.execute(
                    "SELECT rid, blob FROM records WHERE kind = ? ORDER BY rid", (kind,)
                )
            ]
            self._check_rows(state, rows, (kind,))
            out = [(rid, self._decrypt_row(kind, rid, blob)) for _, rid, blob in rows]
        for rid, obj in out:
            if not isinstance(obj, dict):
                raise WalletStoreCorrupt(f"{kind} record {rid!r} is not an object")
        return out
