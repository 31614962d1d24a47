"""Council governance and the admin commands that go through it.

`council propose|vote|execute|show` work on proposals directly. `agency ...`, `verifier register`
and `type register` build the council action, propose it as the acting council member (`--as`),
and say whether it executed or how many more votes it needs (`ledger council vote ID`).

A vote that reaches the threshold but whose call reverts still counts: the command prints where
the proposal stands, then exits with `Error: <why the call failed>` (exit code 1), and the
proposal stays open for `ledger council execute ID` once the cause is fixed.

Longer than the house's ~400 lines: every command that proposes a council action shares the
proposal reporting here; a split by register would copy it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from eth_utils.address import to_checksum_address

from ledger.agency.claims import claim_mask
from ledger.agency.keys import kid_bytes
from ledger.agency.request import purpose_digest
from ledger.chain.client import AgencyStatus, LedgerChain
from ledger.chain.council import CouncilAction, CouncilActions
from ledger.chain.deploy import SUITE, contract_abi
from ledger.chain.records import LegalBasis
from ledger.cli._common import KidArgumentCommand, describe, emit, reports_errors
from ledger.cli._ledger_context import (
    LedgerContext,
    format_time,
    pass_ledger,
    split_list,
    validity_options,
)
from ledger.cli._ledger_ops import ProposalReport, proposal_report, propose
from ledger.errors import InputError

__all__ = ["agency", "council", "credential_type", "verifier"]


def _emit_report(
    ctx: LedgerContext,
    report: ProposalReport,
    extra: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Print where the proposal stands; then, if its execution failed, raise why (exit 1)."""
    emit(report.to_json() if data is None else data, report.render() + extra, as_json=ctx.as_json)
    if report.execution_error is not None:
        raise report.execution_error


def _run(ctx: LedgerContext, build: Callable[[CouncilActions], CouncilAction]) -> None:
    """Propose the action `build(actions)` as the acting member and print where it stands.

    Warns (stderr) when the action would fail if executed now: it is still proposed, since it
    may depend on another open proposal.
    """
    chain = ctx.chain()
    action = build(chain.actions)
    problem = chain.dry_run(action)
    if problem is not None:
        click.echo(
            f"Warning: executed now, this proposal would fail: {type(problem).__name__}: "
            f"{problem}. Proposing it anyway (it may depend on another open proposal).",
            err=True,
        )
    _emit_report(ctx, propose(chain, action))


def _type_id(chain: LedgerChain, vct: str) -> int:
    type_id = chain.type_id_of(vct)
    if type_id == 0:
        raise InputError(f"unknown credential type {vct!r} (see `ledger type register`)")
    return type_id


# ---------------------------------------------------------------------------------------------
# council
# ---------------------------------------------------------------------------------------------


@click.group()
def council() -> None:
    """Council proposals: propose, vote, execute, show (the acting account must be a member)."""


@council.group("propose")
def council_propose() -> None:
    """Propose membership, threshold, lifetime or key-revocation changes (counts as your vote)."""


@council_propose.command("add-member")
@click.argument("member")
@pass_ledger
@reports_errors
def propose_add_member(ctx: LedgerContext, member: str) -> None:
    """Propose MEMBER (account name or address) as a new council member."""
    address = ctx.address(member)
    _run(ctx, lambda a: a.add_member(address))


@council_propose.command("remove-member")
@click.argument("member")
@pass_ledger
@reports_errors
def propose_remove_member(ctx: LedgerContext, member: str) -> None:
    """Propose to remove MEMBER (account name or address) from the council."""
    address = ctx.address(member)
    _run(ctx, lambda a: a.remove_member(address))


@council_propose.command("threshold")
@click.argument("votes", type=click.IntRange(1))
@pass_ledger
@reports_errors
def propose_threshold(ctx: LedgerContext, votes: int) -> None:
    """Propose VOTES as the number of votes needed to execute a proposal."""
    _run(ctx, lambda a: a.set_threshold(votes))


@council_propose.command("lifetime")
@click.argument("seconds", type=click.IntRange(1))
@pass_ledger
@reports_errors
def propose_lifetime(ctx: LedgerContext, seconds: int) -> None:
    """Propose SECONDS as how long new proposals stay open."""
    _run(ctx, lambda a: a.set_proposal_lifetime(seconds))


