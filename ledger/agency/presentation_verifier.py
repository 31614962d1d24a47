"""One presentation through every check, from its request to its nonce (`Verifier.verify`).

`PresentationVerifier.run` checks the request (`RequestDesk`), sends the lens question built
from the not yet verified presentation down a `LensPipe` so that the node answers while the
signatures are checked (`presentation_checks`), reads that answer if the verified presentation
asks exactly that question (otherwise asks again with `Lens.check_one`), judges it
(`chain_checks.record_chain_checks`) and consumes the nonce. In herd mode the question leaves
out what names the credential and the answer is completed locally (`ledger.agency.herd`).
The pieces after the front (`lens_request`, `ask`, `answer`, `finish`) also serve batches
(`verifier_batch`). The constructor does no I/O; not thread-safe.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ledger import untrusted_json
from ledger._b64 import b64d
from ledger.agency import chain_checks, herd
from ledger.agency.packages import PresentationPackage
from ledger.agency.presentation_checks import (
    PresentationFacts,
    PresentationJob,
    check_presentation,
    record_front,
)
from ledger.agency.report import ReportBuilder, VerificationReport
from ledger.agency.request import PresentationRequest
from ledger.agency.verifier_requests import RequestDesk, RequestInfo
from ledger.chain.client import LedgerChain
from ledger.chain.lens import CheckRequest, CredentialCheck
from ledger.chain.lens_pipe import LensPipe
from ledger.chain.records import ZERO32, CredentialStatus, checksum
from ledger.chain.status_registry import StatusListReader
from ledger.errors import VerificationError
from ledger.report import Check
from ledger.sdjwt import StatusReference

__all__ = ["PresentationVerifier", "VerifiedCredentialPresentation"]

# Presentations larger than this are not parsed before the SD-JWT layer's own size check.
_PREFETCH_MAX = 64 * 1024


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


class PresentationVerifier:
    """The per-presentation steps of a verifier at `address` (see the module docstring)."""

    def __init__(
        self,
        chain: LedgerChain,
        desk: RequestDesk,
        *,
        address: str,
        clock_skew: int,
        max_kb_age: int,
        overlap: bool,
        status_reader: StatusListReader | None,
    ) -> None:
        self.chain = chain
        self.desk = desk
        self.address = address
        self.skew = clock_skew
        self.max_kb_age = max_kb_age
        self._overlap = overlap
        self._pipe = LensPipe(chain.lens)
        self._herd = status_reader
        self._names: dict[str, str] = {}

    def close(self) -> None:
        """Close the lens connection."""
        self._pipe.close()

    def _agency_name(self, agency: str) -> str:
        name = self._names.get(agency)
        if name is None:
            name = self._names[agency] = self.chain.trust.agency(agency).name
        return name

    @staticmethod
    def job(
        package: PresentationPackage, request: PresentationRequest, info: RequestInfo
    ) -> PresentationJob:
        """The front's input for `package` answering `request`."""
        return PresentationJob(
            presentation=package.presentation,
            audience=request.audience,
            nonce=request.nonce,
            vct=request.vct,
            type_id=request.type_id,
            presented_type_id=package.type_id,
            claims=info.claims,
        )

    def lens_request(
        self,
        digest: bytes,
        kid: str,
        list_id: int,
        status_idx: int,
        package: PresentationPackage,
        request: PresentationRequest,
        info: RequestInfo,
    ) -> CheckRequest:
        """The lens question about a presented credential, with this verifier's registration."""
        anchor = package.anchor
        return CheckRequest(
            digest=digest,
            kid=chain_checks.kid_bytes(kid),
            list_id=list_id,
            status_index=status_idx,
            root=anchor.root if anchor.root is not None else ZERO32,
            proof=anchor.proof,
            verifier=self.address,
            purpose_digest=request.purpose_digest,
            claim_mask=info.mask,
        )

    def ask(self, lens_request: CheckRequest) -> CheckRequest:
        """The lens request as sent: as is, or in herd mode without what names the credential."""
        return lens_request if self._herd is None else herd.herd_request(lens_request)

    def answer(self, check: CredentialCheck, lens_request: CheckRequest) -> CredentialCheck:
        """The lens answer to `lens_request` (herd mode completes the answer to `ask`)."""
        if self._herd is None:
            return check
        return herd.complete_answer(check, lens_request, self._herd)

    def finish(
        self,
        builder: ReportBuilder,
        facts: PresentationFacts,
        request: PresentationRequest,
        check: CredentialCheck,
        now: int,
    ) -> VerifiedCredentialPresentation:
        """Judge the lens answer, consume the nonce, and say what was verified."""
        expected = chain_checks.ChainExpectation(facts.agency, request.type_id, self.address)
        chain_checks.record_chain_checks(builder, check, expected, chain=self.chain)
        with builder.check(Check.NONCE, "consumed"):
            self.desk.consume(request, now)
        address = checksum(bytes.fromhex(facts.agency[2:])) or facts.agency
        return VerifiedCredentialPresentation(
            claims=facts.claims,
            disclosed_paths=facts.disclosed_paths,
            issuer=facts.issuer,
            issuer_address=address,
            issuer_name=self._agency_name(address),
            vct=facts.vct,
            type_id=check.type_id,
            anchored_at=check.anchored_at,
            status=CredentialStatus(check.status),
            kid=facts.kid,
            block_number=check.block_number,
            report=builder.report(),
        )

    def run(
        self, package: PresentationPackage, request: PresentationRequest, builder: ReportBuilder
    ) -> VerifiedCredentialPresentation:
        """Every check of one presentation, in order; raises the first failure's error."""
        now = self.desk.now()
        info = builder.run(Check.REQUEST, lambda: self.desk.check(request, now))
        sent = self._prefetch(package, request, info)
        outcome = check_presentation(
            self.chain, self.job(package, request, info), now, self.skew, self.max_kb_age
        )
        facts = record_front(builder, info.detail, outcome)
        lens_request = self.lens_request(
            facts.digest, facts.kid, facts.list_id, facts.status_idx, package, request, info
        )
        check = self._pipe.receive() if sent == lens_request else None
        if check is None:
            check = self.chain.lens.check_one(self.ask(lens_request))
        return self.finish(builder, facts, request, self.answer(check, lens_request), now)

    def _prefetch(
        self, package: PresentationPackage, request: PresentationRequest, info: RequestInfo
    ) -> CheckRequest | None:
        """Send the lens call built from the UNVERIFIED presentation, so that the round trip
        overlaps the signature checks. Its answer is used only if the verified presentation
        asks exactly the same question; anything odd here just skips the overlap."""
        if not self._overlap or len(package.presentation) > _PREFETCH_MAX:
            return None
        try:
            jwt = package.presentation.split("~", 1)[0]
            head, body, _ = jwt.split(".")
            unverified_header = untrusted_json.loads(b64d(head))
            unverified_payload = untrusted_json.loads(b64d(body))
            ref = unverified_payload["status"]["status_list"]
            _, list_id = chain_checks.status_list_of(
                self.chain, unverified_payload["iss"], StatusReference(ref["idx"], ref["uri"])
            )
            lens_request = self.lens_request(
                hashlib.sha256(jwt.encode("ascii")).digest(),
                unverified_header["kid"],
                list_id,
                ref["idx"],
                package,
                request,
                info,
            )
            sent = self._pipe.send(self.ask(lens_request))
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, OverflowError):
            return None
        except VerificationError:
            return None
        return lens_request if sent else None
