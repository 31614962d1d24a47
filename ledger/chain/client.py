"""`LedgerChain`: typed access to every operation of the deployed contract suite.

Transactions are signed locally by the account given (from a keystore) through `TxSender`;
reverts surface as the specific `ledger.errors` class of the Solidity custom error, with its
values as attributes. Views go through `Rpc.eth_call` with prebuilt calldata. Methods ending in
`_tx` return a prepared `TxRequest` for pipelined sending (`LedgerChain.send_many`).

The verifier hot path, `check_credential` / `check_credentials_batch`, encodes the LedgerLens
call by hand (prebuilt selector, no ABI machinery) and decodes its fixed-size answer directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from ledger.chain.council import ZERO32, CouncilAction, CouncilActions
from ledger.chain.deploy import Deployment, contract_abi, suite_error_decoder
from ledger.chain.possession import PossessionProof, prove_possession, require_p256_verify
from ledger.chain.rpc import Rpc
from ledger.chain.sender import Receipt, TxRequest, TxSender
from ledger.errors import (
    ChainError,
    ConfigError,
    ContractReverted,
    CouncilExecutionFailed,
    KeyRegistryBadPossessionProof,
)

if TYPE_CHECKING:
    from ledger.sdjwt.jwk import SigningKey

__all__ = [
    "ZERO32",
    "AccreditationInfo",
    "AgencyInfo",
    "AgencyStatus",
    "AnchorInfo",
    "CheckRequest",
    "CredentialCheck",
    "CredentialStatus",
    "CredentialTypeInfo",
    "KeyInfo",
    "LedgerChain",
    "ProposalInfo",
    "ProposalOutcome",
    "StatusListInfo",
    "VerifierRegistration",
    "checksum",
    "decode_credential_check",
]


class AgencyStatus(IntEnum):
    """Agency status in the TrustRegistry."""

    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    REMOVED = 3


class CredentialStatus(IntEnum):
    """Status-list values (IETF Token Status List)."""

    VALID = 0
    REVOKED = 1
    SUSPENDED = 2


@dataclass(frozen=True)
class AgencyInfo:
    """An agency record."""

    address: str
    status: AgencyStatus
    admitted_at: int
    suspended_since: int
    removed_at: int
    metadata_digest: bytes
    name: str


@dataclass(frozen=True)
class AccreditationInfo:
    """An accreditation grant (`granted_at == 0`: none)."""

    agency: str
    type_id: int
    valid_from: int
    valid_until: int
    withdrawn_at: int
    granted_at: int
    authority: bool
    delegated: bool
    parent: str | None

    @property
    def exists(self) -> bool:
        """Whether a grant was ever made."""
        return self.granted_at != 0


@dataclass(frozen=True)
class CredentialTypeInfo:
    """A registered credential type."""

    type_id: int
    vct: str
    claim_names: tuple[str, ...]
    claim_set_digest: bytes
    supersedes: int
    superseded_by: int
    registered_by: str
    registered_at: int

    def claim_mask(self, names: Sequence[str]) -> int:
        """The bit mask of `names` over this type's claim list (`KeyError` for an unknown name)."""
        mask = 0
        for name in names:
            if name not in self.claim_names:
                raise KeyError(name)
            mask |= 1 << self.claim_names.index(name)
        return mask


@dataclass(frozen=True)
class KeyInfo:
    """An agency signing key (`agency is None`: unknown kid)."""

    kid: bytes
    x: bytes
    y: bytes
    agency: str | None
    valid_from: int
    valid_until: int
    revoked_at: int


@dataclass(frozen=True)
class AnchorInfo:
    """An anchor record: a single digest (`count == 1`, not batch) or a batch root."""

    key: bytes
    issuer: str
    type_id: int
    anchored_at: int
    count: int
    is_batch: bool


@dataclass(frozen=True)
class StatusListInfo:
    """A status list's metadata."""

    agency: str
    list_id: int
    capacity: int
    created_at: int

    @property
    def words(self) -> int:
        """Number of 256-bit words (128 entries each)."""
        return self.capacity // 128


