"""What an issuing agency does: `issue`, `issue-many`, `anchor`, `revoke|suspend|reinstate`
(its signing keys are `ledger keys`, in `_ledger_keys`; verifying is `_ledger_verify`).

The acting agency is `--as NAME`. Its signing keys sit beside its account keystore (same
passphrase); its issuer outbox and its delivery records live in `<home>/agencies/<NAME>/`.
Issuing signs with the agency's local key that is registered on chain and valid now (or
`--kid`). Batched credentials (`issue --batch`) are written to their `--out` file by
`ledger anchor`, once their batch root is mined; so are credentials anchored alone whose `issue`
run stopped before their anchor was mined (`ledger.agency.deliveries`).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ledger import untrusted_json
from ledger.agency.deliveries import (
    DELIVERIES_DIR,
    Deliveries,
    DeliveryReport,
    check_writable,
    json_line,
    write_credential,
)
from ledger.agency.deliveries import held as holding
from ledger.agency.issuer import Issuer, IssueRequest, PendingIssue, package_id
from ledger.agency.packages import CredentialPackage
from ledger.cli._common import emit, load_json_file, progress, read_json_file, reports_errors
from ledger.cli._ledger_accounts import keyring
from ledger.cli._ledger_context import LedgerContext, pass_ledger
from ledger.cli._ledger_keys import checked_kid, current_kid
from ledger.errors import InputError, JsonRejected
from ledger.home import ensure_dir
from ledger.sdjwt.jwk import SigningKey, public_key_from_jwk

__all__ = [
    "anchor",
    "issue",
    "issue_many",
    "reinstate",
    "revoke",
    "suspend",
]

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


# ---------------------------------------------------------------------------------------------
# issuing
# ---------------------------------------------------------------------------------------------


def _open_issuer(ctx: LedgerContext, kid: str | None) -> Issuer:
    chain = ctx.chain()
    name = ctx.acting()
    kid = checked_kid(ctx, chain, kid) if kid else current_kid(ctx, chain)
    key = keyring(ctx.home).unlock_signing_key(name, kid, ctx.passphrase(name))
    return Issuer.open(chain, key, ctx.state_dir(), **ctx.finality())


def _issuer_without_key(ctx: LedgerContext) -> Issuer:
    """An issuer for work that signs no credential (anchoring queued ones, status changes):
    the signing key is not unlocked, and need not be valid any more; a throwaway key stands
    in for it and is never used."""
    return Issuer.open(ctx.chain(), SigningKey.generate(), ctx.state_dir(), **ctx.finality())


def _deliveries(ctx: LedgerContext) -> Deliveries:
    """The acting agency's delivery records (`ledger.agency.deliveries`)."""
    return Deliveries(ensure_dir(ctx.state_dir() / DELIVERIES_DIR))


def _deliver_recorded(issuer: Issuer, deliveries: Deliveries) -> DeliveryReport:
    """Write every recorded credential whose anchor is mined (`Deliveries.deliver`)."""
    return deliveries.deliver(issuer)


#: One credential file on one line (the name tests use).
_compact = json_line


def _object_file(path: Path, what: str) -> dict[str, Any]:
    doc = read_json_file(str(path))
    if not isinstance(doc, dict):
        raise InputError(f"{path}: {what} must be a JSON object")
    return doc


def _holder_jwk(doc: Any) -> dict[str, Any]:
    """`doc` if it is a P-256 public JWK (`InvalidJwk` otherwise)."""
    public_key_from_jwk(doc)
    return dict(doc)


@click.command()
@click.option("--type", "vct", required=True, help="Credential type (vct).")
@click.option("--claims", "claims_file", required=True, type=click.Path(path_type=Path),
              help="JSON file with the claims (an object of claim name to value).")
@click.option("--holder-jwk", "holder_file", required=True, type=click.Path(path_type=Path),
              help="JSON file with the holder's public JWK (P-256).")
@click.option("--out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the credential file for the holder.")
@click.option("--batch", is_flag=True,
              help="Queue for a batch anchor; `ledger anchor` writes --out once it is mined.")
@click.option("--validity", type=click.IntRange(1), default=None,
              help="Seconds until the credential expires (default: no expiry).")
