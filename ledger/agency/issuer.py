"""The issuing agency: sign SD-JWT VCs, anchor them (alone or in batches), manage their status.

An `Issuer` ties the SD-JWT VC issuer, the random status-index allocator, the durable outbox and
the chain together::

    with Issuer.open(chain, signing_key, state_dir) as issuer:
        issuer.recover()                                   # after every (re)start
        pkg = issuer.issue(claims, vct=VCT, holder_jwk=jwk, anchor="now")
        issuer.issue(claims2, vct=VCT, holder_jwk=jwk2, anchor="batch")   # -> PendingIssue
        packages = issuer.flush()                          # anchored as one Merkle root
        issuer.revoke(pkg)

Guarantees: a `CredentialPackage` is only ever returned once its anchor (single digest or batch
root) is mined and final: `confirmations` blocks deep (default 1, the block that mined it: what
a QBFT network or an anvil devnet needs; see `ledger.agency.anchoring.default_confirmations`)
and, with `persist_state` (a devnet that keeps its state in a file), saved to disk; every
credential is in the outbox on disk before its anchor transaction is sent (a single anchor
together with that transaction) and is anchored exactly once, so a crash loses none (see
`ledger.agency.outbox`); `recover()` re-checks every anchor it recorded and anchors again any
that vanished from the chain (a reorganisation, a devnet restarted from older state), re-creating
the status lists that vanished with them; status indexes are drawn at random from the agency's
current list, which is created on chain on first use and replaced by a new one when full.

A suspended agency's credentials are held, never anchored on their own: credentials signed
while it is suspended, and those still waiting for their anchor when a `flush` finds it
suspended, stay in the outbox as held until an operator decides (`anchor_held` once it is
reinstated, or `discard_held`).

Why one module of some 550 lines: signing, status lists, anchoring and keys already live in
`issuer_signing`, `issuer_status`, `issuer_anchors` and `issuer_keys`; what stays is the issuing
workflow itself (issue, the pipelined `issue_many`, flush, recover, held credentials), whose
order is the guarantee above and reads best as one sequence.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from ledger._rand import SYSTEM_RANDOM, RandomSource
from ledger.agency.anchoring import LedgerAnchorChain
from ledger.agency.issuer_anchors import AnchorFlow
from ledger.agency.issuer_signing import (
    PARALLEL_MIN,
    CredentialSigner,
    IssueRequest,
    SigningJob,
    check_claims,
)
from ledger.agency.issuer_status import IssuerStatusLists, StatusRef
from ledger.agency.outbox import HeldCredential, Outbox, PendingCredential, RecoveryReport
from ledger.agency.packages import CredentialPackage, issuer_did, status_uri
from ledger.agency.status_alloc import StatusIndexAllocator
from ledger.chain.client import AgencyStatus, CredentialStatus, CredentialTypeInfo, LedgerChain
from ledger.chain.sender import Receipt
from ledger.errors import (
    AnchorRegistryNotAccredited,
    ConfirmationTimeout,
    CredentialsHeld,
    InputError,
    IssuanceError,
    UnknownCredentialType,
)
from ledger.sdjwt.jwk import SigningKey, public_key_from_jwk

__all__ = [
    "DEFAULT_STATUS_LIST_CAPACITY",
    "IssueRequest",
    "IssueTimings",
    "Issuer",
    "PendingIssue",
    "StatusRef",
    "package_id",
]

#: Entries per status list (a multiple of 128): 2**17, so ~98k credentials per list at 75% fill.
DEFAULT_STATUS_LIST_CAPACITY = 1 << 17
#: File of the outbox and the status allocations in an issuer's state directory.
STATE_FILE = "issuer.sqlite"


@dataclass(frozen=True)
class PendingIssue:
    """A signed credential waiting in the outbox for its batch anchor (not deliverable yet)."""

    credential_id: str
    digest: bytes
    type_id: int
    status: StatusRef
    held: bool = False  # signed while the agency was suspended: waits for an operator


@dataclass(frozen=True)
class IssueTimings:
    """Where the time of the last `issue_many` went (seconds)."""

    count: int
    signing: float  # status indexes + SD-JWT VC signing
    queueing: float  # one outbox transaction
    anchoring: float  # seal batches, sign + record + send anchors, wait mined, packages

    @property
    def total(self) -> float:
        """End to end."""
        return self.signing + self.queueing + self.anchoring


class Issuer:
    """An accredited agency issuing credentials. The constructor does no I/O.

    `chain` signs as the agency; `signing_key` must be registered for it in the KeyRegistry.
    `outbox` and `allocator` must be open (`Issuer.open` makes and opens both). `now()` returns
    the issuance time in seconds; `rng` supplies salts, credential ids and status indexes
    (production: `secrets`). `anchor_chain` defaults to a `LedgerAnchorChain` over `chain`.
    `signing_processes` > 1 signs large `issue_many` calls in a pool of that many processes
    (only with the system random source; created on first use, shut down by `close()`).
    `confirmations` and `persist_state` say when an anchor is final (see
    `ledger.agency.anchoring.LedgerAnchorChain`; used only when `anchor_chain` is not given).
    """

    def __init__(
        self,
        chain: LedgerChain,
        signing_key: SigningKey,
        *,
        outbox: Outbox,
        allocator: StatusIndexAllocator,
        status_list_capacity: int = DEFAULT_STATUS_LIST_CAPACITY,
        anchor_chain: LedgerAnchorChain | None = None,
        now: Callable[[], int] | None = None,
        rng: RandomSource | None = None,
        signing_processes: int = 1,
        confirmations: int = 1,
        persist_state: Callable[[], Any] | None = None,
    ) -> None:
        if status_list_capacity <= 0 or status_list_capacity % 128:
            raise InputError("status_list_capacity must be a positive multiple of 128")
        self._chain = chain
        self._outbox = outbox
        self._anchors = anchor_chain or LedgerAnchorChain(
            chain, confirmations=confirmations, persist_state=persist_state
        )
        self._now = now or (lambda: int(time.time()))
        self._rng = rng or SYSTEM_RANDOM
        self._types: dict[str, CredentialTypeInfo] = {}
        self._owned: tuple[Outbox, StatusIndexAllocator] | None = None
        self._signer = CredentialSigner(signing_key, rng=self._rng, processes=signing_processes)
        self._lists = IssuerStatusLists(
            chain,
            allocator,
            capacity=status_list_capacity,
            rng=self._rng,
            now=self._now,
            persist_state=persist_state,
        )
        self._flow = AnchorFlow(outbox, self._anchors, chain.deployment.chain_id)
        #: Timings of the last `issue_many` (None before the first).
        self.last_timings: IssueTimings | None = None

    @classmethod
    def open(
        cls, chain: LedgerChain, signing_key: SigningKey, state_dir: Path, **kwargs: Any
    ) -> Issuer:
        """An issuer whose outbox and status allocations live in `state_dir` (one SQLite
        file), opened; `close()` closes them. Use one state directory per agency."""
        path = Path(state_dir) / STATE_FILE
        outbox = Outbox(path).open()
        allocator = StatusIndexAllocator(path).open()
        issuer = cls(chain, signing_key, outbox=outbox, allocator=allocator, **kwargs)
        issuer._owned = (outbox, allocator)
        return issuer

    def close(self) -> None:
        """Shut the signing pool down; close the outbox and allocator if `open` made them."""
        self._signer.close()
        if self._owned is not None:
            for part in self._owned:
                part.close()
            self._owned = None

    def __enter__(self) -> Issuer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- identity -----------------------------------------------------------------------------

    @property
    def agency(self) -> str:
        """The agency's address."""
        return self._chain.address

    @property
    def issuer_id(self) -> str:
        """The `iss` of this agency's credentials (did:pkh)."""
        return issuer_did(self._chain.deployment.chain_id, self.agency)

    @property
    def outbox(self) -> Outbox:
        """The durable outbox."""
        return self._outbox

    @property
    def anchor_chain(self) -> LedgerAnchorChain:
        """The outbox's view of the chain."""
        return self._anchors

    def credential_type(self, vct: str) -> CredentialTypeInfo:
        """The registered type of `vct` (cached); `UnknownCredentialType` if none."""
        info = self._types.get(vct)
        if info is None:
            type_id = self._chain.types.type_id_of(vct)
            if type_id == 0:
                raise UnknownCredentialType(f"credential type {vct!r} is not registered")
            info = self._chain.types.credential_type(type_id)
            self._types[vct] = info
        return info

    # -- issuing ------------------------------------------------------------------------------

    def issue(
        self,
        claims: Mapping[str, Any],
        *,
        vct: str,
        holder_jwk: Mapping[str, str],
        validity: int | None = None,
        anchor: Literal["now", "batch"] = "now",
        credential_id: str | None = None,
    ) -> CredentialPackage | PendingIssue:
        """Issue one credential. `validity` (seconds) sets `exp`. With `anchor="now"` its digest
        is anchored at once and the package returned once mined; with `"batch"` it waits in
        the outbox (returned as `PendingIssue`) until `flush()`. `credential_id` (default: a
        random one) names it in the outbox.

        Either way the credential is in the outbox before its anchor transaction is sent (with
        that transaction, for `"now"`), so a crash loses neither: after `recover()` and
        `flush()`, `delivered(credential_id)` returns it."""
        if anchor not in ("now", "batch"):
            raise InputError("anchor must be 'now' or 'batch'")
        ctype = self.credential_type(vct)
        request = IssueRequest(claims, holder_jwk, validity, credential_id)
        if anchor == "batch":
            held = self.suspended()
            pending = self._sign([request], ctype)[0]
            self._outbox.enqueue(pending, now=self._now(), held=held)
            return PendingIssue(pending.id, pending.digest, ctype.type_id, _ref(pending), held)
        pending = self._sign([request], ctype)[0]
        (signed,) = self._anchors.sign_anchors([(pending.digest, ctype.type_id, 1, True)])
        batch_id = self._outbox.enqueue_single(
            pending, signed.raw_tx, signed.tx_hash, signed.nonce, now=self._now()
        )
        self._anchors.broadcast_signed([signed])
        self._flow.anchor_submitted([self._outbox.batch(batch_id)])
        return self.delivered(pending.id)

    def issue_many(
        self,
        requests: Sequence[IssueRequest],
        *,
        vct: str,
        max_batch: int = 10_000,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[CredentialPackage]:
        """Issue many credentials of one type and anchor them in batches of `max_batch`:
        sign all, queue them in one outbox transaction, flush. Returns their packages in
        the order of `requests` (other credentials flushed alongside stay deliverable through
        `delivered`).

        If the agency is suspended, the credentials are signed and held (`CredentialsHeld` is
        raised after they are stored), as are those not yet anchored when a flush finds it
        suspended."""
        if not requests:
            return []
        ctype = self.credential_type(vct)
        if self.suspended():
            signed = self._sign(requests, ctype, progress=progress)
            self._outbox.enqueue_many(signed, now=self._now(), held=True)
            raise self._held_error([p.id for p in signed])
        if self._signer.pooled(len(requests)):
            return self._issue_pipelined(requests, ctype, max_batch, progress)
        t0 = time.perf_counter()
        signed = self._sign(requests, ctype, progress=progress)
        t1 = time.perf_counter()
        self._outbox.enqueue_many(signed, now=self._now())
        t2 = time.perf_counter()
        by_id = {package_id(p): p for p in self.flush(max_batch=max_batch)}
        self.last_timings = IssueTimings(len(signed), t1 - t0, t2 - t1, time.perf_counter() - t2)
        return self._in_order([p.id for p in signed], by_id)

    def _in_order(
        self, ids: Sequence[str], by_id: Mapping[str, CredentialPackage]
    ) -> list[CredentialPackage]:
        """The packages of `ids`, in order; `CredentialsHeld` if the agency was found suspended
        on the way (those not anchored are held), `IssuanceError` if any is not delivered."""
        missing = [i for i in ids if i not in by_id]
        if not missing:
            return [by_id[i] for i in ids]
        held = {h.id for h in self._outbox.held()}
        if held & set(missing):
            raise self._held_error([i for i in missing if i in held])
        raise IssuanceError(
            f"{len(missing)} of {len(ids)} credentials are not anchored and final yet: "
            "`recover()` and `flush()` later (`ledger anchor`)"
        )

    def _held_error(self, ids: Sequence[str]) -> CredentialsHeld:
        return CredentialsHeld(
            f"agency {self.agency} is suspended: {len(ids)} credential(s) are held, not "
            "anchored; once it is reinstated an operator anchors or discards them "
            "(`ledger --as AGENCY held anchor|discard`)",
            tuple(ids),
        )

    def _issue_pipelined(
        self,
        requests: Sequence[IssueRequest],
        ctype: CredentialTypeInfo,
        max_batch: int,
        progress: Callable[[int, int], None] | None,
    ) -> list[CredentialPackage]:
        """`issue_many` with the pool: workers sign chunk k+1 while this process queues and
        anchors chunk k (one batch root per chunk)."""
        t0 = time.perf_counter()
        chunk = max(PARALLEL_MIN // 2, min(max_batch, -(-len(requests) // 4)))
        jobs, refs = self._jobs(requests, ctype)
        chunks = self._signer.sign_chunks(jobs, self.issuer_id, ctype.vct, chunk)
        waited = queued = anchored = 0.0
        by_id: dict[str, CredentialPackage] = {}
        ids: list[str] = []
        setup = time.perf_counter() - t0
        for k in range(-(-len(jobs) // chunk)):
            t1 = time.perf_counter()
            signed = next(chunks)
            t2 = time.perf_counter()
            lo = k * chunk
            pending = self._pendings(
                requests[lo : lo + chunk], refs[lo : lo + chunk], signed, ctype
            )
            self._outbox.enqueue_many(pending, now=self._now())
            ids.extend(p.id for p in pending)
            t3 = time.perf_counter()
            by_id.update((package_id(p), p) for p in self.flush(max_batch=max_batch))
            waited, queued = waited + t2 - t1, queued + t3 - t2
            anchored += time.perf_counter() - t3
            if progress is not None:
                progress(len(ids), len(requests))
        self.last_timings = IssueTimings(len(ids), setup + waited, queued, anchored)
        return self._in_order(ids, by_id)

    def flush(
        self,
        *,
        max_batch: int = 10_000,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[CredentialPackage]:
        """Seal every pending credential into batches (per type, at most `max_batch` each),
        anchor the roots (write-ahead: each signed transaction is recorded before it is sent)
        and return the packages of every batch anchored and final by this call, with inclusion
        proofs. Batches left submitted or mined by an earlier run are waited for too. Anchors
        are keyed by issuer, so another agency anchoring the same root or digest first changes
        nothing.

        If the agency is suspended, nothing is sealed or signed: pending credentials and those
        of sealed batches are held (`held()`), for an operator to decide."""
        t = self._now()
        waiting = self._outbox.pending_count() > 0 or any(
            b.state == "sealed" for b in self._outbox.unanchored_batches()
        )
        if waiting and self.suspended():
            self._outbox.hold_unsubmitted(now=t)
        elif waiting:
            for type_id in self._outbox.pending_types():
                while self._outbox.seal_batch(type_id, max_batch, now=t) is not None:
                    pass
            sealed = [b for b in self._outbox.unanchored_batches() if b.state == "sealed"]
            try:
                self._flow.submit(sealed, t)
            except AnchorRegistryNotAccredited:
                if not self.suspended():
                    raise
                self._outbox.hold_unsubmitted(now=t)  # suspended since the check above
        return self._flow.anchor_submitted(self._outbox.unanchored_batches(), progress)

    def recover(self) -> RecoveryReport:
        """Reconcile the outbox with the chain after a (re)start: every anchor recorded is
        re-checked and one that vanished is sent again (its stored transaction if its nonce is
        still the next, else re-signed by the next `flush`), anchored batches are marked,
        stored anchor transactions re-sent (never re-signed while they can still be mined).
        Status lists of this agency's credentials that vanished with their blocks are created
        again (their entries read valid: a status change made in the lost blocks is lost too).
        Anchors found mined are made final here (`anchored`; `mined` if they do not get their
        confirmations in time). Call `flush()` afterwards to wait for re-sent anchors and
        collect the packages."""
        report = self._outbox.recover(self._anchors)
        if report.vanished:
            self._lists.restore(
                entry
                for batch_id in report.vanished
                for entry in self._outbox.status_entries(batch_id)
            )
        if not report.mined:
            return report
        with contextlib.suppress(ConfirmationTimeout):
            self._flow.finalise_mined()
        still = {b.id for b in self._outbox.mined_batches()}
        final = tuple(i for i in report.mined if i not in still)
        return replace(
            report,
            anchored=tuple(sorted((*report.anchored, *final))),
            mined=tuple(i for i in report.mined if i in still),
        )

    # -- held credentials ---------------------------------------------------------------------

    def suspended(self) -> bool:
        """Whether the agency is suspended on chain now (one view call)."""
        return self._chain.trust.agency_status(self.agency) is AgencyStatus.SUSPENDED

    def held(self) -> tuple[HeldCredential, ...]:
        """Credentials held because the agency was suspended, oldest first."""
        return self._outbox.held()

    def anchor_held(
        self, credential_ids: Sequence[str] | None = None, *, max_batch: int = 10_000
    ) -> list[CredentialPackage]:
        """An operator's decision to anchor held credentials (all, or those named) now that the
        agency is reinstated: they are released and flushed; returns the packages flushed
        (other pending credentials included). `IssuanceError` while it is still suspended."""
        if self.suspended():
            raise IssuanceError(
                f"agency {self.agency} is still suspended: held credentials can be anchored "
                "once the council reinstates it"
            )
        self._outbox.release_held(credential_ids)
        return self.flush(max_batch=max_batch)

    def discard_held(self, credential_ids: Sequence[str] | None = None) -> int:
        """An operator's decision never to anchor held credentials (all, or those named);
        returns how many. They stay in the outbox as discarded and are never handed out."""
        return self._outbox.discard_held(credential_ids)

    def delivered(self, credential_id: str) -> CredentialPackage:
        """The package of a batched credential once anchored (`CredentialNotYetAnchored`)."""
        return self._flow.package(self._outbox.deliverable(credential_id))

    # -- status -------------------------------------------------------------------------------

    def status_ref(self, credential: CredentialPackage | str) -> StatusRef:
        """The status entry of one of this agency's credentials (package or compact SD-JWT)."""
        compact = credential.sd_jwt if isinstance(credential, CredentialPackage) else credential
        return self._lists.ref_of(compact)

    def set_statuses(
        self, targets: Iterable[CredentialPackage | StatusRef], status: CredentialStatus
    ) -> list[Receipt]:
        """Set the status of many credentials: one `setStatuses` transaction per status list,
        sent pipelined when several lists are involved.

        Revocation is final: setting any other status on a revoked credential is an
        `IssuanceError` (checked before anything is sent). The StatusRegistry itself would
        accept it, so that suspend-then-reinstate could bring a revoked credential back. With a
        `persist_state` hook, the devnet's state is saved before this returns."""
        refs = [t if isinstance(t, StatusRef) else self.status_ref(t) for t in targets]
        return self._lists.set_statuses(refs, status)

    def revoke(self, *targets: CredentialPackage | StatusRef) -> list[Receipt]:
        """Revoke credentials for good."""
        return self.set_statuses(targets, CredentialStatus.REVOKED)

    def suspend(self, *targets: CredentialPackage | StatusRef) -> list[Receipt]:
        """Suspend credentials (reversible with `reinstate`). A revoked credential stays
        revoked (`IssuanceError`): revocation is final."""
        return self.set_statuses(targets, CredentialStatus.SUSPENDED)

    def reinstate(self, *targets: CredentialPackage | StatusRef) -> list[Receipt]:
        """Make suspended credentials valid again. A revoked credential stays revoked
        (`IssuanceError`): revocation is final."""
        return self.set_statuses(targets, CredentialStatus.VALID)

    def status(self, target: CredentialPackage | StatusRef) -> CredentialStatus:
        """The current on-chain status of one of this agency's credentials."""
        return self._lists.status(
            target if isinstance(target, StatusRef) else self.status_ref(target)
        )

    # -- internals ----------------------------------------------------------------------------

    @property
    def _chain_id(self) -> int:
        return self._chain.deployment.chain_id

    def _sign(
        self,
        requests: Sequence[IssueRequest],
        ctype: CredentialTypeInfo,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[PendingCredential]:
        jobs, refs = self._jobs(requests, ctype)
        signed = self._signer.sign(jobs, self.issuer_id, ctype.vct, progress)
        return self._pendings(requests, refs, signed, ctype)

    def _jobs(
        self, requests: Sequence[IssueRequest], ctype: CredentialTypeInfo
    ) -> tuple[list[SigningJob], list[StatusRef]]:
        check_claims(requests, ctype)
        refs = self._lists.allocate(len(requests))
        registry = self._chain.deployment.address("StatusRegistry")
        uris = {
            list_id: status_uri(registry, self._chain_id, self.agency, list_id)
            for list_id in {r.list_id for r in refs}
        }
        now = self._now()
        jobs = [
            SigningJob(
                {**request.claims, **request.extra},
                dict(request.holder_jwk),
                ref.index,
                uris[ref.list_id],
                now,
                None if request.validity is None else now + request.validity,
            )
            for request, ref in zip(requests, refs, strict=True)
        ]
        return jobs, refs

    def _pendings(
        self,
        requests: Sequence[IssueRequest],
        refs: Sequence[StatusRef],
        signed: Sequence[tuple[str, bytes]],
        ctype: CredentialTypeInfo,
    ) -> list[PendingCredential]:
        out: list[PendingCredential] = []
        for request, ref, (compact, digest) in zip(requests, refs, signed, strict=True):
            cid = request.credential_id or self._rng.token_bytes(16).hex()
            holder = public_key_from_jwk(request.holder_jwk).kid
            out.append(
                PendingCredential(
                    cid, digest, ctype.type_id, ref.list_id, ref.index, compact, holder
                )
            )
        return out


def _ref(p: PendingCredential) -> StatusRef:
    return StatusRef(p.list_id, p.status_idx)


def package_id(package: CredentialPackage) -> str:
    """The issuer's credential id recorded in a package's metadata ("" if none)."""
    value = package.metadata.get("credential_id", "")
    return value if isinstance(value, str) else ""
