"""What a verifying agency does: `request` (a signed presentation request for a wallet) and
`verify` (a presentation against its request, every check printed).

The verifier is `--as NAME` (for `verify`, by default the local account that signed the
request); its request nonces live in `<home>/agencies/<NAME>/nonces.sqlite`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ledger.agency.deliveries import check_writable, write_file
from ledger.agency.nonces import NonceStore
from ledger.agency.packages import PresentationPackage
from ledger.agency.request import PresentationRequest
from ledger.agency.verifier import Verifier
from ledger.cli._common import CliError, describe, emit, load_json_file, reports_errors
from ledger.cli._ledger_accounts import name_of
from ledger.cli._ledger_context import LedgerContext, format_time, pass_ledger, split_list
from ledger.errors import AgencyKeyNotFound, InputError, LedgerError, VerificationError

__all__ = ["CouldNotVerify", "request", "verify"]

NONCES_FILE = "nonces.sqlite"


class CouldNotVerify(CliError):
    """`ledger verify` could not reach a verdict (exit code 3)."""

    exit_code = 3


def _verifier(ctx: LedgerContext, name: str, nonces: NonceStore,
              status_privacy: str = "direct") -> Verifier:
    return Verifier(ctx.reader(), account=ctx.unlock(name), nonce_store=nonces,
                    status_privacy=status_privacy)


@click.command()
@click.option("--type", "vct", required=True, help="Credential type (vct) to ask for.")
@click.option("--claims", required=True, help="Comma-separated claim paths to ask for.")
@click.option("--purpose", required=True, help="The purpose registered for this verifier.")
@click.option("--out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the signed request for the wallet.")
@click.option("--ttl", type=click.IntRange(1, 24 * 3600), default=600, show_default=True,
              help="Seconds the request stays valid.")
@click.option("--unsafe-allow-unregistered", "unsafe", is_flag=True,
              help="Write the request even if this verifier is not registered for it (for "
                   "testing wallets' refusals; never to ask a citizen for anything).")
@pass_ledger
@reports_errors
def request(ctx: LedgerContext, vct: str, claims: str, purpose: str, out: Path,
            ttl: int, unsafe: bool) -> None:
    """Write a signed presentation request (OpenID4VP DCQL shape) for a wallet.

    Refused unless this verifier is registered on chain for the claims, type and purpose.
    """
    name = ctx.acting()
    check_writable(out)
    with NonceStore(ctx.state_dir(name) / NONCES_FILE) as nonces:
        verifier = _verifier(ctx, name, nonces)
        req = verifier.create_request(vct=vct, claims=split_list(claims), purpose=purpose,
                                      ttl=ttl, unsafe_allow_unregistered=unsafe)
        gap = verifier.registration_gap(req) if unsafe else None
    if gap is not None:
        click.echo(f"Warning: {gap} (see `ledger verifier register`); wallets will refuse "
                   "this request by default.", err=True)
    write_file(out, req.to_json())
    emit({"out": str(out), "nonce": req.nonce, "expires_at": req.expires_at,
          "verifier": req.verifier, "type_id": req.type_id},
         f"Wrote request to {out} (expires {format_time(req.expires_at)}).", as_json=ctx.as_json)


@click.command()
@click.option("--request", "request_file", required=True, type=click.Path(path_type=Path),
              help="The request file this verifier wrote (`ledger request`).")
@click.argument("presentation_file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--status-privacy", type=click.Choice(["direct", "herd"]), default="direct",
              show_default=True,
              help="herd: the RPC node learns the status list and batch root, not the "
                   "credential's status index nor which credential of a batch is checked "
                   "(whole lists are read; see docs/security.md).")
@pass_ledger
def verify(ctx: LedgerContext, request_file: Path, presentation_file: Path,
           as_json: bool, status_privacy: str) -> None:
    """Verify PRESENTATION_FILE against its request and print every check and its outcome.

    Exits 0 when the presentation is valid; 1 when it is rejected (including a presentation
    file that is missing or not a presentation); 3 when the verifier could not reach a verdict
    (its request file, its account, the chain). The verifier is --as NAME, by default the
    local account that signed the request.
    """
    try:
        _verify(ctx, request_file, presentation_file, as_json, status_privacy)
    except VerificationError as exc:
        raise CliError(describe(exc)) from exc
    except LedgerError as exc:
        raise CouldNotVerify(describe(exc)) from exc


def _verify(ctx: LedgerContext, request_file: Path, presentation_file: Path,
            as_json: bool, status_privacy: str) -> None:
    req = load_json_file(request_file, PresentationRequest.from_dict)
    try:
        package = load_json_file(presentation_file,
                             lambda doc: PresentationPackage.from_json(json.dumps(doc)))
    except InputError as exc:  # nothing valid was presented: a verdict, not a failure to verify
        raise CliError(str(exc)) from exc
    name = ctx.account or name_of(ctx.home, req.verifier)
    if name is None:
        raise AgencyKeyNotFound(
            f"the request's verifier {req.verifier} has no account in this ledger home"
        )
    with NonceStore(ctx.state_dir(name) / NONCES_FILE) as nonces:
        try:
            result = _verifier(ctx, name, nonces, status_privacy).verify(package, req)
        except VerificationError as exc:
            report = exc.report
            if report is None:
                raise
            emit(report.to_dict(), report.render_text().rstrip("\n"),
                 as_json=ctx.as_json or as_json)
            click.get_current_context().exit(1)
    # What the verifier learns: exactly the requested claims, and who vouches for them.
    data = {**result.report.to_dict(), "claims": result.claims,
            "issuer": {"address": result.issuer_address, "name": result.issuer_name},
            "vct": result.vct}
    lines = [result.report.render_text().rstrip("\n"),
             f"Disclosed claims (issued by {result.issuer_name}):"]
    lines += [f"  {path} = {json.dumps(value, ensure_ascii=False)}"
              for path, value in sorted(_flatten(result.claims))]
    emit(data, "\n".join(lines), as_json=ctx.as_json or as_json)


def _flatten(claims: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """("address.municipality", "København") pairs for nested claim objects."""
    if not isinstance(claims, dict) or not claims:
        return [(prefix, claims)]
    out: list[tuple[str, Any]] = []
    for key, value in claims.items():
        out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    return out