@council_propose.command("revoke-key", cls=KidArgumentCommand)
@click.argument("kid")
@pass_ledger
@reports_errors
def propose_revoke_key(ctx: LedgerContext, kid: str) -> None:
    """Propose the emergency revocation of any agency's signing key KID (base64url kid)."""
    raw = kid_bytes(kid)
    _run(ctx, lambda a: a.revoke_key(raw))


@council.command("vote")
@click.argument("proposal_id", metavar="ID", type=click.IntRange(0))
@pass_ledger
@reports_errors
def council_vote(ctx: LedgerContext, proposal_id: int) -> None:
    """Vote for proposal ID; it executes when the threshold is reached."""
    chain = ctx.chain()
    _emit_report(ctx, proposal_report(chain, chain.vote(proposal_id)))


@council.command("execute")
@click.argument("proposal_id", metavar="ID", type=click.IntRange(0))
@pass_ledger
@reports_errors
def council_execute_proposal(ctx: LedgerContext, proposal_id: int) -> None:
    """Execute proposal ID, which already has the votes it needs.

    For a proposal whose call failed when its last vote came in (retry once the cause is fixed),
    or one that reached a threshold lowered after its votes. Any member may; it must be open and
    unexpired. If the call fails again, nothing changes and the error says why.
    """
    chain = ctx.chain()
    _emit_report(ctx, proposal_report(chain, chain.execute(proposal_id)))


def _show_value(abi_type: str, value: object) -> str:
    if abi_type == "address" and isinstance(value, str):
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) else str(value)


def _describe_call(contract: str, data: bytes) -> str:
    """`fn(arg, ...)` for calldata of a suite contract (the selector alone if unknown)."""
    from eth_abi.abi import decode
    from eth_abi.exceptions import DecodingError

    abi = contract_abi(contract) if contract in SUITE else None
    for entry in abi.abi if abi is not None else []:
        if entry.get("type", "function") != "function":
            continue
        inputs = entry.get("inputs", [])
        if abi is None or abi.selector(entry["name"], len(inputs)) != data[:4]:
            continue
        types = [str(i["type"]) for i in inputs]
        if any(t.startswith("tuple") for t in types):
            return f"{entry['name']}(...)"
        try:
            values = decode(types, data[4:])
        except DecodingError:  # undecodable arguments: show the name only
            return f"{entry['name']}(?)"
        shown = ", ".join(_show_value(t, v) for t, v in zip(types, values, strict=True))
        return f"{entry['name']}({shown})"
    return "0x" + data[:4].hex()


@council.command("show")
@click.argument("proposal_id", metavar="ID", type=click.IntRange(0))
@pass_ledger
@reports_errors
def council_show(ctx: LedgerContext, proposal_id: int) -> None:
    """Show proposal ID: target, proposer, votes, expiry, whether it executed or can be executed,
    and why its last execution failed, if one did."""
    reader = ctx.reader()
    p = reader.proposal(proposal_id)
    threshold = reader.council_threshold()
    failure = reader.execution_failure(proposal_id) if p.failed_block else None
    failure_text = None if failure is None else describe(failure)
    names = {reader.deployment.address(n).lower(): n for n in SUITE}
    target = names.get(p.target.lower(), p.target)
    data = {
        "proposal": p.proposal_id,
        "target": p.target,
        "target_name": target,
        "proposer": p.proposer,
        "created_at": p.created_at,
        "expires_at": p.expires_at,
        "votes": p.votes,
        "threshold": threshold,
        "executed": p.executed,
        "executable": p.executable,
        "failed_block": p.failed_block or None,
        "execution_failed": failure_text,
        "data": "0x" + p.data.hex(),
        "call": _describe_call(target, p.data),
    }
    if p.executed:
        state = "executed"
    elif p.executable:
        state = f"executable (`ledger --as MEMBER council execute {p.proposal_id}`)"
    elif p.votes >= threshold:
        state = "expired"
    else:
        state = f"open, needs {threshold - p.votes} more"
    lines = [
        f"Proposal {p.proposal_id}: {state}",
        f"  target    {target}",
        f"  call      {_describe_call(target, p.data)}",
        f"  proposer  {p.proposer}",
        f"  votes     {p.votes} of {threshold}",
        f"  created   {format_time(p.created_at)}",
        f"  expires   {format_time(p.expires_at)}",
    ]
    if failure_text is not None:
        lines.append(f"  failed    in block {p.failed_block}: {failure_text}")
    emit(data, "\n".join(lines), as_json=ctx.as_json)


