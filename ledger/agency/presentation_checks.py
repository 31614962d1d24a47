"""The signature-heavy front of a verification, for one presentation: the SD-JWT layer with key
binding, the presentation against its request, and its status reference.

Pure with respect to the verifier's state (it reads the chain only for issuer keys, cached), so
it also runs in pool workers (`verify_in_worker`): its input (`PresentationJob`) and its
outcome (`PresentationFacts`, or `FrontFailure` naming the failed check) are small frozen
dataclasses, cheap to pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger._claim_paths import ClaimPath
from ledger.agency import chain_checks
from ledger.agency.claim_match import match_claims
from ledger.agency.report import ReportBuilder
from ledger.chain.client import LedgerChain
from ledger.chain.deploy import Deployment
from ledger.chain.rpc import Rpc
from ledger.errors import CredentialTypeMismatch, KeyBindingError, VerificationError
from ledger.report import Check
from ledger.sdjwt import verify_presentation
from ledger.sdjwt._names import DIGEST_ALG_KEY, REGISTERED_CLAIMS

__all__ = [
    "FRONT_CHECKS",
    "FrontFailure",
    "PresentationFacts",
    "PresentationJob",
    "check_presentation",
    "init_worker",
    "record_front",
    "verify_in_worker",
]

#: The report entries of the front, in order.
FRONT_CHECKS: tuple[Check, ...] = (
    Check.SD_JWT,
    Check.KEY_BINDING,
    Check.REQUEST_MATCH,
    Check.STATUS,
)

# Registered claims of JWT / SD-JWT VC: never part of the disclosed claims.
_REGISTERED = REGISTERED_CLAIMS | {DIGEST_ALG_KEY}


@dataclass(frozen=True, slots=True)
class PresentationJob:
    """One presentation and what its request expects of it."""

    presentation: str
    audience: str
    nonce: str
    vct: str
    type_id: int
    presented_type_id: int
    claims: tuple[ClaimPath, ...]


@dataclass(frozen=True, slots=True)
class PresentationFacts:
    """What the front established about a presentation.

    `claims` are the requested claims only (data minimisation); `agency` and `list_id` name the
    issuer's status list, `digest` the issuer-signed JWT (the anchor's key).
    """

    claims: dict[str, Any]
    disclosed_paths: tuple[str, ...]
    issuer: str
    agency: str
    vct: str
    kid: str
    kb_iat: int
    digest: bytes
    status_idx: int
    list_id: int


@dataclass(frozen=True, slots=True)
class FrontFailure:
    """The front check that failed (one of `FRONT_CHECKS`), and its error."""

    check: str
    error: VerificationError


def check_presentation(
    chain: LedgerChain, job: PresentationJob, now: int, skew: int, max_kb_age: int
) -> PresentationFacts | FrontFailure:
    """SD-JWT layer with key binding, then the presentation against its request, then the status
    reference; a failure is returned (not raised) with the name of the failed check."""
    try:
        vp = verify_presentation(
            job.presentation,
            issuer_key_resolver=chain_checks.issuer_key_resolver(chain),
            expected_audience=job.audience,
            expected_nonce=job.nonce,
            require_key_binding=True,
            now=now,
            clock_skew=skew,
            max_kb_age=max_kb_age,
        )
    except KeyBindingError as exc:
        return FrontFailure(Check.KEY_BINDING, exc)
    except VerificationError as exc:
        return FrontFailure(Check.SD_JWT, exc)
    try:
        if vp.vct != job.vct or job.presented_type_id != job.type_id:
            raise CredentialTypeMismatch(
                f"presented {vp.vct!r} (type {job.presented_type_id}), requested {job.vct!r} "
                f"(type {job.type_id})"
            )
        match_claims(vp.disclosed_paths, vp.claims, job.claims)
    except VerificationError as exc:
        return FrontFailure(Check.REQUEST_MATCH, exc)
    try:
        agency, list_id = chain_checks.status_list_of(chain, vp.issuer, vp.status)
    except VerificationError as exc:
        return FrontFailure(Check.STATUS, exc)
    assert vp.kb is not None and vp.status is not None
    # Data minimisation: keep only the requested claims (an issuer may have left others plain).
    wanted = {path[0] for path in job.claims}
    return PresentationFacts(
        claims={k: v for k, v in vp.claims.items() if k in wanted and k not in _REGISTERED},
        disclosed_paths=vp.disclosed_paths,
        issuer=vp.issuer,
        agency=agency,
        vct=vp.vct,
        kid=vp.kid or "",
        kb_iat=vp.kb.iat,
        digest=vp.issuer_jwt_digest,
        status_idx=vp.status.idx,
        list_id=list_id,
    )


def record_front(
    builder: ReportBuilder, request_detail: str, outcome: PresentationFacts | FrontFailure
) -> PresentationFacts:
    """Record the front's checks on `builder`; raise the failed one's error."""
    if isinstance(outcome, PresentationFacts):
        builder.passed(Check.SD_JWT, f"signed by {outcome.kid}")
        builder.passed(Check.KEY_BINDING, f"iat {outcome.kb_iat}")
        builder.passed(Check.REQUEST_MATCH, request_detail)
        return outcome
    error = outcome.error
    for name in FRONT_CHECKS:
        if name == outcome.check:
            builder.failed(name, str(error) or type(error).__name__, type(error).__name__)
            raise error
        builder.passed(name)
    raise error  # pragma: no cover - every failure names a front check


# -- in pool workers (`ledger.agency.pool.WorkerPool`) ---------------------------------------

_WORKER_CHAIN: LedgerChain | None = None


def init_worker(rpc_url: str, timeout: float, deployment: dict[str, Any]) -> None:
    """Pool initializer: the worker's own read-only chain client."""
    global _WORKER_CHAIN
    _WORKER_CHAIN = LedgerChain(Rpc(rpc_url, timeout=timeout), Deployment.from_json(deployment))


def verify_in_worker(
    jobs: list[PresentationJob], now: int, skew: int, max_kb_age: int
) -> list[PresentationFacts | FrontFailure]:
    """`check_presentation` for a chunk of jobs, in a worker set up by `init_worker`."""
    assert _WORKER_CHAIN is not None
    return [check_presentation(_WORKER_CHAIN, job, now, skew, max_kb_age) for job in jobs]
