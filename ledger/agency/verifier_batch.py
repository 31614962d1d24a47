"""Many presentations at once (`Verifier.verify_batch`): one JSON-RPC batch for every lens read,
and the signature-heavy front spread over a process pool.

Each presentation goes through the same checks, in the same order, as in `Verifier.verify`;
the front (`presentation_checks`) runs in-process or, with a `WorkerPool`, in chunks whose
results are consumed as they complete, so the per-item work here overlaps the workers'. All
lens questions then go to `Lens.check_many` together.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from ledger.agency.packages import PresentationPackage
from ledger.agency.pool import WorkerPool
from ledger.agency.presentation_checks import (
    FrontFailure,
    PresentationFacts,
    PresentationJob,
    check_presentation,
    record_front,
    verify_in_worker,
)
from ledger.agency.presentation_verifier import (
    PresentationVerifier,
    VerifiedCredentialPresentation,
)
from ledger.agency.report import ReportBuilder
from ledger.agency.request import PresentationRequest
from ledger.agency.verifier_requests import RequestInfo
from ledger.chain.lens import CheckRequest
from ledger.errors import VerificationError

__all__ = ["verify_batch"]


def _fronts(
    steps: PresentationVerifier, jobs: list[PresentationJob], now: int, pool: WorkerPool | None
) -> Iterator[PresentationFacts | FrontFailure]:
    """Front outcomes in job order; with a pool, chunks are yielded as they complete."""
    if pool is None or len(jobs) < 2 * pool.processes:
        for job in jobs:
            yield check_presentation(steps.chain, job, now, steps.skew, steps.max_kb_age)
        return
    size = math.ceil(len(jobs) / (4 * pool.processes))
    for chunk in pool.map_chunks(verify_in_worker, jobs, size, now, steps.skew, steps.max_kb_age):
        yield from chunk


def verify_batch(
    steps: PresentationVerifier,
    items: Sequence[tuple[PresentationPackage, PresentationRequest]],
    builders: Sequence[ReportBuilder],
    pool: WorkerPool | None,
) -> list[VerifiedCredentialPresentation | VerificationError]:
    """Verify `items`, recording on `builders` (one per item); each slot of the result holds
    the verified presentation or the exception (with its ``report``), in the order of `items`.
    `pool` (None: in-process) runs the front."""
    now = steps.desk.now()
    out: list[VerifiedCredentialPresentation | VerificationError | None] = [None] * len(items)
    infos: dict[int, RequestInfo] = {}
    for i, (_, request) in enumerate(items):
        try:
            with builders[i].check("request"):
                infos[i] = steps.desk.check(request, now)
        except VerificationError as exc:
            out[i] = exc
    order = sorted(infos)
    jobs = [steps.job(*items[i], infos[i]) for i in order]
    staged: list[tuple[int, PresentationFacts, CheckRequest]] = []
    for i, outcome in zip(order, _fronts(steps, jobs, now, pool), strict=True):
        package, request = items[i]
        try:
            facts = record_front(builders[i], infos[i].detail, outcome)
        except VerificationError as exc:
            out[i] = exc
            continue
        lens_request = steps.lens_request(
            facts.digest, facts.kid, facts.list_id, facts.status_idx, package, request, infos[i]
        )
        staged.append((i, facts, lens_request))
    checks = steps.chain.lens.check_many([steps.ask(r) for _, _, r in staged])
    for (i, facts, lens_request), check in zip(staged, checks, strict=True):
        try:
            answer = steps.answer(check, lens_request)
            out[i] = steps.finish(builders[i], facts, items[i][1], answer, now)
        except VerificationError as exc:
            out[i] = exc
    results: list[VerifiedCredentialPresentation | VerificationError] = []
    for i, result in enumerate(out):
        assert result is not None
        if isinstance(result, VerificationError):
            result.report = builders[i].report()
        results.append(result)
    return results