# ---------------------------------------------------------------------------------------------
# agency
# ---------------------------------------------------------------------------------------------


@click.group()
def agency() -> None:
    """Admit, suspend, reinstate, remove and accredit agencies (through the council)."""


@agency.command("admit")
@click.argument("agency_ref", metavar="ADDRESS|NAME")
@click.option("--name", "display_name", required=True, help="The agency's public name.")
@pass_ledger
@reports_errors
def agency_admit(ctx: LedgerContext, agency_ref: str, display_name: str) -> None:
    """Propose admitting the agency ADDRESS|NAME (a local account name or an address)."""
    address = ctx.address(agency_ref)
    _run(ctx, lambda a: a.admit_agency(address, display_name))


def _status_command(verb: str, summary: str) -> click.Command:
    @click.command(verb, help=f"Propose to {summary}.")
    @click.argument("agency_ref", metavar="ADDRESS|NAME")
    @pass_ledger
    @reports_errors
    def command(ctx: LedgerContext, agency_ref: str) -> None:
        address = ctx.address(agency_ref)
        _run(ctx, lambda a: getattr(a, f"{verb}_agency")(address))  # type: ignore[no-any-return]

    return command


agency.add_command(_status_command(
    "suspend", "suspend the agency ADDRESS|NAME (while suspended it cannot anchor, and "
    "verifiers reject its credentials)"))
agency.add_command(_status_command(
    "reinstate", "reinstate the suspended agency ADDRESS|NAME"))
agency.add_command(_status_command(
    "remove", "remove the agency ADDRESS|NAME for good"))


@agency.command("accredit")
@click.argument("agency_ref", metavar="AGENCY")
@click.option("--type", "vct", required=True, help="Credential type (vct) to accredit for.")
@validity_options
@click.option("--authority", is_flag=True,
              help="Also allow it to sub-accredit others for this type, one level down.")
@pass_ledger
@reports_errors
def agency_accredit(ctx: LedgerContext, agency_ref: str, vct: str, valid_from: int,
                    valid_until: int, authority: bool) -> None:
    """Propose accrediting AGENCY (name or address) to issue credentials of a type."""
    address = ctx.address(agency_ref)
    chain = ctx.chain()
    type_id = _type_id(chain, vct)
    action = chain.actions.accredit(
        address, type_id, valid_from=valid_from, valid_until=valid_until, authority=authority
    )
    _emit_report(ctx, propose(chain, action))


@agency.command("withdraw")
@click.argument("agency_ref", metavar="AGENCY")
@click.option("--type", "vct", required=True, help="Credential type (vct) to withdraw.")
@pass_ledger
@reports_errors
def agency_withdraw(ctx: LedgerContext, agency_ref: str, vct: str) -> None:
    """Propose withdrawing AGENCY's accreditation for a type (what it sub-accredited goes too)."""
    address = ctx.address(agency_ref)
    chain = ctx.chain()
    _emit_report(ctx, propose(chain, chain.actions.withdraw_accreditation(
        address, _type_id(chain, vct))))


