"""What a verifier expects of the chain about one credential, and how it judges the answer.

Policy only: the question and its transport (`CheckRequest`, `CredentialCheck`, `check_one`,
`check_many`, `LensPipe`) live in the chain layer (`ledger.chain.lens`,
`ledger.chain.lens_pipe`). Shared by the verifier (before accepting a presentation) and the
wallet (before importing a credential). Two steps:

1. `resolve_issuer_key(chain, kid, iss)` — the issuer's P-256 key from the KeyRegistry, checked
   to belong to the agency named by `iss` (`did:pkh:eip155:<chainId>:<address>`), cached
   (`ledger.agency.issuer_keys`, re-exported here); whether the key was *valid* is a question
   about anchor time, answered by step 2.
2. `prepare_check(...)` — the lens question and what its answer must say (`PreparedCheck`),
   asked in ONE `eth_call` (`chain.lens.check_one`; `check_on_chain` does both); then
   `assess_chain_check` / `record_chain_checks` turn the answer into ordered report entries:
   anchored (by this issuer, with this type), issuer accredited at anchor time, key valid at
   anchor time, status now, issuer agency status now, verifier authorized (when asked).
   `record_chain_checks` raises the specific `ChainCheckFailed` subclass of the first failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.agency.issuer_keys import (
    clear_key_cache,
    issuer_address,
    issuer_key_resolver,
    kid_bytes,
    resolve_issuer_key,
)
from ledger.agency.packages import AnchorEvidence, parse_status_uri
from ledger.agency.report import CheckResult, ReportBuilder
from ledger.chain.client import LedgerChain
from ledger.chain.lens import CheckRequest, CredentialCheck
from ledger.chain.records import ZERO32, AgencyStatus, CredentialStatus
from ledger.errors import (
    AnchorIssuerMismatch,
    AnchorTypeMismatch,
    ChainCheckFailed,
    CredentialNotAnchored,
    CredentialRevoked,
    CredentialStatusUnknown,
    CredentialSuspended,
    InputError,
    IssuerAgencyNotActive,
    IssuerAgencyRemoved,
    IssuerAgencySuspended,
    IssuerNotAccreditedAtAnchor,
    IssuerNotActiveAtAnchor,
    SigningKeyNotValidAtAnchor,
    StatusReferenceInvalid,
    VerifierNotAuthorized,
)
from ledger.report import CHAIN_CHECK_NAMES, Check
from ledger.sdjwt import StatusReference

__all__ = [
    "CHAIN_CHECK_NAMES",
    "ChainExpectation",
    "PreparedCheck",
    "assess_chain_check",
    "check_on_chain",
    "clear_key_cache",
    "first_failure",
    "issuer_address",
    "issuer_key_resolver",
    "kid_bytes",
    "prepare_check",
    "record_chain_checks",
    "resolve_issuer_key",
    "status_list_of",
    "why_not_accredited",
]


# -- the lens call ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainExpectation:
    """What the chain's answer must say for the credential to be valid."""

    issuer: str
    type_id: int
    verifier: str | None = None


@dataclass(frozen=True)
class PreparedCheck:
    """A lens request and the expectation its answer is assessed against."""

    request: CheckRequest
    expected: ChainExpectation


def status_list_of(
    chain: LedgerChain, issuer: str, status: StatusReference | None
) -> tuple[str, int]:
    """(issuer agency address, list id) of a credential's status reference, which must name
    this deployment's StatusRegistry, this chain and the issuer's own list
    (`StatusReferenceInvalid` otherwise; no reference at all is `CredentialStatusUnknown`)."""
    deployment = chain.deployment
    agency = issuer_address(issuer, deployment.chain_id)
    if status is None:
        raise CredentialStatusUnknown("the credential carries no status list reference")
    try:
        ref = parse_status_uri(status.uri)
    except InputError as exc:
        raise StatusReferenceInvalid(str(exc)) from exc
    if ref.registry.lower() != deployment.address("StatusRegistry").lower():
        raise StatusReferenceInvalid(f"status list lives in {ref.registry}, not this deployment")
    if ref.chain_id != deployment.chain_id:
        raise StatusReferenceInvalid(f"status list is on chain {ref.chain_id}")
    if ref.agency.lower() != agency.lower():
        raise StatusReferenceInvalid(f"status list belongs to {ref.agency}, not issuer {agency}")
    return agency, ref.list_id