@click.option("--kid", default=None, help="Signing key (default: the one valid on chain now).")
@pass_ledger
@reports_errors
def issue(ctx: LedgerContext, vct: str, claims_file: Path, holder_file: Path, out: Path,
          batch: bool, validity: int | None, kid: str | None) -> None:
    """Issue a credential of --type to the holder key, anchored on chain.

    Without --batch the credential's digest is anchored now and --out written once mined. If
    the run stops before that, `ledger anchor` finishes the anchor and writes --out.
    """
    claims = _object_file(claims_file, "the claims")
    holder = load_json_file(holder_file, _holder_jwk)
    check_writable(out)
    credential_id = secrets.token_hex(16)
    try:
        with _open_issuer(ctx, kid) as issuer:
            result = _deliveries(ctx).issue(issuer, out, claims, vct=vct, holder_jwk=holder,
                                            credential_id=credential_id, validity=validity,
                                            anchor="batch" if batch else "now")
    except KeyboardInterrupt:
        click.echo(f"Interrupted: `ledger --as {ctx.acting()} anchor` writes {out} if the "
                   "credential was signed.", err=True)
        raise
    if isinstance(result, PendingIssue):
        human = (f"Queued credential {result.credential_id} for the next batch anchor; "
                 f"`ledger anchor` writes {out}.")
        if result.held:
            human = (f"Agency is suspended: credential {result.credential_id} is held, not "
                     f"anchored. Once it is reinstated, `ledger --as {ctx.acting()} held anchor` "
                     f"anchors it and writes {out}, or `held discard` drops it.")
        emit({"credential_id": result.credential_id, "anchored": False, "held": result.held,
              "out": str(out),
              "status": {"list_id": result.status.list_id, "idx": result.status.index}},
             human, as_json=ctx.as_json)
        return
    meta = result.metadata
    emit({"credential_id": package_id(result), "anchored": True, "out": str(out), **meta},
         f"Issued credential {package_id(result)} ({vct}), anchored in block "
         f"{meta.get('block_number')}; wrote {out}.", as_json=ctx.as_json)


