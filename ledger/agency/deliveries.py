"""Delivery records: where an agency writes each credential once its anchor is mined.

A credential can only be handed to its holder once its anchor is mined, and the run that signed
it may stop before then. So the run records first where the credential goes, in the agency's
`deliveries/` directory, and whichever run later sees the anchor mined writes the file:

- `<id>.path` names one credential file (`issue`), one record per credential so concurrent
  runs never overwrite each other's records;
- `<name>.many` is a manifest `{"out": ..., "ids": [...]}` naming one JSON Lines file
  (`issue-many`), written once every credential it names is anchored.

Guarantees: a record is written before its credential is signed and removed only after its
file is written, or once the outbox shows the credential will never be anchored (discarded,
or never received: its run stopped while signing). A run that may still queue the credentials
of a record holds it (`held`, a shared `flock` that dies with the process); `deliver` leaves a
held record alone instead of dropping it as the record of a run that stopped before queueing
anything. Files are written atomically (`ledger._atomic`). The constructor does no I/O.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ledger import untrusted_json
from ledger._atomic import write_atomic
from ledger._rand import Rng
from ledger.agency.issuer import Issuer, PendingIssue, package_id
from ledger.agency.packages import CREDENTIAL_FORMAT, CredentialPackage
from ledger.errors import (
    CredentialDiscarded,
    CredentialNotFound,
    CredentialNotYetAnchored,
    InputError,
    JsonRejected,
    LedgerError,
)
from ledger.home import ensure_dir

__all__ = [
    "DELIVERIES_DIR",
    "Deliveries",
    "DeliveryReport",
    "check_writable",
    "held",
    "json_line",
    "write_credential",
    "write_file",
    "write_json_lines",
]

#: The directory of an agency's state directory that holds its delivery records.
DELIVERIES_DIR = "deliveries"


@dataclass(frozen=True)
class DeliveryReport:
    """What `Deliveries.deliver` did: the ids of the credentials it wrote, and how many
    recorded credentials still wait for their anchor (or for the run that holds their record)."""

    written: frozenset[str]
    waiting: int


@contextmanager
def held(record: Path) -> Iterator[None]:
    """Hold a delivery record while the run that wrote it may still queue its credentials:
    `Deliveries.deliver` run meanwhile leaves it alone instead of dropping it as the record of a
    run that stopped before queueing anything. The lock dies with the process."""
    fd = os.open(record, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _in_use(record: Path) -> bool:
    """Whether a live run holds `record` (see `held`)."""
    try:
        fd = os.open(record, os.O_RDONLY)
    except FileNotFoundError:  # its run finished meanwhile
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _in_outbox(issuer: Issuer, credential_id: str) -> bool:
    try:
        issuer.delivered(credential_id)
    except CredentialNotFound:
        return False
    except CredentialNotYetAnchored:
        pass
    return True


class Deliveries:
    """The delivery records of one agency, in `directory` (created on first write)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @classmethod
    def of(cls, state_dir: Path) -> Deliveries:
        """The delivery records of the agency whose state directory is `state_dir`."""
        return cls(Path(state_dir) / DELIVERIES_DIR)

    def record_path(self, credential_id: str) -> Path:
        """Where the record of credential `credential_id` is (or would be)."""
        return self.directory / f"{credential_id}.path"

    def record(self, credential_id: str, out: Path) -> Path:
        """Record that credential `credential_id` goes to file `out`; returns the record."""
        ensure_dir(self.directory)
        path = self.record_path(credential_id)
        write_file(path, str(Path(out).resolve()) + "\n")
        return path

    def record_many(self, out: Path, ids: Sequence[str], *, rng: Rng = secrets.token_bytes) -> Path:
        """Record that the credentials `ids` go, in this order, to the JSON Lines file `out`;
        returns the manifest (hold it with `held` while its credentials are issued)."""
        ensure_dir(self.directory)
        manifest = self.directory / f"{rng(8).hex()}.many"
        write_file(manifest, json.dumps({"out": str(Path(out).resolve()), "ids": list(ids)}) + "\n")
        return manifest

    def issue(
        self,
        issuer: Issuer,
        out: Path,
        claims: Mapping[str, Any],
        *,
        vct: str,
        holder_jwk: Mapping[str, str],
        credential_id: str,
        validity: int | None = None,
        anchor: Literal["now", "batch"] = "now",
    ) -> CredentialPackage | PendingIssue:
        """`issuer.issue(...)` with `out` recorded first: a package is written to `out` at
        once; a credential left pending (queued, held, or interrupted before its anchor was
        mined) is written by a later `deliver`. A refused credential leaves no record."""
        # Recorded before the credential exists: should this run stop after signing, a later
        # `deliver` finishes it.
        record = self.record(credential_id, out)
        try:
            with held(record):
                result = issuer.issue(
                    claims,
                    vct=vct,
                    holder_jwk=holder_jwk,
                    validity=validity,
                    anchor=anchor,
                    credential_id=credential_id,
                )
        except LedgerError:
            if not _in_outbox(issuer, credential_id):  # refused: nothing will be written
                record.unlink(missing_ok=True)
            raise
        if isinstance(result, CredentialPackage):
            write_credential(out, result)
            record.unlink(missing_ok=True)  # a concurrent `deliver` may have written it
        return result

    @staticmethod
    def finish_many(manifest: Path, out: Path, packages: Sequence[CredentialPackage]) -> None:
        """Write `packages` (every credential of `manifest`, issued) to `out` and drop the
        manifest."""
        write_json_lines(out, packages)
        manifest.unlink()

    def deliver(self, issuer: Issuer) -> DeliveryReport:
        """Write every recorded credential whose anchor is mined (also those anchored by an
        earlier run that stopped before writing).

        A recorded id the outbox never received (a run stopped while signing) or discarded is
        dropped; a manifest is written once all its credentials are anchored.
        """
        written: set[str] = set()
        waiting = 0
        for record in sorted(self.directory.glob("*.path")):
            cid = record.name.removesuffix(".path")
            if _in_use(record):  # its run still goes on and writes its file itself
                waiting += 1
                continue
            try:
                package = issuer.delivered(cid)
            except (CredentialDiscarded, CredentialNotFound):  # never anchored
                record.unlink()
                continue
            except CredentialNotYetAnchored:
                waiting += 1
                continue
            write_credential(record.read_text(encoding="utf-8").strip(), package)
            record.unlink()
            written.add(cid)
        for manifest in sorted(self.directory.glob("*.many")):
            if _in_use(manifest):  # its run still goes on and writes its file itself
                continue
            doc = _read_manifest(manifest)
            packages: list[CredentialPackage] = []
            pending = 0
            for cid in doc["ids"]:
                try:
                    packages.append(issuer.delivered(cid))
                except (CredentialDiscarded, CredentialNotFound):
                    continue
                except CredentialNotYetAnchored:
                    pending += 1
            if pending:
                waiting += pending
                continue
            if not packages:  # the run stopped before any was queued: nothing to write
                manifest.unlink()
                continue
            write_json_lines(doc["out"], packages)
            manifest.unlink()
            written.update(package_id(p) for p in packages)
        return DeliveryReport(frozenset(written), waiting)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        doc = untrusted_json.load_file(str(path))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except OSError as exc:
        raise InputError(f"{path}: not a JSON file ({exc.strerror or exc})") from exc
    except JsonRejected as exc:
        raise type(exc)(f"{path}: not a JSON file ({exc})") from exc
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a delivery manifest")
    return doc


