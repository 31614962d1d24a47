"""The verifier agency: signed presentation requests, and verification of presentations against
them and against the chain.

`Verifier.verify(package, request)` runs, in this order, and stops at the first failure:

1. ``request`` — the request is this verifier's (its address, chain and VerifierRegistry), not
   expired, and its nonce not already used;
2. ``sd_jwt`` / ``key_binding`` — RFC 9901 §7 with key binding always required, audience and
   nonce from the request, the issuer key resolved on chain (`chain_checks.resolve_issuer_key`);
3. ``request_match`` — the presentation is of the requested type and discloses exactly the
   requested claims (`UnrequestedClaimsDisclosed`, `RequestedClaimMissing`; `claim_match`);
4. the chain checks, ONE `eth_call` to the LedgerLens (`chain.lens`), judged by `chain_checks`,
   including this verifier's own registration for the requested claims and purpose;
5. ``nonce`` — the nonce is consumed, only now that everything passed (`NonceReplayed`).

The parts: `verifier_requests` (creating and checking requests), `presentation_checks` (steps 2
and 3, also in pool workers), `presentation_verifier` (one presentation, every step),
`verifier_batch` (many at once); `Verifier` ties them together.

It returns a `VerifiedCredentialPresentation` or raises the specific `VerificationError` of the
first failed check, carrying the report as ``exc.report``; `Verifier.check` returns the report
and never raises for a verification failure.

Hot path: no web3 and no ABI machinery per presentation (prebuilt lens calldata over a
keep-alive connection, sent before the signature checks so that the node answers meanwhile —
the answer is used only if the verified presentation asks exactly that question); chain id,
types, claim masks, issuer keys and agency names cached; requests this object created are
recognised without re-checking their EIP-712 signature.
Lens answers are not cached: knowing that the block has not changed would itself cost a round
trip, so each presentation costs exactly one `eth_call` (each answer names its block).
`verify_batch` verifies many presentations with one JSON-RPC batch for all chain reads, and
with ``processes=2`` spreads the signature-heavy SD-JWT layer over a process pool.

Privacy toward the node operator: ``status_privacy="herd"`` sends the lens no status index and,
for a batch-anchored credential, only the batch root; the status is read from the whole list
(cached per block) and the inclusion proof checked locally (`ledger.agency.herd`). Same
verdicts, more data read; what still leaks is listed there and in docs/security.md.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from ledger._rand import Clock
from ledger.agency.claim_match import match_claims
from ledger.agency.nonces import NonceStore
from ledger.agency.packages import PresentationPackage
from ledger.agency.pool import WorkerPool
from ledger.agency.presentation_checks import init_worker
from ledger.agency.presentation_verifier import (
    PresentationVerifier,
    VerifiedCredentialPresentation,
)
from ledger.agency.report import ReportBuilder, VerificationReport
from ledger.agency.request import PresentationRequest, default_audience
from ledger.agency.verifier_batch import verify_batch
from ledger.agency.verifier_requests import RequestDesk
from ledger.chain.client import LedgerChain
from ledger.errors import ConfigError, VerificationError
from ledger.report import VERIFIER_CHECK_NAMES

__all__ = [
    "STATUS_PRIVACY_MODES",
    "VERIFIER_CHECK_NAMES",
    "VerifiedCredentialPresentation",
    "Verifier",
    "match_claims",
]

#: `Verifier(status_privacy=...)`: what the RPC node learns of each verification.
STATUS_PRIVACY_MODES: tuple[str, ...] = ("direct", "herd")



class Verifier:
    """A registered verifier agency: creates signed requests and verifies presentations.

    `account` is the verifier agency's account (it signs requests). `audience` defaults to
    ``ethereum:<address>@<chainId>``. `nonce_store` defaults to an in-memory store. `now` is a
    clock (a callable returning Unix seconds) or a fixed time, for tests. `processes` > 1 makes
    `verify_batch` run the SD-JWT layer in a pool of that many processes (created on first use;
    `close()` it). `overlap` sends the lens call before the signature checks so the round trip
    runs meanwhile (one extra keep-alive connection). `status_privacy` is ``"direct"`` (the
    default: one lens call names the credential's digest, key and status index) or ``"herd"``
    (the node learns the status list and the batch root, not the entry or the credential: see
    `ledger.agency.herd`). The constructor does no I/O. One `Verifier` per thread.
    """

    def __init__(
        self,
        chain: LedgerChain,
        *,
        account: LocalAccount,
        audience: str | None = None,
        nonce_store: NonceStore | None = None,
        clock_skew: int = 60,
        max_kb_age: int = 300,
        now: Clock | int | None = None,
        processes: int = 1,
        overlap: bool = True,
        status_privacy: str = "direct",
    ) -> None:
        if status_privacy not in STATUS_PRIVACY_MODES:
            raise ConfigError(
                f"status_privacy must be one of {', '.join(STATUS_PRIVACY_MODES)}, "
                f"not {status_privacy!r}"
            )
        self._chain = chain
        self._address = to_checksum_address(account.address)
        self._audience = audience or default_audience(self._address, chain.deployment.chain_id)
        clock: Clock = (
            time.time if now is None else (lambda: now) if isinstance(now, int) else now
        )
        self._desk = RequestDesk(
            chain,
            account,
            audience=self._audience,
            nonce_store=nonce_store if nonce_store is not None else NonceStore(),
            clock_skew=clock_skew,
            clock=clock,
        )
        self._steps = PresentationVerifier(
            chain,
            self._desk,
            address=self._address,
            clock_skew=clock_skew,
            max_kb_age=max_kb_age,
            overlap=overlap,
            status_reader=chain.status.list_reader() if status_privacy == "herd" else None,
        )
        self._processes = processes
        self._pool: WorkerPool | None = None

    @property
    def address(self) -> str:
        """The verifier agency's address."""
        return self._address

    @property
    def audience(self) -> str:
        """The audience (`client_id`) of this verifier's requests."""
        return self._audience

    def close(self) -> None:
        """Shut the process pool down (if any)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        self._steps.close()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ----------------------------------------------------------------------------------

    def create_request(
        self,
        *,
        vct: str,
        claims: Sequence[str],
        purpose: str,
        ttl: int = 600,
        unsafe_allow_unregistered: bool = False,
    ) -> PresentationRequest:
        """A signed request for `claims` of credential type `vct`, for `purpose`.

        The type id and claim mask come from the type registry (`RequestMalformed` for an
        unregistered vct or a claim the type does not have). This verifier must be registered
        on chain for those claims of that type and that purpose now (one chain read):
        otherwise `VerifierNotRegisteredForRequest`, before a nonce is issued or anything
        signed. Wallets refuse such a request, and a citizen who overrode hers would send her
        claims to an agency that may not be entitled to them.

        `unsafe_allow_unregistered=True` skips that check. It exists for tests of the refusals
        further down (the wallet's, the final `verifier_authorization` check); never use it
        to ask a citizen for anything. The nonce is recorded in the nonce store.
        """
        return self._desk.create(
            vct=vct,
            claims=claims,
            purpose=purpose,
            ttl=ttl,
            unsafe_allow_unregistered=unsafe_allow_unregistered,
        )

    def registration_gap(self, request: PresentationRequest) -> str | None:
        """Why wallets will refuse `request` (this verifier is not registered on chain for its
        claims and purpose now), or None when the registration covers it. One chain read."""
        return self._desk.registration_gap(request)

    # -- verification ------------------------------------------------------------------------------

    def verify(
        self, package: PresentationPackage, request: PresentationRequest
    ) -> VerifiedCredentialPresentation:
        """Verify `package` against `request` (see the module docstring for the order).

        Raises the specific `VerificationError` of the first failed check, with the report as
        its ``report`` attribute. Chain connectivity problems raise `ChainError`.
        """
        builder = ReportBuilder(VERIFIER_CHECK_NAMES)
        try:
            return self._steps.run(package, request, builder)
        except VerificationError as exc:
            exc.report = builder.report()
            raise

    def check(
        self, package: PresentationPackage, request: PresentationRequest
    ) -> VerificationReport:
        """The report of verifying `package` against `request`; never raises for a failed check."""
        builder = ReportBuilder(VERIFIER_CHECK_NAMES)
        try:
            return self._steps.run(package, request, builder).report
        except VerificationError:
            return builder.report()

    # -- batches -----------------------------------------------------------------------------------

    def verify_batch(
        self,
        items: Sequence[tuple[PresentationPackage, PresentationRequest]],
        *,
        processes: int | None = None,
    ) -> list[VerifiedCredentialPresentation | VerificationError]:
        """Verify many presentations; each slot holds the result or the exception (with its
        ``report``), in the order of `items`.

        All lens reads go in ONE JSON-RPC batch (`checkCredentials` calls of up to
        `ledger.chain.lens.BATCH_CHUNK` presentations each); only first-time lookups (an issuer key,
        a type, an agency name — all cached afterwards) add round trips. `processes` (default:
        the constructor's) spreads the SD-JWT layer and request matching over a process pool.
        """
        builders = [ReportBuilder(VERIFIER_CHECK_NAMES) for _ in items]
        return verify_batch(
            self._steps, items, builders, self._pool_for(processes or self._processes)
        )

    def _pool_for(self, processes: int) -> WorkerPool | None:
        """The SD-JWT layer's process pool (created with the first count asked for), or None to
        run it in this process."""
        if processes <= 1:
            return None
        if self._pool is None:
            chain = self._chain
            self._pool = WorkerPool(
                processes,
                init_worker,
                (chain.rpc.url, chain.rpc.timeout, chain.deployment.to_json()),
            )
        return self._pool