def _read_requests(path: Path) -> list[IssueRequest]:
    """Parse a JSON Lines file of `{"claims": {...}, "holder_jwk": {...}}` objects (optional
    "id" and "validity"); `InputError` naming the line of the first bad one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    requests = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = untrusted_json.loads(line)
        except JsonRejected as exc:
            raise type(exc)(f"{path}:{number}: not JSON ({exc})") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("claims"), dict) or not (
            isinstance(doc.get("holder_jwk"), dict)
        ):
            raise InputError(f"{path}:{number}: expected an object with claims and holder_jwk")
        cid, validity = doc.get("id"), doc.get("validity")
        if cid is not None and not (isinstance(cid, str) and _ID.fullmatch(cid)):
            raise InputError(f"{path}:{number}: id must be 1-64 letters, digits, '-' or '_'")
        if validity is not None and not (isinstance(validity, int) and validity > 0):
            raise InputError(f"{path}:{number}: validity must be a positive integer")
        requests.append(IssueRequest(doc["claims"], doc["holder_jwk"], validity, cid))
    if not requests:
        raise InputError(f"{path}: no credentials to issue")
    return requests


@click.command("issue-many")
@click.option("--type", "vct", required=True, help="Credential type (vct) of every credential.")
@click.option("--input", "input_file", required=True, type=click.Path(path_type=Path),
              help='JSON Lines: one {"claims": {...}, "holder_jwk": {...}} per line, '
                   'optionally with "id" and "validity" (seconds).')
@click.option("--out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="JSON Lines file of the credential files, in input order.")
@click.option("--max-batch", type=click.IntRange(1), default=10_000, show_default=True,
              help="Most credentials under one Merkle root.")
@click.option("--kid", default=None, help="Signing key (default: the one valid on chain now).")
@pass_ledger
@reports_errors
def issue_many(ctx: LedgerContext, vct: str, input_file: Path, out: Path, max_batch: int,
               kid: str | None) -> None:
    """Issue many credentials of --type at once, anchored as Merkle batches.

    --out is written once every batch is mined. If the run stops after anchoring,
    `ledger anchor` writes it.
    """
    requests = _read_requests(input_file)
    check_writable(out)
    fresh = secrets.token_hex
    requests = [r if r.credential_id else replace(r, credential_id=fresh(16)) for r in requests]
    ids = [str(r.credential_id) for r in requests]
    if len(set(ids)) != len(ids):
        raise InputError(f"{input_file}: an id appears twice")
    deliveries = _deliveries(ctx)
    manifest = deliveries.record_many(out, ids)
    start = time.perf_counter()
    with holding(manifest):
        try:
            with _open_issuer(ctx, kid) as issuer, progress("Issuing", len(requests)) as update:
                packages = issuer.issue_many(requests, vct=vct, max_batch=max_batch,
                                             progress=update)
        except KeyboardInterrupt:
            click.echo(f"Interrupted: `ledger --as {ctx.acting()} anchor` writes {out} with the "
                       "credentials anchored before the interruption, if any.", err=True)
            raise
        seconds = time.perf_counter() - start
        deliveries.finish_many(manifest, out, packages)
    roots = {p.anchor.root for p in packages}
    rate = len(packages) / seconds if seconds > 0 else 0.0
    emit({"issued": len(packages), "batches": len(roots), "out": str(out),
          "seconds": round(seconds, 3), "per_second": round(rate, 1)},
         f"Issued {len(packages)} credentials in {len(roots)} batches in {seconds:.2f} s "
         f"({rate:.0f}/s); wrote {out}.", as_json=ctx.as_json)


@click.command()
@click.option("--max-batch", type=click.IntRange(1), default=10_000, show_default=True,
              help="Most credentials under one Merkle root.")
@click.option("--out-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Also write credentials with no recorded --out here, as <id>.json.")
@pass_ledger
@reports_errors
def anchor(ctx: LedgerContext, max_batch: int, out_dir: Path | None) -> None:
    """Anchor every queued credential (Merkle batches) and write their credential files.

    Recovers first: batches whose anchor was sent before a crash are confirmed, not re-sent,
    and anchors that vanished from the chain (a reorganisation, a devnet restarted from older
    state) are sent again. A credential is written once its anchor has its confirmations
    (`ledger --confirmations`). Credentials held while the agency was suspended are not
    anchored: `ledger held` decides.
    """
    deliveries = _deliveries(ctx)
    with _issuer_without_key(ctx) as issuer:
        recovered = issuer.recover()
        pending = issuer.outbox.pending_count()
        with progress("Anchoring batches", max(pending, 1)) as update:
            packages = issuer.flush(max_batch=max_batch, progress=update)
        report = _deliver_recorded(issuer, deliveries)
        held = issuer.outbox.held_count()
    delivered, waiting = set(report.written), report.waiting
    unrouted = 0
    for package in packages:
        cid = package_id(package)
        if cid in delivered:
            continue
        if out_dir is None:
            unrouted += 1
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        write_credential(out_dir / f"{cid}.json", package)
        delivered.add(cid)
    written = len(delivered)
    roots = sorted({p.anchor.root.hex() for p in packages if p.anchor.root is not None})
    data = {
        "anchored": len(packages),
        "batches": len(roots),
        "written": written,
        "not_written": unrouted,
        "still_waiting": waiting,
        "held": held,
        "recovered": {
            "anchored": len(recovered.anchored),
            "rebroadcast": len(recovered.rebroadcast),
            "resealed": len(recovered.resealed),
            "vanished": len(recovered.vanished),
        },
    }
    human = f"Anchored {len(packages)} credentials in {len(roots)} batches; wrote {written} files."
    if recovered.vanished:
        human += (f" {len(recovered.vanished)} anchor(s) had vanished from the chain and were "
                  "sent again.")
    if unrouted:
        human += f" {unrouted} had no --out recorded (use --out-dir)."
    if held:
        human += (f" {held} credential(s) are held (signed or queued while the agency was "
                  f"suspended) and were not anchored: `ledger --as {ctx.acting()} held list`, "
                  "then `held anchor` or `held discard`.")
    emit(data, human, as_json=ctx.as_json)


def _credential_files(paths: tuple[Path, ...]) -> list[CredentialPackage]:
    return [load_json_file(p, lambda doc: CredentialPackage.from_json(json.dumps(doc)))
            for p in paths]


def _status_command(
    verb: str, done: str, summary: str, apply: Callable[[Issuer, list[CredentialPackage]], Any]
) -> click.Command:
    @click.command(verb, help=f"{summary}. One transaction per status list.")
    @click.argument("files", metavar="CREDENTIAL_FILE...", nargs=-1, required=True,
                    type=click.Path(path_type=Path))
    @pass_ledger
    @reports_errors
    def command(ctx: LedgerContext, files: tuple[Path, ...]) -> None:
        packages = _credential_files(files)
        with _issuer_without_key(ctx) as issuer:
            receipts = apply(issuer, packages)
        emit({"credentials": len(packages), "status": verb,
              "tx": [r.tx_hash for r in receipts]},
             f"{done} {len(packages)} credential(s) in {len(receipts)} transaction(s).",
             as_json=ctx.as_json)

    return command


revoke = _status_command("revoke", "Revoked",
                         "Revoke the credentials for good (revocation is final on chain)",
                         lambda i, p: i.revoke(*p))
suspend = _status_command("suspend", "Suspended",
                          "Suspend the credentials; reinstate makes them valid again",
                          lambda i, p: i.suspend(*p))
reinstate = _status_command("reinstate", "Reinstated", "Make suspended credentials valid again",
                            lambda i, p: i.reinstate(*p))