def json_line(package: CredentialPackage) -> str:
    """`package.to_json()` on one line (the same document; the C encoder, ~10x faster than
    the indented form, which matters for tens of thousands of credentials)."""
    doc = {
        "format": CREDENTIAL_FORMAT,
        "sd_jwt": package.sd_jwt,
        "anchor": package.anchor.to_dict(),
        "type_id": package.type_id,
        "chain_id": package.chain_id,
        "metadata": package.metadata,
    }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


def check_writable(path: Path) -> Path:
    """`path` if a file can be created there (checked before anything is signed or anchored,
    so a credential is never anchored only to fail at writing it out); `InputError` if not."""
    parent = path.resolve().parent
    if not parent.is_dir():
        raise InputError(f"{path}: no such directory {parent}")
    if path.is_dir():
        raise InputError(f"{path}: is a directory")
    if not os.access(parent, os.W_OK):
        raise InputError(f"{path}: directory {parent} is not writable")
    return path


def write_file(path: str | Path, text: str) -> None:
    """Write `text` to `path` atomically; `InputError` naming the file if it cannot."""
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def write_credential(path: str | Path, package: CredentialPackage) -> None:
    """Write the credential file `path` (atomically); `InputError` if it cannot be written."""
    write_file(path, package.to_json() + "\n")


def write_json_lines(path: str | Path, packages: Sequence[CredentialPackage]) -> None:
    """Write `packages` as a JSON Lines file (atomically), one credential file per line."""
    write_file(path, "".join(json_line(p) + "\n" for p in packages))
