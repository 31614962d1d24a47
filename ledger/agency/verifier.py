"""The verifier agency: signed presentation requests, and verification of presentations against
them and against the chain.

`Verifier.verify(package, request)` runs, in this order, and stops at the first failure:

1. ``request`` — the request is this verifier's (its address, chain and VerifierRegistry), not
   expired, and its nonce not already used;
2. ``sd_jwt`` / ``key_binding`` — RFC 9901 §7 with key binding always required, audience and
   nonce from the request, the issuer key resolved on chain (`chain_checks.resolve_issuer_key`);
3. ``request_match`` — the presentation is of the requested type and discloses exactly the
   requested claims (`UnrequestedClaimsDisclosed`, `RequestedClaimMissing`);
4. the chain checks, ONE `eth_call` to the LedgerLens (`chain_checks`), including this
   verifier's own registration for the requested claims and purpose;
5. ``nonce`` — the nonce is consumed, only now that everything passed (`NonceReplayed`).

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

import base64
import hashlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from ledger import untrusted_json
from ledger.agency import chain_checks, herd
from ledger.agency.claims import (
    ClaimPath,
    claim_mask,
    claim_names_in,
    format_claim_path,
    parse_claim_path,
)
from ledger.agency.nonces import NonceStore
from ledger.agency.packages import PresentationPackage
from ledger.agency.report import CHECK_NAMES, ReportBuilder, VerificationReport
from ledger.agency.request import (
    PresentationRequest,
    create_request,
    default_audience,
    purpose_digest,
    verify_request_signature,
)
from ledger.chain.client import (
    ZERO32,
    CheckRequest,
    CredentialCheck,
    CredentialStatus,
    CredentialTypeInfo,
    LedgerChain,
)
from ledger.chain.deploy import Deployment
from ledger.chain.rpc import Rpc
from ledger.errors import (
    ClaimNotInType,
    ClaimPathInvalid,
    ConfigError,
    CredentialTypeMismatch,
    KeyBindingError,
    NonceReplayed,
    RequestChainMismatch,
    RequestedClaimMissing,
    RequestExpired,
    RequestMalformed,
    RequestNotOurs,
    UnrequestedClaimsDisclosed,
    VerificationError,
    VerifierNotRegisteredForRequest,
)
from ledger.sdjwt import StatusReference, verify_presentation

__all__ = [
    "STATUS_PRIVACY_MODES",
    "VERIFIER_CHECK_NAMES",
    "VerifiedCredentialPresentation",
    "Verifier",
    "match_claims",
]

#: `Verifier(status_privacy=...)`: what the RPC node learns of each verification.
STATUS_PRIVACY_MODES: tuple[str, ...] = ("direct", "herd")

#: Every check `Verifier` reports, in order.
VERIFIER_CHECK_NAMES: tuple[str, ...] = ("request", *CHECK_NAMES, "nonce")

# Presentations larger than this are not parsed before the SD-JWT layer's own size check.
_PREFETCH_MAX = 64 * 1024

# Registered claims of JWT / SD-JWT VC: never part of the disclosed claims.
_REGISTERED = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "_sd_alg"})


@dataclass(frozen=True)
class VerifiedCredentialPresentation:
    """A presentation that passed every check, and what was verified.

    `claims` are the requested claims as presented (nothing else the credential carries in the
    clear, and no registered JWT/VC claims); `issuer` is the
    credential's `iss` and `issuer_address` / `issuer_name` its agency on chain; `anchored_at`
    the anchor's block timestamp; `status` the status read at `block_number`.
    """

    claims: dict[str, Any]
    disclosed_paths: tuple[str, ...]
    issuer: str
    issuer_address: str
    issuer_name: str
    vct: str
    type_id: int
    anchored_at: int
    status: CredentialStatus
    kid: str
    block_number: int
    report: VerificationReport


@dataclass(frozen=True)
class _RequestInfo:
    mask: int
    claims: tuple[ClaimPath, ...]
    detail: str


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- claim matching --------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _parse(path: str) -> ClaimPath:
    return parse_claim_path(path)


def _prefix_match(prefix: ClaimPath, path: ClaimPath) -> bool:
    """Whether `prefix` is a prefix of `path`, a None element of `prefix` matching any index."""
    if len(prefix) > len(path):
        return False
    for want, have in zip(prefix, path, strict=False):
        if want is None:
            if not isinstance(have, int):
                return False
        elif want != have:
            return False
    return True


def _present(claims: Any, path: ClaimPath) -> bool:
    node = claims
    for i, element in enumerate(path):
        if element is None:
            return (
                isinstance(node, list)
                and bool(node)
                and all(_present(item, path[i + 1 :]) for item in node)
            )
        if isinstance(element, int):
            if not isinstance(node, list) or element >= len(node):
                return False
        elif not isinstance(node, dict) or element not in node:
            return False
        node = node[element]
    return True


def match_claims(
    disclosed_paths: Sequence[str], claims: dict[str, Any], requested: Sequence[ClaimPath]
) -> None:
    """Check a presentation discloses exactly the requested claims.

    Every disclosed path must lie at or below a requested path, or be an ancestor needed to
    reach one (`UnrequestedClaimsDisclosed` otherwise); every requested path must be present
    in the verified claims (`RequestedClaimMissing` otherwise).
    """
    extra = [
        text
        for text in disclosed_paths
        if not any(
            _prefix_match(r, p) or _prefix_match(p, r) for p in (_parse(text),) for r in requested
        )
    ]
    if extra:
        raise UnrequestedClaimsDisclosed(f"disclosed but not requested: {', '.join(extra)}")
    missing = [r for r in requested if not _present(claims, r)]
    if missing:
        names = ", ".join(format_claim_path(m) for m in missing)
        raise RequestedClaimMissing(f"requested but not presented: {names}")


# -- the front: SD-JWT layer and request match (also run in pool workers) ---------------------

#: presentation, audience, nonce, requested vct, requested type id, presented type id, claims
_Job = tuple[str, str, str, str, int, int, tuple[ClaimPath, ...]]


class _Front(NamedTuple):
    """What the signature-heavy front of a verification established (cheap to pickle)."""

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


#: The check that failed in the front, and its error.
_Failure = tuple[str, VerificationError]
_FRONT_CHECKS = ("sd_jwt", "key_binding", "request_match", "status")


def _front(
    chain: LedgerChain, job: _Job, now: int, skew: int, max_kb_age: int
) -> _Front | _Failure:
    """SD-JWT layer with key binding, then the presentation against its request, then the status
    reference; failures are returned (not raised) with the name of the failed check."""
    presentation, audience, nonce, vct, type_id, presented_type, requested = job
    try:
        vp = verify_presentation(
            presentation,
            issuer_key_resolver=chain_checks.issuer_key_resolver(chain),
            expected_audience=audience,
            expected_nonce=nonce,
            require_key_binding=True,
            now=now,
            clock_skew=skew,
            max_kb_age=max_kb_age,
        )
    except KeyBindingError as exc:
        return ("key_binding", exc)
    except VerificationError as exc:
        return ("sd_jwt", exc)
    try:
        if vp.vct != vct or presented_type != type_id:
            raise CredentialTypeMismatch(
                f"presented {vp.vct!r} (type {presented_type}), requested {vct!r} (type {type_id})"
            )
        match_claims(vp.disclosed_paths, vp.claims, requested)
    except VerificationError as exc:
        return ("request_match", exc)
    try:
        agency, list_id = chain_checks.status_list_of(chain, vp.issuer, vp.status)
    except VerificationError as exc:
        return ("status", exc)
    assert vp.kb is not None and vp.status is not None
    # Data minimisation: keep only the requested claims (an issuer may have left others plain).
    wanted = {path[0] for path in requested}
    return _Front(
        {k: v for k, v in vp.claims.items() if k in wanted and k not in _REGISTERED},
        vp.disclosed_paths,
        vp.issuer,
        agency,
        vp.vct,
        vp.kid or "",
        vp.kb.iat,
        vp.issuer_jwt_digest,
        vp.status.idx,
        list_id,
    )


_WORKER_CHAIN: LedgerChain | None = None


def _worker_init(rpc_url: str, timeout: float, deployment: dict[str, Any]) -> None:
    global _WORKER_CHAIN
    _WORKER_CHAIN = LedgerChain(Rpc(rpc_url, timeout=timeout), Deployment.from_json(deployment))


def _worker_run(jobs: list[_Job], now: int, skew: int, max_kb_age: int) -> list[_Front | _Failure]:
    assert _WORKER_CHAIN is not None
    return [_front(_WORKER_CHAIN, job, now, skew, max_kb_age) for job in jobs]


# -- the verifier ---------------------------------------------------------------------------------


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
        now: Callable[[], float] | int | None = None,
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
        self._account = account
        self._address = to_checksum_address(account.address)
        deployment = chain.deployment
        self._chain_id = deployment.chain_id
        self._registry = deployment.address("VerifierRegistry")
        self._audience = audience or default_audience(self._address, self._chain_id)
        self._nonces = nonce_store if nonce_store is not None else NonceStore()
        self._skew = clock_skew
        self._max_kb_age = max_kb_age
        self._clock: Callable[[], float] = (
            time.time if now is None else (lambda: now) if isinstance(now, int) else now
        )
        self._processes = processes
        self._overlap = overlap
        self._pool: ProcessPoolExecutor | None = None
        self._issued: dict[str, PresentationRequest] = {}
        self._consumed: dict[str, int] = {}
        self._types: dict[int, CredentialTypeInfo] = {}
        self._type_ids: dict[str, int] = {}
        self._infos: dict[tuple[int, tuple[ClaimPath, ...]], _RequestInfo] = {}
        self._pipe = chain_checks.LensPipe(chain)
        self._herd = herd.HerdStatusReader(chain) if status_privacy == "herd" else None
        self._names: dict[str, str] = {}
        self._housekeeping = 0

    # -- plumbing ----------------------------------------------------------------------------------

    @property
    def address(self) -> str:
        """The verifier agency's address."""
        return self._address

    @property
    def audience(self) -> str:
        """The audience (`client_id`) of this verifier's requests."""
        return self._audience

    def _now(self) -> int:
        return int(self._clock())

    def _store(self) -> NonceStore:
        return self._nonces.open()

    def close(self) -> None:
        """Shut the process pool down (if any)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self._pipe.close()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _type(self, type_id: int) -> CredentialTypeInfo:
        info = self._types.get(type_id)
        if info is None:
            info = self._types[type_id] = self._chain.credential_type(type_id)
        return info

    def _agency_name(self, agency: str) -> str:
        name = self._names.get(agency)
        if name is None:
            name = self._names[agency] = self._chain.agency(agency).name
        return name

    def _info(self, type_id: int, claims: tuple[ClaimPath, ...]) -> _RequestInfo:
        key = (type_id, claims)
        info = self._infos.get(key)
        if info is None:
            try:
                mask = claim_mask(claims, self._type(type_id).claim_names)
                detail = ", ".join(format_claim_path(c) for c in claims)
            except (ClaimNotInType, ClaimPathInvalid) as exc:
                raise RequestMalformed(str(exc)) from exc
            info = self._infos[key] = _RequestInfo(mask, claims, detail)
        return info

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
        type_id = self._type_ids.get(vct) or self._chain.type_id_of(vct)
        if type_id == 0:
            raise RequestMalformed(f"credential type {vct!r} is not registered")
        self._type_ids[vct] = type_id
        try:
            paths = tuple(parse_claim_path(c) for c in claims)
        except ClaimPathInvalid as exc:
            raise RequestMalformed(str(exc)) from exc
        info = self._info(type_id, paths)
        if not unsafe_allow_unregistered:
            gap = self._registration_gap(vct, type_id, info.mask, purpose, purpose_digest(purpose))
            if gap is not None:
                raise VerifierNotRegisteredForRequest(
                    f"refused to create the request: {gap}; have the council register it "
                    "(`ledger verifier register`) or ask only for what it is registered for"
                )
        now = self._now()
        nonce = self._store().issue(ttl=ttl, now=now)
        request = create_request(
            verifier_account=self._account,
            vct=vct,
            type_id=type_id,
            claims=claims,
            purpose=purpose,
            audience=self._audience,
            chain_id=self._chain_id,
            registry=self._registry,
            ttl=ttl,
            nonce=nonce,
            now=now,
        )
        self._issued[nonce] = request
        self._tick(now)
        return request

    def registration_gap(self, request: PresentationRequest) -> str | None:
        """Why wallets will refuse `request` (this verifier is not registered on chain for its
        claims and purpose now), or None when the registration covers it. One chain read."""
        mask = self._info(request.type_id, request.claims).mask
        return self._registration_gap(
            request.vct, request.type_id, mask, request.purpose, request.purpose_digest
        )

    def _registration_gap(
        self, vct: str, type_id: int, mask: int, purpose: str, digest: bytes
    ) -> str | None:
        reg = self._chain.verifier_registration(self._address, type_id, digest)
        if reg.registered_at == 0:
            return f"this verifier is not registered for {vct} with the purpose {purpose!r}"
        extra = claim_names_in(mask & ~reg.claim_mask, self._type(type_id).claim_names)
        if extra:
            return "this verifier is not registered for the claims " + ", ".join(extra)
        if not reg.in_force_at(self._now()):
            return f"this verifier's registration for the purpose {purpose!r} is not in force now"
        return None

    def _tick(self, now: int) -> None:
        """Every 4096 requests or verifications, forget what expired (bounded memory)."""
        self._housekeeping += 1
        if self._housekeeping % 4096 == 0:
            self._forget_expired(now)

    def _forget_expired(self, now: int) -> None:
        for nonce in [n for n, r in self._issued.items() if r.expires_at <= now]:
            del self._issued[nonce]
        for nonce in [n for n, t in self._consumed.items() if t <= now]:
            del self._consumed[nonce]

    def _check_request(self, request: PresentationRequest, now: int) -> _RequestInfo:
        if request.verifier.lower() != self._address.lower():
            raise RequestNotOurs(f"request is from verifier {request.verifier}, not this one")
        if request.chain_id != self._chain_id or request.registry.lower() != self._registry.lower():
            raise RequestChainMismatch("request names another chain or VerifierRegistry")
        if request.nonce in self._consumed:
            raise NonceReplayed("the request's nonce was already used")
        issued = self._issued.get(request.nonce)
        if issued is not request and issued != request:
            # Not made by this object (e.g. after a restart): check it the slow way.
            verify_request_signature(
                request, chain_id=self._chain_id, registry=self._registry, now=now, skew=self._skew
            )
            if self._type(request.type_id).vct != request.vct:
                raise RequestMalformed("the request's type id does not name its vct")
        if now >= request.expires_at:
            raise RequestExpired(f"request expired at {request.expires_at} (now {now})")
        if now + self._skew < request.created_at:
            raise RequestExpired(f"request is dated in the future ({request.created_at})")
        return self._info(request.type_id, request.claims)

    # -- verification ------------------------------------------------------------------------------

    def _job(
        self, package: PresentationPackage, request: PresentationRequest, info: _RequestInfo
    ) -> _Job:
        return (
            package.presentation,
            request.audience,
            request.nonce,
            request.vct,
            request.type_id,
            package.type_id,
            info.claims,
        )

    @staticmethod
    def _record_front(
        builder: ReportBuilder, info: _RequestInfo, outcome: _Front | _Failure
    ) -> _Front:
        """Record the front's checks; raise the failed one's error."""
        if isinstance(outcome, _Front):
            builder.passed("sd_jwt", f"signed by {outcome.kid}")
            builder.passed("key_binding", f"iat {outcome.kb_iat}")
            builder.passed("request_match", info.detail)
            return outcome
        failed, error = outcome
        for name in _FRONT_CHECKS:
            if name == failed:
                builder.failed(name, str(error) or type(error).__name__, type(error).__name__)
                raise error
            builder.passed(name)
        raise error  # pragma: no cover - every failure names a front check

    def _lens_request(
        self,
        digest: bytes,
        kid: str,
        list_id: int,
        status_idx: int,
        package: PresentationPackage,
        request: PresentationRequest,
        info: _RequestInfo,
    ) -> CheckRequest:
        anchor = package.anchor
        return CheckRequest(
            digest=digest,
            kid=chain_checks.kid_bytes(kid),
            list_id=list_id,
            status_index=status_idx,
            root=anchor.root if anchor.root is not None else ZERO32,
            proof=anchor.proof,
            verifier=self._address,
            purpose_digest=request.purpose_digest,
            claim_mask=info.mask,
        )

    def _finish(
        self,
        builder: ReportBuilder,
        front: _Front,
        request: PresentationRequest,
        check: CredentialCheck,
        now: int,
    ) -> VerifiedCredentialPresentation:
        expected = chain_checks.ChainExpectation(front.agency, request.type_id, self._address)
        chain_checks.record_chain_checks(builder, check, expected, chain=self._chain)
        with builder.check("nonce", "consumed"):
            self._store().consume(request.nonce, now=now)
        self._consumed[request.nonce] = request.expires_at
        self._issued.pop(request.nonce, None)
        self._tick(now)
        address = chain_checks.checksum(bytes.fromhex(front.agency[2:])) or front.agency
        return VerifiedCredentialPresentation(
            claims=front.claims,
            disclosed_paths=front.disclosed_paths,
            issuer=front.issuer,
            issuer_address=address,
            issuer_name=self._agency_name(address),
            vct=front.vct,
            type_id=check.type_id,
            anchored_at=check.anchored_at,
            status=CredentialStatus(check.status),
            kid=front.kid,
            block_number=check.block_number,
            report=builder.report(),
        )

    def _run(
        self, package: PresentationPackage, request: PresentationRequest, builder: ReportBuilder
    ) -> VerifiedCredentialPresentation:
        now = self._now()
        info = builder.run("request", lambda: self._check_request(request, now))
        sent = self._prefetch(package, request, info)
        job = self._job(package, request, info)
        outcome = _front(self._chain, job, now, self._skew, self._max_kb_age)
        front = self._record_front(builder, info, outcome)
        lens_request = self._lens_request(
            front.digest, front.kid, front.list_id, front.status_idx, package, request, info
        )
        check = self._pipe.receive() if sent == lens_request else None
        if check is None:
            check = chain_checks.run_check(self._chain, self._wire(lens_request))
        return self._finish(builder, front, request, self._answer(check, lens_request), now)

    def _wire(self, lens_request: CheckRequest) -> CheckRequest:
        """The lens request as sent: as is, or in herd mode without what names the credential."""
        return lens_request if self._herd is None else herd.herd_request(lens_request)

    def _answer(self, check: CredentialCheck, lens_request: CheckRequest) -> CredentialCheck:
        """The lens answer to `lens_request` (herd mode completes the answer to `_wire`)."""
        if self._herd is None:
            return check
        return herd.complete_answer(check, lens_request, self._herd)

    def _prefetch(
        self, package: PresentationPackage, request: PresentationRequest, info: _RequestInfo
    ) -> CheckRequest | None:
        """Send the lens call built from the UNVERIFIED presentation, so that the round trip
        overlaps the signature checks. Its answer is used only if the verified presentation
        asks exactly the same question; anything odd here just skips the overlap."""
        if not self._overlap or len(package.presentation) > _PREFETCH_MAX:
            return None
        try:
            jwt = package.presentation.split("~", 1)[0]
            head, body, _ = jwt.split(".")
            unverified_header = untrusted_json.loads(_b64decode(head))
            unverified_payload = untrusted_json.loads(_b64decode(body))
            ref = unverified_payload["status"]["status_list"]
            _, list_id = chain_checks.status_list_of(
                self._chain, unverified_payload["iss"], StatusReference(ref["idx"], ref["uri"])
            )
            lens_request = self._lens_request(
                hashlib.sha256(jwt.encode("ascii")).digest(),
                unverified_header["kid"],
                list_id,
                ref["idx"],
                package,
                request,
                info,
            )
            sent = self._pipe.send(self._wire(lens_request))
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, OverflowError):
            return None
        except VerificationError:
            return None
        return lens_request if sent else None

    def verify(
        self, package: PresentationPackage, request: PresentationRequest
    ) -> VerifiedCredentialPresentation:
        """Verify `package` against `request` (see the module docstring for the order).

        Raises the specific `VerificationError` of the first failed check, with the report as
        its ``report`` attribute. Chain connectivity problems raise `ChainError`.
        """
        builder = ReportBuilder(VERIFIER_CHECK_NAMES)
        try:
            return self._run(package, request, builder)
        except VerificationError as exc:
            exc.report = builder.report()
            raise

    def check(
        self, package: PresentationPackage, request: PresentationRequest
    ) -> VerificationReport:
        """The report of verifying `package` against `request`; never raises for a failed check."""
        builder = ReportBuilder(VERIFIER_CHECK_NAMES)
        try:
            return self._run(package, request, builder).report
        except VerificationError:
            return builder.report()

    # -- batches -----------------------------------------------------------------------------------

    def _pool_for(self, processes: int) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=processes,
                initializer=_worker_init,
                initargs=(
                    self._chain.rpc.url,
                    self._chain.rpc.timeout,
                    self._chain.deployment.to_json(),
                ),
            )
        return self._pool

    def _front_stream(
        self, jobs: list[_Job], now: int, processes: int
    ) -> Iterator[_Front | _Failure]:
        """Front outcomes in job order; with a pool, chunks are yielded as they complete so that
        the caller's per-item work overlaps the workers'."""
        if processes <= 1 or len(jobs) < 2 * processes:
            for job in jobs:
                yield _front(self._chain, job, now, self._skew, self._max_kb_age)
            return
        pool = self._pool_for(processes)
        size = math.ceil(len(jobs) / (4 * processes))
        futures = [
            pool.submit(_worker_run, jobs[i : i + size], now, self._skew, self._max_kb_age)
            for i in range(0, len(jobs), size)
        ]
        for future in futures:
            yield from future.result()

    def verify_batch(
        self,
        items: Sequence[tuple[PresentationPackage, PresentationRequest]],
        *,
        processes: int | None = None,
    ) -> list[VerifiedCredentialPresentation | VerificationError]:
        """Verify many presentations; each slot holds the result or the exception (with its
        ``report``), in the order of `items`.

        All lens reads go in ONE JSON-RPC batch (`checkCredentials` calls of up to
        `chain_checks.BATCH_CHUNK` presentations each); only first-time lookups (an issuer key,
        a type, an agency name — all cached afterwards) add round trips. `processes` (default:
        the constructor's) spreads the SD-JWT layer and request matching over a process pool.
        """
        now = self._now()
        count = len(items)
        builders = [ReportBuilder(VERIFIER_CHECK_NAMES) for _ in range(count)]
        out: list[VerifiedCredentialPresentation | VerificationError | None] = [None] * count
        infos: dict[int, _RequestInfo] = {}
        for i, (_, request) in enumerate(items):
            try:
                with builders[i].check("request"):
                    infos[i] = self._check_request(request, now)
            except VerificationError as exc:
                out[i] = exc
        order = sorted(infos)
        jobs = [self._job(*items[i], infos[i]) for i in order]
        outcomes = self._front_stream(jobs, now, processes or self._processes)
        staged: list[tuple[int, _Front, CheckRequest]] = []
        for i, outcome in zip(order, outcomes, strict=True):
            package, request = items[i]
            try:
                front = self._record_front(builders[i], infos[i], outcome)
            except VerificationError as exc:
                out[i] = exc
                continue
            lens_request = self._lens_request(
                front.digest, front.kid, front.list_id, front.status_idx, package, request, infos[i]
            )
            staged.append((i, front, lens_request))
        checks = chain_checks.run_checks(self._chain, [self._wire(r) for _, _, r in staged])
        for (i, front, lens_request), check in zip(staged, checks, strict=True):
            try:
                answer = self._answer(check, lens_request)
                out[i] = self._finish(builders[i], front, items[i][1], answer, now)
            except VerificationError as exc:
                out[i] = exc
        results: list[VerifiedCredentialPresentation | VerificationError] = []
        for i, result in enumerate(out):
            assert result is not None
            if isinstance(result, VerificationError):
                result.report = builders[i].report()
            results.append(result)
        return results