def prepare_check(
    chain: LedgerChain,
    *,
    digest: bytes,
    anchor: AnchorEvidence,
    type_id: int,
    kid: str,
    issuer: str,
    status: StatusReference | None,
    verifier: str | None = None,
    purpose_digest: bytes | None = None,
    claim_mask: int = 0,
) -> PreparedCheck:
    """Build the lens request for one credential (no I/O).

    `issuer` is the credential's `iss` (did:pkh) or its agency address; `status` its
    `status.status_list`, which must name this deployment's StatusRegistry, this chain and the
    issuer's own list (`StatusReferenceInvalid` otherwise; None is `CredentialStatusUnknown`).
    `verifier` (with `purpose_digest` and `claim_mask`) asks whether that verifier may request
    those claims for that purpose now.
    """
    agency, list_id = status_list_of(chain, issuer, status)
    assert status is not None
    request = CheckRequest(
        digest=digest,
        kid=kid_bytes(kid),
        list_id=list_id,
        status_index=status.idx,
        root=anchor.root if anchor.root is not None else ZERO32,
        proof=anchor.proof,
        verifier=verifier,
        purpose_digest=purpose_digest if purpose_digest is not None else ZERO32,
        claim_mask=claim_mask,
    )
    return PreparedCheck(request, ChainExpectation(agency, type_id, verifier))


def check_on_chain(
    chain: LedgerChain,
    *,
    digest: bytes,
    anchor: AnchorEvidence,
    type_id: int,
    kid: str,
    issuer: str,
    status: StatusReference | None,
    verifier: str | None = None,
    purpose_digest: bytes | None = None,
    claim_mask: int = 0,
) -> CredentialCheck:
    """The lens answer for one credential, in exactly one `eth_call` (see `prepare_check`).

    Assess it with `assess_chain_check` or `record_chain_checks` and a `ChainExpectation`
    (`prepare_check(...).expected`).
    """
    prepared = prepare_check(
        chain,
        digest=digest,
        anchor=anchor,
        type_id=type_id,
        kid=kid,
        issuer=issuer,
        status=status,
        verifier=verifier,
        purpose_digest=purpose_digest,
        claim_mask=claim_mask,
    )
    return chain.lens.check_one(prepared.request)


# -- assessing the answer --------------------------------------------------------------------------

_Outcome = tuple[str, str, ChainCheckFailed | None]

# Why a suspension, removal or withdrawal in the anchor's own second counts against the anchor.
_SAME_SECOND = (
    "the same second as the anchor (the chain keeps whole seconds, and an anchor in the second "
    "of a {what} counts as made {after})"
)


def why_not_accredited(chain: LedgerChain, check: CredentialCheck) -> IssuerNotAccreditedAtAnchor:
    """The real reason the lens found the anchoring issuer not accredited at anchor time (two
    or three more chain reads; only ever asked on that failure).

    The AnchorRegistry accepts an anchor only from an Active agency accredited for the type at
    that moment, so an anchor the TrustRegistry judges unaccredited at its own time is, in
    practice, one mined in the second its agency was suspended or removed or its accreditation
    withdrawn (or its delegating parent's): the registry counts that whole second as suspended,
    removed or withdrawn, since block times are whole seconds and a suspension is an emergency
    brake. That verdict stands (the issuer can issue the credential again); this says so
    instead of a bare "not accredited".
    """
    issuer, t, type_id = check.issuer or "", check.anchored_at, check.type_id
    if not chain.trust.is_agency_active_at(issuer, t):
        info = chain.trust.agency(issuer)
        if info.removed_at and info.removed_at <= t:
            what, at, label = "removal", info.removed_at, f"was removed at {info.removed_at}"
        elif info.suspended_since and info.suspended_since <= t:
            at = info.suspended_since
            what, label = "suspension", f"was suspended at {at}"
        else:  # a suspension since lifted: only its first second can hold an anchor
            what, at, label = "suspension", t, f"was suspended at {t} (since reinstated)"
        if at == t:
            made_by = "by a removed agency" if what == "removal" else "by a suspended agency"
            msg = f"the issuing agency {label}, " + _SAME_SECOND.format(what=what, after=made_by)
        else:
            msg = f"the issuing agency {label}, before the anchor at {t}"
        return IssuerNotActiveAtAnchor(msg)
    grant = chain.trust.accreditation(issuer, type_id)
    if grant.withdrawn_at == t:
        after = "after the withdrawal"
        return IssuerNotAccreditedAtAnchor(
            f"the issuer's accreditation for type {type_id} was withdrawn at {t}, "
            + _SAME_SECOND.format(what="withdrawal", after=after)
        )
    if grant.delegated and grant.parent is not None:
        return IssuerNotAccreditedAtAnchor(
            f"issuer not accredited for type {type_id} at {t}: its accreditation is delegated by "
            f"{grant.parent}, whose own accreditation or activity did not cover that time"
        )
    return IssuerNotAccreditedAtAnchor(f"issuer not accredited for type {type_id} at {t}")


