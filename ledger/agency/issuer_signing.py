"""Signing an issuer's credentials: SD-JWT VCs from claims, in this process or in a pool.

`CredentialSigner` signs `SigningJob`s (claims, holder key, status entry, times) with the
agency's key; with more than one process (and the system random source: salts drawn in the
workers) large runs go to a `WorkerPool` whose workers each hold the key, set up once.
`signing_jobs` checks the claims against the credential type and builds the jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger._rand import SYSTEM_RANDOM, RandomSource
from ledger.agency.pool import WorkerPool
from ledger.chain.records import CredentialTypeInfo
from ledger.errors import ClaimNotInType, IssuanceError
from ledger.sdjwt.issuer import issue_sd_jwt_vc
from ledger.sdjwt.jwk import SigningKey

__all__ = [
    "PARALLEL_MIN",
    "CredentialSigner",
    "IssueRequest",
    "SigningJob",
    "check_claims",
]

#: Fewer credentials than this are signed in-process even with a pool.
PARALLEL_MIN = 1000


@dataclass(frozen=True)
class IssueRequest:
    """One credential for `Issuer.issue_many`."""

    claims: Mapping[str, Any]
    holder_jwk: Mapping[str, str]
    validity: int | None = None
    credential_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SigningJob:
    """One credential to sign: its claims, holder key, status entry and times."""

    claims: dict[str, Any]
    holder_jwk: dict[str, str]
    index: int
    uri: str
    iat: int
    exp: int | None


#: A signed credential: its compact SD-JWT VC and the digest to anchor.
Signed = tuple[str, bytes]


def check_claims(requests: Sequence[IssueRequest], ctype: CredentialTypeInfo) -> None:
    """Every request has claims, all of them claims of `ctype` (`ClaimNotInType`)."""
    # A type may name nested claims ("address.locality"); their top-level object is allowed.
    allowed = {name.split(".", 1)[0].split("[", 1)[0] for name in ctype.claim_names}
    for request in requests:
        if not request.claims:
            raise ClaimNotInType(f"no claims: a {ctype.vct!r} credential needs at least one")
        for name in request.claims:
            if name not in allowed:
                raise ClaimNotInType(f"claim {name!r} is not a claim of {ctype.vct!r}")


def sign_one(
    key: SigningKey, iss: str, vct: str, job: SigningJob, rng: RandomSource | None = None
) -> Signed:
    """One SD-JWT VC, with its digest."""
    issued = issue_sd_jwt_vc(
        job.claims,
        signing_key=key,
        issuer=iss,
        vct=vct,
        holder_jwk=job.holder_jwk,
        status_idx=job.index,
        status_uri=job.uri,
        iat=job.iat,
        exp=job.exp,
        now=job.iat,
        rng=rng,
    )
    return issued.compact, issued.digest


_WORKER_KEY: SigningKey | None = None


def _worker_init(private_jwk: dict[str, str]) -> None:
    global _WORKER_KEY
    _WORKER_KEY = SigningKey.from_private_jwk(private_jwk)


def _worker_sign(jobs: list[SigningJob], iss: str, vct: str) -> list[Signed]:
    key = _WORKER_KEY
    if key is None:
        raise IssuanceError("signing worker was not initialised")
    return [sign_one(key, iss, vct, job) for job in jobs]


class CredentialSigner:
    """Signs with `key`, drawing salts from `rng`; `processes` > 1 signs large runs in a pool
    (only with the system random source; started on first use, stopped by `close()`). The
    constructor does no I/O."""

    def __init__(self, key: SigningKey, *, rng: RandomSource, processes: int = 1) -> None:
        self._key = key
        self._rng = rng
        self._processes = processes
        self._pool = (
            WorkerPool(processes, _worker_init, (key.to_private_jwk(),)) if processes > 1 else None
        )

    def close(self) -> None:
        """Stop the pool's workers (if any)."""
        if self._pool is not None:
            self._pool.close()

    def pooled(self, count: int) -> bool:
        """Whether `count` credentials are signed in the pool."""
        return self._pool is not None and self._rng is SYSTEM_RANDOM and count >= PARALLEL_MIN

    def sign(
        self,
        jobs: list[SigningJob],
        iss: str,
        vct: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Signed]:
        """Every job signed, in order (in the pool when `pooled`)."""
        if not self.pooled(len(jobs)):
            out: list[Signed] = []
            for i, job in enumerate(jobs, 1):
                out.append(sign_one(self._key, iss, vct, job, self._rng))
                if progress is not None and (i % 1000 == 0 or i == len(jobs)):
                    progress(i, len(jobs))
            return out
        size = max(250, len(jobs) // (4 * self._processes))
        results: list[Signed] = []
        for chunk in self.sign_chunks(jobs, iss, vct, size):
            results.extend(chunk)
            if progress is not None:
                progress(len(results), len(jobs))
        return results

    def sign_chunks(
        self, jobs: list[SigningJob], iss: str, vct: str, size: int
    ) -> Iterator[list[Signed]]:
        """The jobs in chunks of `size`, all handed to the pool now; each chunk's signatures
        in order as soon as they are done (the caller anchors chunk k while k+1 is signed)."""
        assert self._pool is not None
        return self._pool.map_chunks(_worker_sign, jobs, size, iss, vct)