@dataclass(frozen=True)
class VerifierRegistration:
    """A verifier registration (`registered_at == 0`: none)."""

    verifier: str
    type_id: int
    purpose_digest: bytes
    claim_mask: int
    valid_from: int
    valid_until: int
    withdrawn_at: int
    registered_at: int

    def in_force_at(self, t: int) -> bool:
        """Registered, and at `t` inside its window and not withdrawn (the time test of
        `VerifierRegistry.isAuthorized`)."""
        if self.registered_at == 0 or t < self.valid_from:
            return False
        if self.valid_until != 0 and t >= self.valid_until:
            return False
        return self.withdrawn_at == 0 or t < self.withdrawn_at


@dataclass(frozen=True)
class ProposalInfo:
    """A council proposal.

    `votes` counts the votes of current members (once executed: the votes it executed with);
    `executable`: open, unexpired and at the threshold now, so any member may `execute` it;
    `failed_block`: the block of its last failed execution in a vote, 0 if none (the reason:
    `LedgerChain.execution_failure`).
    """

    proposal_id: int
    target: str
    proposer: str
    created_at: int
    expires_at: int
    votes: int
    executed: bool
    executable: bool
    failed_block: int
    data: bytes


@dataclass(frozen=True)
class ProposalOutcome:
    """Result of a propose, vote or execute transaction.

    `execution_error` is set when the vote reached the threshold but the proposal's call
    reverted: the decoded inner error (e.g. `TrustRegistryAgencyExists`). The vote still counts
    and the proposal stays open (`LedgerChain.execute` retries it).
    """

    proposal_id: int
    executed: bool
    votes: int
    receipt: Receipt
    execution_error: ChainError | None = None


@dataclass(frozen=True)
class CheckRequest:
    """One credential for the LedgerLens (root = ZERO32 and no proof for single anchors;
    verifier None skips the verifier check)."""

    digest: bytes
    kid: bytes
    list_id: int
    status_index: int
    root: bytes = ZERO32
    proof: tuple[bytes, ...] = ()
    verifier: str | None = None
    purpose_digest: bytes = ZERO32
    claim_mask: int = 0


@dataclass(frozen=True)
class CredentialCheck:
    """LedgerLens answer (see ILedgerLens.CredentialCheck)."""

    anchored: bool
    issuer: str | None
    type_id: int
    anchored_at: int
    batch_count: int
    issuer_accredited_at_anchor: bool
    key_valid_at_anchor: bool
    key_agency: str | None
    key_revoked_at: int
    status_known: bool
    status: int
    issuer_agency_status: AgencyStatus
    verifier_authorized: bool
    block_number: int
    block_timestamp: int


# ILedgerLens.CredentialCheck is 15 static words.
LENS_CHECK_WORDS = 15


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _addr_word(address: str | None) -> bytes:
    return bytes(12) + (bytes.fromhex(address[2:]) if address else bytes(20))


def _address_or_none(value: str) -> str | None:
    return None if int(value, 16) == 0 else to_checksum_address(value)


@lru_cache(maxsize=65536)
def checksum(raw: bytes) -> str | None:
    """EIP-55 form of a 20-byte address (None for zero), cached: checksumming costs a keccak."""
    return None if not any(raw) else to_checksum_address("0x" + raw.hex())


def decode_credential_check(data: bytes, offset: int = 0) -> CredentialCheck:
    """Decode one ABI-encoded CredentialCheck (15 static words) starting at `offset`.

    Address checksums are cached (`checksum`): the verifier decodes one per credential.
    """
    n = [
        int.from_bytes(data[offset + 32 * i : offset + 32 * i + 32], "big")
        for i in range(LENS_CHECK_WORDS)
    ]
    return CredentialCheck(
        anchored=bool(n[0]),
        issuer=checksum(data[offset + 44 : offset + 64]),
        type_id=n[2],
        anchored_at=n[3],
        batch_count=n[4],
        issuer_accredited_at_anchor=bool(n[5]),
        key_valid_at_anchor=bool(n[6]),
        key_agency=checksum(data[offset + 7 * 32 + 12 : offset + 8 * 32]),
        key_revoked_at=n[8],
        status_known=bool(n[9]),
        status=n[10],
        issuer_agency_status=AgencyStatus(n[11]),
        verifier_authorized=bool(n[12]),
        block_number=n[13],
        block_timestamp=n[14],
    )


