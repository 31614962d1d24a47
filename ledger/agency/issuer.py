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
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from ledger._rand import SYSTEM_RANDOM, RandomSource
from ledger.agency.anchoring import LedgerAnchorChain
from ledger.agency.outbox import (
    BatchRecord,
    DeliveredCredential,
    HeldCredential,
    Outbox,
    PendingCredential,
    RecoveryReport,
)
from ledger.agency.packages import (
    AnchorEvidence,
    CredentialPackage,
    issuer_did,
    parse_status_uri,
    status_uri,
)
from ledger.agency.status_alloc import StatusIndexAllocator
from ledger.chain.client import AgencyStatus, CredentialStatus, CredentialTypeInfo, LedgerChain
from ledger.chain.sender import Receipt
from ledger.errors import (
    AnchorRegistryNotAccredited,
    ClaimNotInType,
    ConfirmationTimeout,
    ContractRevert,
    CredentialsHeld,
    InputError,
    IssuanceError,
    StatusListFull,
    StatusRegistryListExists,
    UnknownCredentialType,
)
from ledger.sdjwt.holder import unverified_header_and_payload
from ledger.sdjwt.issuer import issue_sd_jwt_vc
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
_ALLOC_CHUNK = 4096
#: Fewer credentials than this are signed in-process even with a pool.
_PARALLEL_MIN = 1000


@dataclass(frozen=True)
class StatusRef:
    """A credential's entry in one of this agency's status lists."""

    list_id: int
    index: int


@dataclass(frozen=True)
class PendingIssue:
    """A signed credential waiting in the outbox for its batch anchor (not deliverable yet)."""

    credential_id: str
    digest: bytes
    type_id: int
    status: StatusRef
    held: bool = False  # signed while the agency was suspended: waits for an operator


@dataclass(frozen=True)
class IssueRequest:
    """One credential for `Issuer.issue_many`."""

    claims: Mapping[str, Any]
    holder_jwk: Mapping[str, str]
    validity: int | None = None
    credential_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


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


@dataclass(frozen=True)
class _Job:
    claims: dict[str, Any]
    holder_jwk: dict[str, str]
    index: int
    uri: str
    iat: int
    exp: int | None


def _sign_one(
    key: SigningKey, iss: str, vct: str, job: _Job, rng: RandomSource | None = None
) -> tuple[str, bytes]:
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


