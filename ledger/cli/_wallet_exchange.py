"""`wallet consent grant|list|withdraw` and `wallet access-log`: the citizen's side of the
once-only exchange (issue 17).

Thin over `ledger.wallet.data_consents` and `ledger.wallet.access_log`. A consent names the
source as the agency that issued her credential of the type (from the wallet, no network), the
requester by its address or a local account name, shown with the name the chain holds for it;
she is asked before anything is signed (`--yes` for automation). A requester not registered
on chain for the purpose with the type is refused before she is asked (the source would
refuse its queries anyway); one registered on another legal basis than consent is named so.
A signed consent or withdrawal goes to the source's data service (`--source URL`) or into a
file she takes there (`--out FILE`, the same JSON body).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ledger._atomic import write_atomic
from ledger.cli._common import emit, reports_errors
from ledger.cli._wallet_context import WalletContext, check_writable, format_date, pass_wallet
from ledger.errors import ConsentDeclined, InputError

if TYPE_CHECKING:
    from ledger.chain.client import LedgerChain
    from ledger.wallet.access_log import AccessLogEntry
    from ledger.wallet.data_consents import DataConsent
    from ledger.wallet.wallet import Wallet

__all__ = ["access_log", "consent"]

_DURATION = re.compile(r"([1-9][0-9]{0,5})([mhdw])")
_UNIT = {"m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
def expiry(text: str, now: int) -> int:
    """Unix seconds from a duration after `now` (``90d``, ``12h``, ``30m``, ``2w``) or a date
    or date-time (ISO 8601, UTC unless zoned); `InputError` otherwise."""
    m = _DURATION.fullmatch(text.strip())
    if m:
        return now + int(m.group(1)) * _UNIT[m.group(2)]
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--expires {text!r}: give a duration such as 90d, 12h, 2w or a date (2027-01-31)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _destination(source_url: str | None, out: Path | None) -> None:
    if (source_url is None) == (out is None):
        raise InputError("say where it goes: --source URL (the source's service) or --out FILE")
    if out is not None:
        check_writable(out)


def _requester(w: WalletContext, name_or_address: str) -> str:
    from ledger.cli._ledger_accounts import resolve_address
    from ledger.home import ledger_home

    return resolve_address(ledger_home(w.ledger_home), name_or_address)


def _source_of(wallet: Wallet, vct: str) -> str:
    """The source of `vct`: the agency that issued her credential of that type."""
    issuers = {
        str(c.metadata.get("issuer_address"))
        for c in wallet.list()
        if c.metadata.get("vct") == vct and c.metadata.get("issuer_address")
    }
    if len(issuers) != 1:
        raise InputError(
            f"you hold no credential of type {vct}: its source is the agency that issued it"
            if not issuers
            else f"credentials of type {vct} from several issuers: cannot tell the source"
        )
    return issuers.pop()


def _named(chain: LedgerChain, address: str) -> str:
    """'Name (address)' as the chain holds it; `InputError` if it is no agency there."""
    from ledger.chain.client import AgencyStatus

    agency = chain.agency(address)
    if agency.status == AgencyStatus.NONE:
        raise InputError(f"{address} is not an agency on this ledger")
    return agency.name


def _legal_basis(chain: LedgerChain, requester: str, who: str, vct: str, purpose: str) -> str:
    """The legal basis the council registered for `requester`'s `purpose` with `vct`;
    `InputError` if it is not registered for it (the source would refuse its queries)."""
    from ledger.exchange.receipts import purpose_digest

    type_id = chain.types.type_id_of(vct)
    if type_id == 0:
        raise InputError(f"{vct} is not a credential type on this ledger")
    registration = chain.verifiers.registration(requester, type_id, purpose_digest(purpose))
    if registration.registered_at == 0:
        raise InputError(
            f"{who} ({requester}) is not registered on this ledger for the purpose {purpose!r} "
            f"with {vct}: the source would refuse its queries, so there is nothing to consent to"
        )
    return str(registration.legal_basis)


def _send(document: str, source_url: str | None, out: Path | None, *, withdrawal: bool) -> str:
    """Deliver a signed document; return the line saying where it went."""
    import json

    if out is not None:
        try:
            write_atomic(out, json.dumps({"document": document}) + "\n")
        except OSError as exc:
            raise InputError(f"{out}: cannot write ({exc.strerror or exc})") from exc
        return f"Wrote it to {out}: take it to the source"
    assert source_url is not None
    from ledger.wallet.data_consents import deliver

    deliver(source_url, document, withdrawal=withdrawal)
    return f"Sent it to {source_url}"


def _consent_line(c: DataConsent, now: int) -> str:
    until = format_date(c.withdrawn_at) if c.withdrawn_at is not None else format_date(c.expires_at)
    state = c.state(now)
    return (
        f"{c.consent_id}  {state} {'since' if state == 'withdrawn' else 'until'} {until}  "
        f"{c.requester_name} ({c.requester})  {c.vct}: {', '.join(c.claims)}  "
        f"purpose {c.purpose!r}"
    )


@click.group()
def consent() -> None:
    """Consents to once-only pulls: let an agency fetch your data from its source."""


@consent.command("grant")
@click.option("--requester", required=True, metavar="NAME_OR_ADDRESS", help="The agency.")
@click.option("--type", "vct", required=True, metavar="VCT", help="The credential type.")
@click.option("--claims", required=True, metavar="A,B", help="Claim paths, comma separated.")
@click.option("--purpose", required=True, help="The purpose, as the agency is registered.")
@click.option("--expires", required=True, metavar="WHEN", help="90d, 12h, 2w or a date.")
@click.option("--source", "source_url", metavar="URL", help="Send it to the source's service.")
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), help="Write it to FILE instead."
)
@click.option("--yes", is_flag=True, help="Grant without asking (for automation).")
@pass_wallet
@reports_errors
def grant(
    w: WalletContext,
    requester: str,
    vct: str,
    claims: str,
    purpose: str,
    expires: str,
    source_url: str | None,
    out: Path | None,
    yes: bool,
) -> None:
    """Grant an agency consent to fetch claims about you from their source: shows who, what
    and why, and asks first."""
    _destination(source_url, out)
    paths = [c.strip() for c in claims.split(",") if c.strip()]
    expires_at = expiry(expires, int(time.time()))
    address = _requester(w, requester)
    chain = w.chain()
    name = _named(chain, address)
    basis = _legal_basis(chain, address, name, vct, purpose)
    to_stderr = w.as_json
    with w.wallet() as wallet:
        source = _source_of(wallet, vct)
        source_name = _named(chain, source)
        if not (w.as_json and yes):
            click.echo(
                f"{name} ({address}) may fetch from {source_name} ({source}):", err=to_stderr
            )
            click.echo(f"  {vct}: {', '.join(paths)}", err=to_stderr)
            click.echo(f"Purpose: {purpose}", err=to_stderr)
            click.echo(f"Until:   {format_date(expires_at)}", err=to_stderr)
            if basis != "consent":
                click.echo(
                    f"Note: registered on the legal basis {basis}: {name} may fetch these "
                    "without your consent (every access is logged for you all the same)",
                    err=to_stderr,
                )
        if not (
            yes or click.confirm(f"Grant this consent to {name}?", default=False, err=to_stderr)
        ):
            raise ConsentDeclined("consent not granted: nothing was signed")
        granted = wallet.grant_consent(
            requester=address,
            requester_name=name,
            source=source,
            vct=vct,
            claims=paths,
            purpose=purpose,
            expires_at=expires_at,
        )
    where = _send(granted.document, source_url, out, withdrawal=False)
    emit(
        {**granted.to_json(), "delivered": source_url or str(out)},
        f"Granted consent {granted.consent_id} to {name} until {format_date(granted.expires_at)}\n"
        + where,
        as_json=w.as_json,
    )


@consent.command("list")
@pass_wallet
@reports_errors
def list_(w: WalletContext) -> None:
    """List the consents you granted, withdrawn and expired ones too (no network needed)."""
    with w.wallet() as wallet:
        consents = wallet.list_consents()
    now = int(time.time())
    emit(
        [{**c.to_json(), "state": c.state(now)} for c in consents],
        "\n".join(_consent_line(c, now) for c in consents) or "No consents.",
        as_json=w.as_json,
    )


@consent.command("withdraw")
@click.argument("consent_id", metavar="ID")
@click.option("--source", "source_url", metavar="URL", help="Send it to the source's service.")
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), help="Write it to FILE instead."
)
@pass_wallet
@reports_errors
def withdraw(w: WalletContext, consent_id: str, source_url: str | None, out: Path | None) -> None:
    """Withdraw a consent: the source honours it from the moment it receives it."""
    from ledger.errors import WalletRecordNotFound

    _destination(source_url, out)
    with w.wallet() as wallet:
        try:
            withdrawn = wallet.withdraw_consent(consent_id)
        except WalletRecordNotFound as exc:
            raise WalletRecordNotFound(
                f"no consent {consent_id!r} in the wallet (`wallet consent list` shows them)"
            ) from exc
    assert withdrawn.withdrawal is not None
    where = _send(withdrawn.withdrawal, source_url, out, withdrawal=True)
    emit(
        {**withdrawn.to_json(), "delivered": source_url or str(out)},
        f"Withdrew consent {withdrawn.consent_id} ({withdrawn.requester_name})\n{where}",
        as_json=w.as_json,
    )


def _entry_lines(e: AccessLogEntry) -> list[str]:
    who = f"{e.requester_name} ({e.requester})" if e.requester_name else e.requester
    proof = (
        "not anchored yet"
        if e.batch_no is None
        else f"anchored in batch {e.batch_no}"
        + (f", block {e.anchored_block}" if e.anchored_block is not None else "")
    )
    return [
        f"{format_date(e.time)}  {who}",
        f"  {e.outcome}: {e.vct}: {', '.join(e.claims)}",
        f"  purpose {e.purpose!r}, legal basis {e.legal_basis}, case {e.case_ref}",
        f"  {proof}",
    ]


@click.command("access-log")
@click.option(
    "--source",
    "source_url",
    metavar="URL",
    help="Fetch it from the source's service (you prove your holder key; nothing else is sent).",
)
@click.option(
    "--file",
    "log_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A log a source gave you (its service's GET /exchange/receipts answer).",
)
@pass_wallet
@reports_errors
def access_log(w: WalletContext, source_url: str | None, log_file: Path | None) -> None:
    """Who read what about you from a source, when and why: each access proven against the
    chain, and the log proven complete."""
    from ledger.wallet.access_log import (
        MAX_LOG_BYTES,
        SourceLog,
        anchored_batches,
        fetch_source_log,
        parse_source_log,
    )

    if (source_url is None) == (log_file is None):
        raise InputError("say where the log comes from: --source URL or --file FILE")
    log: SourceLog
    if log_file is not None:
        try:
            with log_file.open("rb") as fh:
                raw = fh.read(MAX_LOG_BYTES + 1)
        except OSError as exc:
            raise InputError(f"{log_file}: cannot read ({exc.strerror or exc})") from exc
        log = parse_source_log(raw)
    else:
        assert source_url is not None
        with w.wallet() as wallet:
            log = fetch_source_log(source_url, wallet.holder_key(), now=int(time.time()))
    chain = w.chain()
    names: dict[str, str] = {}

    def name(address: str) -> str:
        if address not in names:
            names[address] = chain.agency(address).name
        return names[address]

    with w.wallet() as wallet:
        verified = wallet.access_log(log, anchored_batches(chain, log.source), names=name)
    source = f"{name(log.source)} ({log.source})"
    lines = [
        f"Access log from {source}: {len(verified.entries)} access(es), "
        f"complete over {verified.batches} anchored batch(es)",
        *(line for e in verified.entries for line in _entry_lines(e)),
    ]
    if verified.pending:
        lines.append(f"{len(verified.pending)} more, not anchored yet (unproven):")
        lines += [line for e in verified.pending for line in _entry_lines(e)]
    data: dict[str, Any] = {
        "source": log.source,
        "batches": verified.batches,
        "entries": [e.to_json() for e in verified.entries],
        "pending": [e.to_json() for e in verified.pending],
    }
    emit(data, "\n".join(lines), as_json=w.as_json)