def _evaluate(
    check: CredentialCheck, expected: ChainExpectation, chain: LedgerChain | None = None
) -> list[_Outcome]:
    """Every chain check with its detail and, if it failed, the exception to raise (with
    `chain`, a failed accreditation says why: `why_not_accredited`)."""
    out: list[_Outcome] = []
    at = f"at block {check.block_number}"
    if not check.anchored:
        out.append((Check.ANCHOR, f"not anchored ({at})", CredentialNotAnchored("not anchored")))
    elif (check.issuer or "").lower() != expected.issuer.lower():
        msg = f"anchored by {check.issuer}, not by the credential's issuer {expected.issuer}"
        out.append((Check.ANCHOR, msg, AnchorIssuerMismatch(msg)))
    elif check.type_id != expected.type_id:
        msg = f"anchored as type {check.type_id}, not type {expected.type_id}"
        out.append((Check.ANCHOR, msg, AnchorTypeMismatch(msg)))
    else:
        kind = f"in a batch of {check.batch_count}" if check.batch_count > 1 else "single"
        out.append((Check.ANCHOR, f"anchored at {check.anchored_at} ({kind})", None))

    if check.issuer_accredited_at_anchor:
        out.append((Check.ISSUER_ACCREDITATION, f"accredited at {check.anchored_at}", None))
    elif chain is not None and check.anchored:
        why = why_not_accredited(chain, check)
        out.append((Check.ISSUER_ACCREDITATION, str(why), why))
    else:
        msg = f"issuer not accredited for type {check.type_id} at {check.anchored_at}"
        out.append((Check.ISSUER_ACCREDITATION, msg, IssuerNotAccreditedAtAnchor(msg)))

    if check.key_valid_at_anchor:
        note = f"; revoked later at {check.key_revoked_at}" if check.key_revoked_at else ""
        out.append((Check.KEY_VALIDITY, f"valid at {check.anchored_at}{note}", None))
    else:
        if check.key_agency is None:
            msg = "signing key is not registered"
        elif (check.key_agency or "").lower() != (check.issuer or "").lower():
            msg = f"signing key belongs to {check.key_agency}, not the anchoring issuer"
        elif check.key_revoked_at and check.key_revoked_at <= check.anchored_at:
            msg = f"key revoked at {check.key_revoked_at}, before the anchor at {check.anchored_at}"
        else:
            msg = f"key outside its validity window at {check.anchored_at}"
        out.append((Check.KEY_VALIDITY, msg, SigningKeyNotValidAtAnchor(msg)))

    status_exc: ChainCheckFailed | None = None
    if not check.status_known:
        status_exc = CredentialStatusUnknown("status list or index does not exist")
    elif check.status == CredentialStatus.REVOKED:
        status_exc = CredentialRevoked(f"revoked ({at})")
    elif check.status == CredentialStatus.SUSPENDED:
        status_exc = CredentialSuspended(f"suspended ({at})")
    elif check.status != CredentialStatus.VALID:
        status_exc = CredentialStatusUnknown(f"unknown status value {check.status}")
    out.append((Check.STATUS, str(status_exc) if status_exc else f"valid ({at})", status_exc))

    agency = check.issuer_agency_status
    agency_exc: ChainCheckFailed | None = None
    if agency == AgencyStatus.SUSPENDED:
        agency_exc = IssuerAgencySuspended(f"issuing agency is suspended ({at})")
    elif agency == AgencyStatus.REMOVED:
        agency_exc = IssuerAgencyRemoved(f"issuing agency was removed ({at})")
    elif agency != AgencyStatus.ACTIVE:
        agency_exc = IssuerAgencyNotActive(f"issuing agency is {agency.name.lower()} ({at})")
    agency_detail = str(agency_exc) if agency_exc else "active"
    out.append((Check.ISSUER_AGENCY_STATUS, agency_detail, agency_exc))

    if expected.verifier is not None:
        if check.verifier_authorized:
            out.append((Check.VERIFIER_AUTHORIZATION, f"{expected.verifier} registered", None))
        else:
            msg = f"{expected.verifier} is not registered for these claims and this purpose"
            out.append((Check.VERIFIER_AUTHORIZATION, msg, VerifierNotAuthorized(msg)))
    return out


def assess_chain_check(
    check: CredentialCheck, expected: ChainExpectation, *, chain: LedgerChain | None = None
) -> list[CheckResult]:
    """Every chain check's outcome (all of them, not stopping at the first failure), in
    `CHAIN_CHECK_NAMES` order; the verifier check is absent when no verifier was asked.
    With `chain`, a failed accreditation reads why (`why_not_accredited`)."""
    return [
        CheckResult(name, exc is None, detail, None if exc is None else type(exc).__name__)
        for name, detail, exc in _evaluate(check, expected, chain)
    ]


def first_failure(
    check: CredentialCheck, expected: ChainExpectation, *, chain: LedgerChain | None = None
) -> ChainCheckFailed | None:
    """The exception of the first failing chain check, or None when every check passes
    (`chain` as in `assess_chain_check`)."""
    for _, _, exc in _evaluate(check, expected, chain):
        if exc is not None:
            return exc
    return None


def record_chain_checks(
    builder: ReportBuilder,
    check: CredentialCheck,
    expected: ChainExpectation,
    *,
    chain: LedgerChain | None = None,
) -> None:
    """Record the chain checks in order on `builder`; at the first failure record it and raise
    its specific `ChainCheckFailed` subclass (later checks stay "not run"). `chain` as in
    `assess_chain_check`."""
    for name, detail, exc in _evaluate(check, expected, chain):
        if exc is not None:
            builder.failed(name, detail, type(exc).__name__)
            raise exc
        builder.passed(name, detail)