class LedgerChain:
    """Typed client of the deployed suite. The constructor does no I/O.

    `account` signs transactions; without one the client is read-only (transactions raise
    `ConfigError`). One `LedgerChain` per account and thread (it owns a `TxSender`).
    """

    def __init__(
        self,
        rpc: Rpc,
        deployment: Deployment,
        account: LocalAccount | None = None,
        *,
        gas_price: int | None = None,
    ) -> None:
        self._rpc = rpc
        self._deployment = deployment
        self._account = account
        self._decoder = suite_error_decoder()
        self._sender = (
            TxSender(rpc, account, decoder=self._decoder, gas_price=gas_price)
            if account is not None
            else None
        )
        self.actions = CouncilActions(deployment)
        lens = contract_abi("LedgerLens")
        self._lens_address = deployment.address("LedgerLens")
        self._check_selector = lens.selector("checkCredential")

    # -- plumbing -----------------------------------------------------------------------------

    @property
    def rpc(self) -> Rpc:
        """The JSON-RPC client."""
        return self._rpc

    @property
    def deployment(self) -> Deployment:
        """The deployment record."""
        return self._deployment

    @property
    def address(self) -> str:
        """The signing account's address (`ConfigError` if read-only)."""
        return self.sender.address

    @property
    def sender(self) -> TxSender:
        """The transaction sender (`ConfigError` if read-only)."""
        if self._sender is None:
            raise ConfigError("this LedgerChain has no account: it can only read")
        return self._sender

    def tx(self, contract: str, fn: str, args: Sequence[Any], gas: int | None = None) -> TxRequest:
        """A prepared transaction calling `fn(*args)` on suite contract `contract`."""
        data = contract_abi(contract).encode_call(fn, list(args))
        return TxRequest(to=self._deployment.address(contract), data=data, gas=gas)

    def transact(self, request: TxRequest) -> Receipt:
        """Send one prepared transaction and wait; reverts raise their decoded error."""
        if request.to is None:
            raise ConfigError("transact() does not deploy contracts")
        return self.sender.transact(request.to, request.data, gas=request.gas)

    def send_many(
        self,
        requests: Sequence[TxRequest],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Receipt]:
        """Send prepared transactions pipelined (consecutive nonces); receipts in order."""
        return self.sender.send_many(requests, progress=progress)

    def view(
        self, contract: str, fn: str, args: Sequence[Any], *, block: str | int = "latest"
    ) -> tuple[Any, ...]:
        """Call a view and decode its result; reverts raise their decoded error."""
        abi = contract_abi(contract)
        data = abi.encode_call(fn, list(args))
        try:
            raw = self._rpc.eth_call(self._deployment.address(contract), data, block=block)
        except ContractReverted as exc:
            raise self._decoder(exc.data) from exc
        return abi.decode_result(fn, raw)

    def views(
        self, contract: str, fn: str, args_list: Sequence[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        """`view` of `fn` once per argument list, all in one JSON-RPC batch."""
        abi = contract_abi(contract)
        to = self._deployment.address(contract)
        calls = [
            ("eth_call", [{"to": to, "data": "0x" + abi.encode_call(fn, list(a)).hex()}, "latest"])
            for a in args_list
        ]
        try:
            raws = self._rpc.batch(calls)
        except ContractReverted as exc:
            raise self._decoder(exc.data) from exc
        return [abi.decode_result(fn, bytes.fromhex(str(raw)[2:])) for raw in raws]

    def _send(self, contract: str, fn: str, args: Sequence[Any]) -> Receipt:
        return self.transact(self.tx(contract, fn, args))

    # -- council ------------------------------------------------------------------------------

    def _outcome(self, receipt: Receipt, proposal_id: int | None) -> ProposalOutcome:
        council = contract_abi("Council")
        address = self._deployment.address("Council").lower()
        executed = False
        votes = 0
        failure: ChainError | None = None
        for log in receipt.logs:
            if str(log.get("address", "")).lower() != address:
                continue
            event = council.decode_event(log)
            if event.name == "ProposalCreated":
                proposal_id = int(event.args["id"])
            elif event.name == "ProposalVoted":
                votes = int(event.args["votes"])
            elif event.name == "ProposalExecuted":
                executed = True
                votes = int(event.args["votes"])
            elif event.name == "ProposalExecutionFailed":
                failure = self._decoder(bytes(event.args["reason"]))
        if proposal_id is None:
            raise ChainError(f"no ProposalCreated event in {receipt.tx_hash}")
        return ProposalOutcome(proposal_id, executed, votes, receipt, failure)

    def _council_tx(self, request: TxRequest, proposal_id: int | None) -> ProposalOutcome:
        try:
            receipt = self.transact(request)
        except CouncilExecutionFailed as exc:
            reason = exc.values.get("reason", b"")
            if isinstance(reason, bytes) and reason:
                raise self._decoder(reason) from exc
            raise
        return self._outcome(receipt, proposal_id)

    def dry_run(self, action: CouncilAction) -> ChainError | None:
        """What executing `action` now would raise (its decoded error), or None if it would
        succeed: an `eth_call` of the action as the Council itself, so nothing is sent.

        A proposal that fails now may still succeed later (e.g. accrediting an agency whose
        admission is another open proposal), so this informs rather than forbids.
        """
        try:
            self._rpc.eth_call(
                action.target, action.data, sender=self._deployment.address("Council")
            )
        except ContractReverted as exc:
            return self._decoder(exc.data)
        return None

    def propose(self, action: CouncilAction) -> ProposalOutcome:
        """Propose `action` (counts as this member's vote; executes at threshold 1).

        If it executes and its call reverts, the proposal and the vote stay:
        `execution_error` of the outcome holds the decoded inner error.
        """
        return self._council_tx(self.tx("Council", "propose", [action.target, action.data]), None)

    def vote(self, proposal_id: int) -> ProposalOutcome:
        """Vote for a proposal; executes it when the threshold is reached.

        A reverting call does not undo the vote: see `execution_error` of the outcome.
        """
        return self._council_tx(self.tx("Council", "vote", [proposal_id]), proposal_id)

    def execute(self, proposal_id: int) -> ProposalOutcome:
        """Execute a proposal that has the threshold of votes (a failed call, or a threshold
        lowered since its last vote); any member may.

        Raises `CouncilThresholdNotReached` below the threshold, and the decoded inner error
        (e.g. `TrustRegistryAgencyExists`, chained from `CouncilExecutionFailed`) if the call
        reverts, in which case nothing changes and the proposal stays open.
        """
        return self._council_tx(self.tx("Council", "execute", [proposal_id]), proposal_id)

    def execution_failure(self, proposal_id: int) -> ChainError | None:
        """Why the last execution of a proposal in a vote failed (the decoded inner error), or
        None if none failed: the `ProposalExecutionFailed` event of its `failed_block`."""
        block = self.proposal(proposal_id).failed_block
        if block == 0:
            return None
        council = contract_abi("Council")
        logs = self._rpc.call(
            "eth_getLogs",
            [
                {
                    "address": self._deployment.address("Council"),
                    "fromBlock": hex(block),
                    "toBlock": hex(block),
                    "topics": [
                        "0x" + council.topic("ProposalExecutionFailed").hex(),
                        "0x" + proposal_id.to_bytes(32, "big").hex(),
                    ],
                }
            ],
        )
        if not logs:
            raise ChainError(
                f"proposal {proposal_id} failed in block {block}, but the node returned no "
                "ProposalExecutionFailed log for it (a pruned node?)"
            )
        event = council.decode_event(logs[-1])
        return self._decoder(bytes(event.args["reason"]))

    def sign_vote(self, proposal_id: int, deadline: int) -> bytes:
        """This member's EIP-712 signature of a vote, for anyone to relay (`vote_by_sig`).

        Signs `Vote(proposalId, member, nonce, deadline)` in the domain ("LedgerCouncil", "1",
        chain id, Council address) with the member's current nonce (one read).
        """
        if self._account is None:
            raise ConfigError("this LedgerChain has no account: it cannot sign")
        member = self._account.address
        signed = self._account.sign_typed_data(
            domain_data={
                "name": "LedgerCouncil",
                "version": "1",
                "chainId": self._rpc.chain_id,
                "verifyingContract": self._deployment.address("Council"),
            },
            message_types={
                "Vote": [
                    {"name": "proposalId", "type": "uint256"},
                    {"name": "member", "type": "address"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "deadline", "type": "uint256"},
                ]
            },
            message_data={
                "proposalId": proposal_id,
                "member": member,
                "nonce": self.vote_nonce(member),
                "deadline": deadline,
            },
        )
        return bytes(signed.signature)

    def vote_by_sig(
        self, proposal_id: int, member: str, deadline: int, signature: bytes
    ) -> ProposalOutcome:
        """Relay `member`'s signed vote (this account pays the gas)."""
        request = self.tx("Council", "voteBySig", [proposal_id, member, deadline, signature])
        return self._council_tx(request, proposal_id)

    def vote_nonce(self, member: str) -> int:
        """The next vote-signature nonce of `member`."""
        return int(self.view("Council", "voteNonce", [member])[0])

    def proposal(self, proposal_id: int) -> ProposalInfo:
        """A proposal (`CouncilUnknownProposal` if none)."""
        (p,) = self.view("Council", "proposalOf", [proposal_id])
        return ProposalInfo(
            proposal_id, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], bytes(p[8])
        )

    def has_voted(self, proposal_id: int, member: str) -> bool:
        """Whether `member` voted on the proposal."""
        return bool(self.view("Council", "hasVoted", [proposal_id, member])[0])

    def council_members(self) -> list[str]:
        """Current council members."""
        return list(self.view("Council", "members", [])[0])

    def is_council_member(self, account: str) -> bool:
        """Whether `account` sits on the council."""
        return bool(self.view("Council", "isMember", [account])[0])

    def proposal_count(self) -> int:
        """Number of proposals ever created (ids run 1..count)."""
        return int(self.view("Council", "proposalCount", [])[0])

    def council_threshold(self) -> int:
        """Votes needed to execute a proposal."""
        return int(self.view("Council", "threshold", [])[0])

    def proposal_lifetime(self) -> int:
        """Seconds a proposal stays open."""
        return int(self.view("Council", "proposalLifetime", [])[0])

    # -- trust registry -----------------------------------------------------------------------

    def agency(self, agency: str) -> AgencyInfo:
        """The agency record (status NONE if never admitted)."""
        (a,) = self.view("TrustRegistry", "agencyOf", [agency])
        return AgencyInfo(
            to_checksum_address(agency), AgencyStatus(a[0]), a[1], a[2], a[3], bytes(a[4]), a[5]
        )

    def agency_status(self, agency: str) -> AgencyStatus:
        """Current status of an agency."""
        return AgencyStatus(self.view("TrustRegistry", "agencyStatus", [agency])[0])

    def can_anchor(self, agency: str, type_id: int) -> bool:
        """Whether `agency` may anchor `type_id` now."""
        return bool(self.view("TrustRegistry", "canAnchor", [agency, type_id])[0])

    def is_accredited_at(self, agency: str, type_id: int, t: int) -> bool:
        """Whether `agency` was accredited for `type_id` (and Active) at time `t`."""
        return bool(self.view("TrustRegistry", "isAccreditedAt", [agency, type_id, t])[0])

    def is_authority(self, agency: str, type_id: int) -> bool:
        """Whether `agency` is a direct accredited authority for `type_id` now."""
        return bool(self.view("TrustRegistry", "isAuthority", [agency, type_id])[0])

    def is_agency_active_at(self, agency: str, t: int) -> bool:
        """Whether `agency` was Active at `t`."""
        return bool(self.view("TrustRegistry", "isAgencyActiveAt", [agency, t])[0])

    @staticmethod
    def _accreditation(agency: str, type_id: int, a: Sequence[Any]) -> AccreditationInfo:
        parent = a[6] if int(a[6], 16) else None
        return AccreditationInfo(
            to_checksum_address(agency), type_id, a[0], a[1], a[2], a[3], a[4], a[5], parent
        )

    def accreditation(self, agency: str, type_id: int) -> AccreditationInfo:
        """The current (possibly withdrawn) grant."""
        (a,) = self.view("TrustRegistry", "accreditationOf", [agency, type_id])
        return self._accreditation(agency, type_id, a)

    def accreditation_history(self, agency: str, type_id: int) -> list[AccreditationInfo]:
        """Past grants, oldest first."""
        (items,) = self.view("TrustRegistry", "accreditationHistory", [agency, type_id])
        return [self._accreditation(agency, type_id, a) for a in items]

    def sub_accredit_tx(
        self, agency: str, type_id: int, *, valid_from: int = 0, valid_until: int = 0
    ) -> TxRequest:
        """Prepared `subAccredit` (this account must be an authority for the type)."""
        return self.tx("TrustRegistry", "subAccredit", [agency, type_id, valid_from, valid_until])

    def sub_accredit(
        self, agency: str, type_id: int, *, valid_from: int = 0, valid_until: int = 0
    ) -> Receipt:
        """Sub-accredit `agency` for `type_id` within this authority's window."""
        return self.transact(
            self.sub_accredit_tx(agency, type_id, valid_from=valid_from, valid_until=valid_until)
        )

    def withdraw_sub_accreditation(self, agency: str, type_id: int) -> Receipt:
        """Withdraw a sub-accreditation this account granted."""
        return self._send("TrustRegistry", "withdrawAccreditation", [agency, type_id])

    # -- credential types ---------------------------------------------------------------------

    def register_type(self, vct: str, claim_names: Sequence[str], supersedes: int) -> int:
        """Register a new version of a type this account is an authority for; returns its id.

        (The council registers types through `actions.register_type`.)
        """
        receipt = self._send(
            "CredentialTypeRegistry", "registerType", [vct, list(claim_names), supersedes]
        )
        return self._registered_type_id(receipt)

    def _registered_type_id(self, receipt: Receipt) -> int:
        abi = contract_abi("CredentialTypeRegistry")
        topic = abi.topic("CredentialTypeRegistered")
        for log in receipt.logs:
            topics = log.get("topics", [])
            if topics and bytes.fromhex(str(topics[0])[2:]) == topic:
                return int(str(topics[1]), 16)
        raise ChainError(f"no CredentialTypeRegistered event in {receipt.tx_hash}")

    def type_id_of(self, vct: str) -> int:
        """The id of `vct`, 0 if not registered."""
        return int(self.view("CredentialTypeRegistry", "typeIdOf", [vct])[0])

    def credential_type(self, type_id: int) -> CredentialTypeInfo:
        """A type record (`CredentialTypeRegistryUnknownType` if none)."""
        (t,) = self.view("CredentialTypeRegistry", "typeInfo", [type_id])
        return CredentialTypeInfo(t[0], t[1], tuple(t[2]), bytes(t[3]), t[4], t[5], t[6], t[7])

    def type_count(self) -> int:
        """Number of registered types."""
        return int(self.view("CredentialTypeRegistry", "typeCount", [])[0])

    # -- keys ---------------------------------------------------------------------------------

    def prove_possession(self, key: SigningKey) -> PossessionProof:
        """`key`'s proof of possession for this agency at this deployment's KeyRegistry."""
        registry = self._deployment.address("KeyRegistry")
        return prove_possession(key, self._rpc.chain_id, registry, self.address)

    def register_key_tx(
        self, proof: PossessionProof, *, valid_from: int = 0, valid_until: int = 0
    ) -> TxRequest:
        """Prepared `registerKey` for this agency (`proof` from `prove_possession`)."""
        kid, x, y, r, s = proof
        return self.tx("KeyRegistry", "registerKey", [kid, x, y, valid_from, valid_until, r, s])

    def register_key(
        self, key: SigningKey, *, valid_from: int = 0, valid_until: int = 0
    ) -> Receipt:
        """Register P-256 `key` for this agency under its RFC 7638 thumbprint, proving
        possession with a signature (0 = from now / open-ended)."""
        proof = self.prove_possession(key)
        with self._own_proof_checked():
            return self.transact(
                self.register_key_tx(proof, valid_from=valid_from, valid_until=valid_until)
            )

    def rotate_key(self, old_kid: bytes, key: SigningKey, *, valid_until: int = 0) -> Receipt:
        """Register `key` from now and end `old_kid` now, in one transaction."""
        kid, x, y, r, s = self.prove_possession(key)
        with self._own_proof_checked():
            return self._send("KeyRegistry", "rotateKey", [old_kid, kid, x, y, valid_until, r, s])

    @contextmanager
    def _own_proof_checked(self) -> Iterator[None]:
        """A proof this client made is refused only where the chain cannot check it: say so."""
        try:
            yield
        except KeyRegistryBadPossessionProof:
            require_p256_verify(self._rpc)
            raise

    def revoke_key(self, kid: bytes) -> Receipt:
        """Emergency revocation of one of this agency's keys."""
        return self._send("KeyRegistry", "revokeKey", [kid])

    def key(self, kid: bytes) -> KeyInfo:
        """A key record (agency None if unknown)."""
        (k,) = self.view("KeyRegistry", "keyOf", [kid])
        return KeyInfo(kid, bytes(k[0]), bytes(k[1]), _address_or_none(k[2]), k[3], k[4], k[5])

    def is_key_valid_at(self, kid: bytes, agency: str, t: int) -> bool:
        """Whether `kid` belongs to `agency` and was valid at `t`."""
        return bool(self.view("KeyRegistry", "isKeyValidAt", [kid, agency, t])[0])

    # -- anchors ------------------------------------------------------------------------------

    def anchor_tx(self, digest: bytes, type_id: int, gas: int | None = None) -> TxRequest:
        """Prepared single anchor."""
        return self.tx("AnchorRegistry", "anchor", [digest, type_id], gas)

    def anchor(self, digest: bytes, type_id: int) -> Receipt:
        """Anchor one credential digest."""
        return self.transact(self.anchor_tx(digest, type_id))

    def anchor_batch_tx(
        self, root: bytes, type_id: int, count: int, gas: int | None = None
    ) -> TxRequest:
        """Prepared batch-root anchor."""
        return self.tx("AnchorRegistry", "anchorBatch", [root, type_id, count], gas)

    def anchor_batch(self, root: bytes, type_id: int, count: int) -> Receipt:
        """Anchor a Merkle root over `count` credential digests."""
        return self.transact(self.anchor_batch_tx(root, type_id, count))

    @staticmethod
    def _anchor(key: bytes, a: Sequence[Any], is_batch: bool) -> AnchorInfo | None:
        if int(a[0], 16) == 0:
            return None
        return AnchorInfo(key, a[0], a[1], a[2], a[3], is_batch)

    def anchor_of(self, issuer: str, digest: bytes) -> AnchorInfo | None:
        """`issuer`'s single-anchor record of `digest`, None if it did not anchor it."""
        (a,) = self.view("AnchorRegistry", "anchorOf", [issuer, digest])
        return self._anchor(digest, a, False)

    def batch_of(self, issuer: str, root: bytes) -> AnchorInfo | None:
        """`issuer`'s batch record of `root`, None if it did not anchor it."""
        (a,) = self.view("AnchorRegistry", "batchOf", [issuer, root])
        return self._anchor(root, a, True)

    def inclusion_of(
        self, issuer: str, root: bytes, proof: Sequence[bytes], digest: bytes
    ) -> AnchorInfo | None:
        """The batch record if `proof` proves `digest` under `issuer`'s anchored `root`, else
        None."""
        (a,) = self.view("AnchorRegistry", "inclusionOf", [issuer, root, list(proof), digest])
        return self._anchor(root, a, True)

    def verify_inclusion(
        self, issuer: str, root: bytes, proof: Sequence[bytes], digest: bytes
    ) -> bool:
        """Whether `issuer` anchored `root` and `proof` proves `digest` in it."""
        args = [issuer, root, list(proof), digest]
        return bool(self.view("AnchorRegistry", "verifyInclusion", args)[0])

    # -- status lists -------------------------------------------------------------------------

    def create_status_list(self, list_id: int, capacity: int) -> Receipt:
        """Create a status list of `capacity` entries (multiple of 128) for this agency."""
        return self._send("StatusRegistry", "createStatusList", [list_id, capacity])

    def set_status_tx(
        self, list_id: int, index: int, status: int, gas: int | None = None
    ) -> TxRequest:
        """Prepared single status update."""
        return self.tx("StatusRegistry", "setStatus", [list_id, index, int(status)], gas)

    def set_status(self, list_id: int, index: int, status: int) -> Receipt:
        """Set one entry of this agency's list (0 valid, 1 revoked, 2 suspended)."""
        return self.transact(self.set_status_tx(list_id, index, status))

    def set_statuses_tx(
        self, list_id: int, indexes: Sequence[int], status: int, gas: int | None = None
    ) -> TxRequest:
        """Prepared batch status update (one event)."""
        return self.tx("StatusRegistry", "setStatuses", [list_id, list(indexes), int(status)], gas)

    def set_statuses(self, list_id: int, indexes: Sequence[int], status: int) -> Receipt:
        """Set many entries of this agency's list to one status."""
        return self.transact(self.set_statuses_tx(list_id, indexes, status))

    def status_of(self, agency: str, list_id: int, index: int) -> CredentialStatus:
        """One entry's status (reverts for unknown list / out of range)."""
        value = self.view("StatusRegistry", "statusOf", [agency, list_id, index])[0]
        return CredentialStatus(value)

    def statuses_of(
        self, agency: str, entries: Sequence[tuple[int, int]]
    ) -> list[CredentialStatus]:
        """`status_of` for many `(list_id, index)` entries, in one JSON-RPC batch."""
        results = self.views("StatusRegistry", "statusOf", [[agency, lst, i] for lst, i in entries])
        return [CredentialStatus(result[0]) for result in results]

    def status_words(self, agency: str, list_id: int, from_word: int, count: int) -> list[int]:
        """A page of raw words (128 two-bit entries each, LSB first)."""
        return list(
            self.view("StatusRegistry", "statusWords", [agency, list_id, from_word, count])[0]
        )

    def status_list(self, agency: str, list_id: int) -> StatusListInfo | None:
        """A list's metadata, None if it does not exist."""
        capacity, created_at = self.view("StatusRegistry", "statusListOf", [agency, list_id])
        if capacity == 0:
            return None
        return StatusListInfo(to_checksum_address(agency), list_id, capacity, created_at)

    # -- verifiers ----------------------------------------------------------------------------

    def verifier_registration(
        self, verifier: str, type_id: int, purpose_digest: bytes
    ) -> VerifierRegistration:
        """A registration (`registered_at == 0`: none)."""
        (r,) = self.view("VerifierRegistry", "registrationOf", [verifier, type_id, purpose_digest])
        return VerifierRegistration(
            to_checksum_address(verifier), type_id, purpose_digest, r[0], r[1], r[2], r[3], r[4]
        )

    def is_verifier_authorized(
        self, verifier: str, type_id: int, purpose_digest: bytes, claim_mask: int, t: int
    ) -> bool:
        """Whether `verifier` may request `claim_mask` of `type_id` for the purpose at `t`."""
        args = [verifier, type_id, purpose_digest, claim_mask, t]
        return bool(self.view("VerifierRegistry", "isAuthorized", args)[0])

    # -- lens (verifier hot path) -------------------------------------------------------------

    def check_calldata(self, request: CheckRequest) -> bytes:
        """Calldata of `LedgerLens.checkCredential` for `request`, encoded by hand."""
        proof = request.proof
        head = b"".join(
            (
                self._check_selector,
                request.digest,
                request.root,
                _word(9 * 32),
                request.kid,
                _word(request.list_id),
                _word(request.status_index),
                _addr_word(request.verifier),
                request.purpose_digest,
                _word(request.claim_mask),
                _word(len(proof)),
            )
        )
        return head + b"".join(proof)

    def check_credential(
        self, request: CheckRequest, *, block: str | int = "latest"
    ) -> CredentialCheck:
        """Everything a verifier needs about one credential, in exactly one eth_call."""
        raw = self._rpc.eth_call(self._lens_address, self.check_calldata(request), block=block)
        return decode_credential_check(raw)

    def check_credentials_batch(
        self, requests: Sequence[CheckRequest], *, block: str | int = "latest"
    ) -> list[CredentialCheck]:
        """`check_credential` for many requests in one JSON-RPC batch (one eth_call each).

        Pass a block number to read all answers at the same block.
        """
        tag = hex(block) if isinstance(block, int) else block
        calls = [
            (
                "eth_call",
                [{"to": self._lens_address, "data": "0x" + self.check_calldata(r).hex()}, tag],
            )
            for r in requests
        ]
        return [
            decode_credential_check(bytes.fromhex(str(raw)[2:])) for raw in self._rpc.batch(calls)
        ]

    def check_credentials(self, requests: Sequence[CheckRequest]) -> list[CredentialCheck]:
        """Many requests in ONE eth_call (`LedgerLens.checkCredentials`)."""
        items = [
            (
                r.digest,
                r.root,
                list(r.proof),
                r.kid,
                r.list_id,
                r.status_index,
                r.verifier or "0x" + "00" * 20,
                r.purpose_digest,
                r.claim_mask,
            )
            for r in requests
        ]
        abi = contract_abi("LedgerLens")
        data = abi.encode_call("checkCredentials", [items])
        raw = self._rpc.eth_call(self._lens_address, data)
        # Static structs: an offset word, the length, then 15 words per item.
        count = int.from_bytes(raw[32:64], "big")
        return [decode_credential_check(raw, 64 + i * 32 * LENS_CHECK_WORDS) for i in range(count)]