@agency.command("show")
@click.argument("agency_ref", metavar="[AGENCY]", required=False)
@pass_ledger
@reports_errors
def agency_show(ctx: LedgerContext, agency_ref: str | None) -> None:
    """Show AGENCY (name or address; default the --as account): status and accreditations."""
    address = ctx.address(agency_ref or ctx.acting())
    reader = ctx.reader()
    info = reader.agency(address)
    grants = []
    if info.status != AgencyStatus.NONE:
        for type_id in range(1, reader.type_count() + 1):
            acc = reader.accreditation(address, type_id)
            if acc.exists:
                vct = reader.credential_type(type_id).vct
                grants.append((vct, acc, reader.can_anchor(address, type_id)))
    data = {
        "address": address,
        "name": info.name,
        "status": info.status.name.lower(),
        "admitted_at": info.admitted_at,
        "suspended_since": info.suspended_since,
        "removed_at": info.removed_at,
        "accreditations": [
            {
                "type": vct,
                "type_id": acc.type_id,
                "valid_from": acc.valid_from,
                "valid_until": acc.valid_until,
                "withdrawn_at": acc.withdrawn_at,
                "authority": acc.authority,
                "delegated_by": acc.parent,
                "can_anchor_now": live,
            }
            for vct, acc, live in grants
        ],
    }
    if info.status == AgencyStatus.NONE:
        human = f"{address}: not an agency."
    else:
        lines = [
            f"Agency {info.name!r} {address}",
            f"  status    {info.status.name.lower()}",
            f"  admitted  {format_time(info.admitted_at)}",
        ]
        if info.suspended_since:
            lines.append(f"  suspended {format_time(info.suspended_since)}")
        if info.removed_at:
            lines.append(f"  removed   {format_time(info.removed_at)}")
        for vct, acc, live in grants:
            flags = [
                "can issue now" if live else "cannot issue now",
                *(["authority"] if acc.authority else []),
                *([f"delegated by {acc.parent}"] if acc.parent else []),
                *([f"withdrawn {format_time(acc.withdrawn_at)}"] if acc.withdrawn_at else []),
            ]
            lines.append(
                f"  accredited for {vct} (type {acc.type_id}) from {format_time(acc.valid_from)}"
                f" until {format_time(acc.valid_until)}: {', '.join(flags)}"
            )
        if not grants:
            lines.append("  no accreditations")
        human = "\n".join(lines)
    emit(data, human, as_json=ctx.as_json)


# ---------------------------------------------------------------------------------------------
# verifier, type
# ---------------------------------------------------------------------------------------------


@click.group()
def verifier() -> None:
    """Register what a verifier agency may request (through the council)."""


@verifier.command("register")
@click.argument("agency_ref", metavar="AGENCY")
@click.option("--type", "vct", required=True, help="Credential type (vct) it may request.")
@click.option("--claims", required=True, help="Comma-separated claim names it may request.")
@click.option("--purpose", required=True, help="The purpose, as it will appear in requests.")
@click.option("--legal-basis", "legal_basis", type=click.Choice([b.value for b in LegalBasis]),
              default=LegalBasis.CONSENT.value, show_default=True,
              help="GDPR Art. 6(1) basis of the purpose: consent (the citizen must grant it), "
                   "legal-obligation or public-task (no consent; always logged).")
@validity_options
@pass_ledger
@reports_errors
def verifier_register(ctx: LedgerContext, agency_ref: str, vct: str, claims: str, purpose: str,
                      legal_basis: str, valid_from: int, valid_until: int) -> None:
    """Propose registering AGENCY to request --claims of --type for --purpose, on
    --legal-basis."""
    address = ctx.address(agency_ref)
    names = split_list(claims)
    chain = ctx.chain()
    type_id = _type_id(chain, vct)
    mask = claim_mask(names, chain.credential_type(type_id).claim_names)
    action = chain.actions.register_verifier(
        address, type_id, purpose_digest(purpose), mask,
        valid_from=valid_from, valid_until=valid_until, legal_basis=LegalBasis(legal_basis),
    )
    _emit_report(ctx, propose(chain, action))


@click.group("type")
def credential_type() -> None:
    """Credential types (vct) and their claim names."""


@credential_type.command("register")
@click.argument("vct")
@click.option("--claims", required=True, help="Comma-separated claim names of the type.")
@click.option("--supersedes", "previous", default=None, metavar="VCT",
              help="The type this one is a new version of.")
@pass_ledger
@reports_errors
def type_register(ctx: LedgerContext, vct: str, claims: str, previous: str | None) -> None:
    """Propose registering credential type VCT with its claim names."""
    names = split_list(claims)
    chain = ctx.chain()
    supersedes = _type_id(chain, previous) if previous else 0
    report = propose(chain, chain.actions.register_type(vct, names, supersedes))
    data: dict[str, Any] = report.to_json()
    extra = ""
    if report.executed:
        data["type_id"] = chain.type_id_of(vct)
        extra = f"\nType {vct} has id {data['type_id']}."
    _emit_report(ctx, report, extra, data)