def _worker_sign(iss: str, vct: str, jobs: list[_Job]) -> list[tuple[str, bytes]]:
    key = _WORKER_KEY
    if key is None:
        raise IssuanceError("signing worker was not initialised")
    return [_sign_one(key, iss, vct, job) for job in jobs]


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
        self._key = signing_key
        self._outbox = outbox
        self._allocator = allocator
        self._capacity = status_list_capacity
        self._anchors = anchor_chain or LedgerAnchorChain(
            chain, confirmations=confirmations, persist_state=persist_state
        )
        self._persist = persist_state
        self._now = now or (lambda: int(time.time()))
        self._rng = rng or SYSTEM_RANDOM
        self._types: dict[str, CredentialTypeInfo] = {}
        self._list_id: int | None = None
        self._list_capacity: dict[int, int] = {}
        self._owned: tuple[Outbox, StatusIndexAllocator] | None = None
        self._processes = signing_processes
        self._pool: ProcessPoolExecutor | None = None
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
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
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
            type_id = self._chain.type_id_of(vct)
            if type_id == 0:
                raise UnknownCredentialType(f"credential type {vct!r} is not registered")
            info = self._chain.credential_type(type_id)
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
        self._anchor_submitted([self._outbox.batch(batch_id)])
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
        if self._pooled(len(requests)):
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
        chunk = max(_PARALLEL_MIN // 2, min(max_batch, -(-len(requests) // 4)))
        jobs, refs = self._jobs(requests, ctype)
        pool = self._signing_pool()
        iss = self.issuer_id
        futures = [
            pool.submit(_worker_sign, iss, ctype.vct, jobs[i : i + chunk])
            for i in range(0, len(jobs), chunk)
        ]
        waited = queued = anchored = 0.0
        by_id: dict[str, CredentialPackage] = {}
        ids: list[str] = []
        setup = time.perf_counter() - t0
        for k, future in enumerate(futures):
            t1 = time.perf_counter()
            signed = future.result()
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
                self._submit(sealed, t)
            except AnchorRegistryNotAccredited:
                if not self.suspended():
                    raise
                self._outbox.hold_unsubmitted(now=t)  # suspended since the check above
        return self._anchor_submitted(self._outbox.unanchored_batches(), progress)

    def _submit(self, sealed: Sequence[BatchRecord], t: int) -> None:
        """Sign the anchors of `sealed` batches, record them (write-ahead) and broadcast them."""
        signed = self._anchors.sign_anchors(
            [(b.root, b.type_id, b.count, b.single) for b in sealed]
        )
        for batch, tx in zip(sealed, signed, strict=True):
            self._outbox.record_submission(batch.id, tx.raw_tx, tx.tx_hash, tx.nonce, now=t)
        self._anchors.broadcast_signed(signed)

    def _anchor_submitted(
        self,
        batches: Sequence[BatchRecord],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[CredentialPackage]:
        """Wait for the anchors of submitted `batches` and mark them mined (batches not yet
        submitted are skipped; a reverted anchor is raised before anything is marked), then
        wait until every mined batch is final and return the packages of those that are."""
        hashes = [b.tx_hash for b in batches if b.tx_hash is not None and b.state == "submitted"]
        outcomes = dict(zip(hashes, self._anchors.wait_outcomes(hashes), strict=True))
        for outcome in outcomes.values():
            if isinstance(outcome, ContractRevert):
                raise outcome
        mined = []
        for b in batches:
            receipt = None if b.tx_hash is None else outcomes.get(b.tx_hash)
            if isinstance(receipt, Receipt):
                mined.append((b, self._anchors.confirm(b.root, receipt, single=b.single)))
        if self._anchors.confirmations > 1:
            for b, inclusion in mined:
                block = inclusion.block_number or 0
                self._outbox.mark_mined(b.id, block, inclusion.block_hash, inclusion.anchored_at)
            return self._finalise_mined(progress)
        # Final once mined (one confirmation): no `mined` record, as recover finds such an
        # anchor on chain anyway; only the state is saved (a devnet) before they are delivered.
        packages: list[CredentialPackage] = []
        if mined:
            self._anchors.await_final(max(i.block_number or 0 for _, i in mined))
        for done, (b, inclusion) in enumerate(mined, 1):
            self._outbox.mark_anchored(
                b.id, inclusion.block_number, inclusion.anchored_at, block_hash=inclusion.block_hash
            )
            packages.extend(self._package(d) for d in self._outbox.deliverables(b.id))
            if progress is not None:
                progress(done, len(mined))
        return packages + self._finalise_mined(progress)

    def _finalise_mined(
        self, progress: Callable[[int, int], None] | None = None
    ) -> list[CredentialPackage]:
        """Wait until the mined batches are final (`LedgerAnchorChain.await_final`: their
        confirmations, and the devnet's state saved), check each is still in the block it was
        mined in, mark those anchored and return their packages. One whose block changed is
        left mined: `recover()` re-checks it."""
        mined = self._outbox.mined_batches()
        if not mined:
            return []
        numbers = [b.block_number for b in mined if b.block_number is not None]
        self._anchors.await_final(max(numbers))
        hashes = dict(zip(numbers, self._anchors.block_hashes(numbers), strict=True))
        packages: list[CredentialPackage] = []
        for done, b in enumerate(mined, 1):
            if b.block_number is None or hashes.get(b.block_number) is None:
                continue
            if b.block_hash is not None and hashes[b.block_number] != b.block_hash:
                continue
            assert b.anchored_at is not None
            self._outbox.mark_anchored(
                b.id, b.block_number, b.anchored_at, block_hash=hashes[b.block_number]
            )
            packages.extend(self._package(d) for d in self._outbox.deliverables(b.id))
            if progress is not None:
                progress(done, len(mined))
        return packages

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
            self._restore_status_lists(report.vanished)
        if not report.mined:
            return report
        with contextlib.suppress(ConfirmationTimeout):
            self._finalise_mined()
        still = {b.id for b in self._outbox.mined_batches()}
        final = tuple(i for i in report.mined if i not in still)
        return replace(
            report,
            anchored=tuple(sorted((*report.anchored, *final))),
            mined=tuple(i for i in report.mined if i in still),
        )

    def _restore_status_lists(self, batch_ids: Sequence[int]) -> None:
        """Create again the status lists of the credentials of `batch_ids` that are gone."""
        reach: dict[int, int] = {}
        for batch_id in batch_ids:
            for list_id, index in self._outbox.status_entries(batch_id):
                reach[list_id] = max(reach.get(list_id, 0), index + 1)
        for list_id, needed in sorted(reach.items()):
            if self._chain.status_list(self.agency, list_id) is None:
                capacity = max(self._capacity, -(-needed // 128) * 128)
                self._chain.create_status_list(list_id, capacity)
                self._list_capacity[list_id] = capacity

    # -- held credentials ---------------------------------------------------------------------

    def suspended(self) -> bool:
        """Whether the agency is suspended on chain now (one view call)."""
        return self._chain.agency_status(self.agency) is AgencyStatus.SUSPENDED

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
        return self._package(self._outbox.deliverable(credential_id))

    # -- status -------------------------------------------------------------------------------

    def status_ref(self, credential: CredentialPackage | str) -> StatusRef:
        """The status entry of one of this agency's credentials (package or compact SD-JWT)."""
        compact = credential.sd_jwt if isinstance(credential, CredentialPackage) else credential
        _, payload = unverified_header_and_payload(compact)
        try:
            entry = payload["status"]["status_list"]
            ref = parse_status_uri(entry["uri"])
            index = entry["idx"]
        except (KeyError, TypeError) as exc:
            raise InputError("credential has no status_list entry") from exc
        if ref.agency.lower() != self.agency.lower() or not isinstance(index, int):
            raise InputError("credential's status list is not this agency's")
        return StatusRef(ref.list_id, index)

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
        if status is not CredentialStatus.REVOKED:
            now = self._chain.statuses_of(self.agency, [(r.list_id, r.index) for r in refs])
            for ref, current in zip(refs, now, strict=True):
                if current is CredentialStatus.REVOKED:
                    raise IssuanceError(f"credential {ref} is revoked; revocation is final")
        by_list: dict[int, set[int]] = {}
        for ref in refs:
            by_list.setdefault(ref.list_id, set()).add(ref.index)
        txs = [
            self._chain.set_statuses_tx(list_id, sorted(indexes), int(status))
            for list_id, indexes in sorted(by_list.items())
        ]
        receipts = [self._chain.transact(txs[0])] if len(txs) == 1 else self._chain.send_many(txs)
        if self._persist is not None:  # a revocation must not vanish with a killed devnet
            self._persist()
        return receipts

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
        ref = target if isinstance(target, StatusRef) else self.status_ref(target)
        return self._chain.status_of(self.agency, ref.list_id, ref.index)

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
        signed = self._run_jobs(jobs, ctype.vct, progress)
        return self._pendings(requests, refs, signed, ctype)

    def _jobs(
        self, requests: Sequence[IssueRequest], ctype: CredentialTypeInfo
    ) -> tuple[list[_Job], list[StatusRef]]:
        # A type may name nested claims ("address.locality"); their top-level object is allowed.
        allowed = {name.split(".", 1)[0].split("[", 1)[0] for name in ctype.claim_names}
        for request in requests:
            if not request.claims:
                raise ClaimNotInType(f"no claims: a {ctype.vct!r} credential needs at least one")
            for name in request.claims:
                if name not in allowed:
                    raise ClaimNotInType(f"claim {name!r} is not a claim of {ctype.vct!r}")
        refs = self._allocate(len(requests))
        registry = self._chain.deployment.address("StatusRegistry")
        uris = {
            list_id: status_uri(registry, self._chain_id, self.agency, list_id)
            for list_id in {r.list_id for r in refs}
        }
        now = self._now()
        jobs = [
            _Job(
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

    def _pooled(self, count: int) -> bool:
        return self._processes > 1 and self._rng is SYSTEM_RANDOM and count >= _PARALLEL_MIN

    def _signing_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._processes,
                initializer=_worker_init,
                initargs=(self._key.to_private_jwk(),),
            )
        return self._pool

    def _run_jobs(
        self, jobs: list[_Job], vct: str, progress: Callable[[int, int], None] | None
    ) -> list[tuple[str, bytes]]:
        iss = self.issuer_id
        if not self._pooled(len(jobs)):
            out: list[tuple[str, bytes]] = []
            for i, job in enumerate(jobs, 1):
                out.append(_sign_one(self._key, iss, vct, job, self._rng))
                if progress is not None and (i % 1000 == 0 or i == len(jobs)):
                    progress(i, len(jobs))
            return out
        pool = self._signing_pool()
        size = max(250, len(jobs) // (4 * self._processes))
        futures = [
            pool.submit(_worker_sign, iss, vct, jobs[i : i + size])
            for i in range(0, len(jobs), size)
        ]
        results: list[tuple[str, bytes]] = []
        for future in futures:
            results.extend(future.result())
            if progress is not None:
                progress(len(results), len(jobs))
        return results

    def _allocate(self, count: int) -> list[StatusRef]:
        """`count` random unused entries, opening (and creating on chain) new lists as needed."""
        refs: list[StatusRef] = []
        chunk = min(_ALLOC_CHUNK, max(1, self._capacity // 4))
        while len(refs) < count:
            list_id = self._current_list()
            capacity = self._list_capacity[list_id]
            n = min(chunk, count - len(refs))
            try:
                got = self._allocator.allocate_many(
                    list_id, capacity, n, rng=self._rng.randbelow, now=self._now()
                )
            except StatusListFull:
                if self._allocator.allocated(list_id) == 0:
                    if n == 1:
                        raise
                    chunk = max(1, n // 2)
                    continue
                self._list_id = list_id + 1
                continue
            refs.extend(StatusRef(list_id, i) for i in got)
        return refs

    def _current_list(self) -> int:
        """The list to draw from. A list this state has drawn from is used until full; a list
        that exists on chain but that this state never drew from belongs to another state
        directory of the agency (or to a crash right after creating it) and is skipped, so two
        issuers of one agency never share a status entry."""
        if self._list_id is None:
            list_id = 1
            while self._allocator.allocated(list_id + 1) > 0:
                list_id += 1
            self._list_id = list_id
        while self._list_id not in self._list_capacity:
            list_id = self._list_id
            info = self._chain.status_list(self.agency, list_id)
            if info is not None and self._allocator.allocated(list_id) > 0:
                self._list_capacity[list_id] = info.capacity
            elif info is not None:
                self._list_id = list_id + 1
            else:
                try:
                    self._chain.create_status_list(list_id, self._capacity)
                except StatusRegistryListExists:  # another issuer of the agency was faster
                    self._list_id = list_id + 1
                    continue
                self._list_capacity[list_id] = self._capacity
        return self._list_id

    def _package(self, d: DeliveredCredential) -> CredentialPackage:
        a = d.anchor
        meta = {
            "credential_id": d.credential_id,
            "status": {"list_id": d.list_id, "idx": d.status_idx},
            "anchored_at": a.anchored_at,
            "block_number": a.block_number,
            "tx_hash": a.tx_hash,
        }
        evidence = (
            AnchorEvidence()
            if a.single
            else AnchorEvidence(root=a.root, proof=a.proof, leaf_index=a.leaf_index)
        )
        return CredentialPackage(d.compact, evidence, d.type_id, self._chain_id, meta)


def _ref(p: PendingCredential) -> StatusRef:
    return StatusRef(p.list_id, p.status_idx)


def package_id(package: CredentialPackage) -> str:
    """The issuer's credential id recorded in a package's metadata ("" if none)."""
    value = package.metadata.get("credential_id", "")
    return value if isinstance(value, str) else ""
