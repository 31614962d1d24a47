"""Every exception the ledger raises.

One module, one base class (`LedgerError`), a few families, and specific classes under them.
Callers catch a family (`VerificationError`) or a precise class (`KeyBindingNonceMismatch`);
nothing in the SDK raises a bare ValueError for an expected failure.

Sections are owned by the layer that raises them; keep each class next to its siblings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.agency.report import VerificationReport


class LedgerError(Exception):
    """Base class of every error the ledger raises on purpose."""


class ConfigError(LedgerError):
    """Bad configuration: a missing deployment record, a missing ledger home, a bad option."""


class InputError(LedgerError):
    """Input that is malformed before any check runs (a file that is not JSON, a bad path)."""


# -- untrusted JSON (ledger.untrusted_json): refused before any recursive parser sees the text --


class JsonRejected(InputError, ValueError):
    """Family: the bounded parser refused a JSON document (`ledger.untrusted_json`).

    Also a ValueError, as the json module's JSONDecodeError is, so code written for that
    module keeps catching it. The message is the reason alone ("nested deeper than the limit
    of 128 levels"); callers put the source in front ("claims.json: not a JSON file (...)").
    """


class JsonTooLarge(JsonRejected):
    """The document is larger than the size limit."""


class JsonTooDeep(JsonRejected):
    """Arrays and objects nest deeper than the depth limit."""


class JsonNumberTooLong(JsonRejected):
    """A number literal is longer than the limit (a 100,000-digit integer)."""


class JsonDuplicateKey(JsonRejected):
    """An object repeats a member name (parsers disagree on which value wins)."""


class JsonNotUtf8(JsonRejected):
    """The text is not UTF-8, or a string escape stands for no character (a lone surrogate)."""


class NotJson(JsonRejected):
    """Not JSON text (RFC 8259): truncated, empty, NaN or Infinity, trailing data, or a number
    beyond the range of a double."""


class StorageError(LedgerError):
    """A file the ledger keeps (wallet store, outbox) could not be written or read: an I/O error
    or a read-only file system. The message names the file. What was committed before stays."""


class StorageFull(StorageError):
    """No room to write a file the ledger keeps: the disk, or this process's file size limit,
    is full. Free some space and retry; what was committed before stays."""


# ---------------------------------------------------------------------------------------------
# Credential format (SD-JWT, SD-JWT VC, KB-JWT, status lists)
# ---------------------------------------------------------------------------------------------


class VerificationError(LedgerError):
    """A credential, presentation or token failed verification.

    ``report``: raised by `ledger.agency.Verifier.verify` (or held in a ``verify_batch`` slot),
    the report of every check up to the failed one; None when raised elsewhere.
    """

    report: VerificationReport | None = None


class CredentialFormatError(LedgerError):
    """An SD-JWT operation on the issuer or holder side was asked something impossible."""


class UnknownClaimPath(CredentialFormatError):
    """A claim path (`address.locality`, `nationalities[1]`) names nothing in the credential."""


class InvalidClaims(CredentialFormatError):
    """Claims handed to the issuer cannot be issued (reserved names, non-JSON values)."""


class OversizedInput(VerificationError):
    """The input is larger than the configured limit; refused before parsing."""


class MalformedSerialization(VerificationError):
    """Not a well-formed compact SD-JWT / JWS (bad separators, base64url or JSON)."""


class MalformedDisclosure(VerificationError):
    """A disclosure is not a base64url JSON array of the right shape, or of the wrong kind."""


class InvalidJwk(VerificationError):
    """A JWK is malformed, of an unsupported type or curve, or not a point on the curve."""


class InvalidSignature(VerificationError):
    """The issuer's signature does not verify with the issuer's key."""


class UnexpectedTokenType(VerificationError):
    """The JOSE header `typ` is missing or not the one this token must carry."""


class UnsupportedAlgorithm(VerificationError):
    """The JOSE header `alg` is not on the allow-list (`none` never is) or does not fit the key."""


class UnsupportedSdAlgorithm(VerificationError):
    """The `_sd_alg` hash algorithm is not supported."""


class UnreferencedDisclosure(VerificationError):
    """A presented disclosure's digest appears nowhere in the signed payload."""


class ReservedClaimName(VerificationError):
    """A disclosure names a claim `_sd` or `...`."""


class ProtectedClaimDisclosed(VerificationError):
    """A claim that must stay plaintext (iss, nbf, exp, cnf, vct, vct#integrity, status), or a
    part of one, was disclosed."""


class ClaimNameCollision(VerificationError):
    """A disclosed claim name is already present in the same object."""


class DuplicateDigest(VerificationError):
    """A digest (or a disclosure) appears more than once."""


class InvalidSdStructure(VerificationError):
    """The signed payload's SD structure is malformed (`_sd` not a list of strings, bad `...`)."""


class MissingClaim(VerificationError):
    """A claim the profile requires (iss, vct, cnf, iat ...) is missing or of the wrong type."""


class CredentialExpired(VerificationError):
    """`exp` is in the past (beyond the allowed clock skew)."""


class CredentialNotYetValid(VerificationError):
    """`nbf` is in the future (beyond the allowed clock skew)."""


class IssuedInFuture(VerificationError):
    """`iat` is in the future (beyond the allowed clock skew)."""


class HolderKeyMismatch(VerificationError):
    """The credential's `cnf` key is not the holder key the wallet expected."""


class UnknownIssuerKey(VerificationError):
    """No issuer key could be resolved for this `kid` / `iss` (raised by key resolvers)."""


class KeyBindingError(VerificationError):
    """Family: the Key Binding JWT failed a check."""


class KeyBindingMissing(KeyBindingError):
    """Key binding is required but the presentation carries no KB-JWT."""


class KeyBindingSignatureInvalid(KeyBindingError):
    """The KB-JWT is not signed by the key in the credential's `cnf`."""


class KeyBindingExpired(KeyBindingError):
    """The KB-JWT `iat` is older than the allowed age."""


class KeyBindingFromFuture(KeyBindingError):
    """The KB-JWT `iat` is in the future (beyond the allowed clock skew)."""


class KeyBindingAudienceMismatch(KeyBindingError):
    """The KB-JWT `aud` is not the verifier's expected audience."""


class KeyBindingNonceMismatch(KeyBindingError):
    """The KB-JWT `nonce` is not the verifier's expected nonce."""


class KeyBindingSdHashMismatch(KeyBindingError):
    """The KB-JWT `sd_hash` does not match the presented SD-JWT."""


class StatusListError(VerificationError):
    """A status list or Status List Token is malformed, or an index is out of range."""


# ---------------------------------------------------------------------------------------------
# Chain (devnet, transactions, contract reverts)
# ---------------------------------------------------------------------------------------------


class ChainError(LedgerError):
    """Talking to the chain failed, or a contract call reverted."""


class DevnetError(ChainError):
    """The local devnet (anvil) could not be started, reached or stopped."""


class AnvilNotFound(DevnetError, ConfigError):
    """No anvil executable was found (run `python3 run.py setup` or `npm ci`)."""


class RpcUnavailable(ChainError):
    """The JSON-RPC endpoint did not answer (connection refused, reset or timed out)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"JSON-RPC endpoint {url} is unavailable: {reason}")
        self.url = url
        self.reason = reason


class RpcTimeout(RpcUnavailable):
    """The JSON-RPC endpoint took the request but did not answer within the RPC timeout: the
    node is hung (stopped, stuck or overloaded). `timeout` is the limit in seconds."""

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__(url, f"no answer within {timeout:g} s")
        self.args = (
            f"JSON-RPC endpoint {url} did not answer within {timeout:g} s: the node may be hung, "
            "stopped or overloaded. Check that it runs and answers, or use another node (--rpc / "
            "LEDGER_RPC); if it is only slow, raise the limit (--rpc-timeout / "
            "LEDGER_RPC_TIMEOUT)",
        )
        self.timeout = timeout

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.url, self.timeout))


class RpcError(ChainError):
    """The node answered a JSON-RPC request with an error object."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(f"JSON-RPC error {code}: {message}")
        self.code = code
        self.rpc_message = message
        self.data = data


class ContractReverted(ChainError):
    """A call or gas estimate reverted; `data` is the raw, not yet decoded revert data.

    `ledger.chain.abi.ContractAbi.decode_revert` turns it into a `ContractRevert` subclass.
    """

    def __init__(self, data: bytes, message: str) -> None:
        super().__init__(f"{message} (revert data 0x{data.hex()})" if data else message)
        self.data = data
        self.rpc_message = message


def _format_revert_value(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_format_revert_value(v) for v in value) + "]"
    return str(value)


class ContractRevert(ChainError):
    """A decoded contract revert: base class of every Solidity custom error.

    Subclasses carry the name of the Solidity error they stand for (`TrustRegistryNotAccredited`)
    and are found by that name. The decoded values are in `values` and also set as attributes
    (`err.agency`), except names that would shadow `error_name`, `values`, `data` or `args`.
    `data` is the raw revert data when known.
    """

    _RESERVED = frozenset({"error_name", "values", "data", "args"})

    def __init__(self, error_name: str, values: dict[str, object], *, data: bytes = b"") -> None:
        shown = ", ".join(f"{k}={_format_revert_value(v)}" for k, v in values.items())
        super().__init__(f"{error_name}({shown})")
        self.error_name = error_name
        self.values = dict(values)
        self.data = data
        for key, value in values.items():
            if key and key not in self._RESERVED:
                setattr(self, key, value)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_revert, (type(self), self.error_name, self.values, self.data))

    def explained(self) -> str:
        """What went wrong in words (the first paragraph of this class's docstring, which is
        the error's NatSpec notice), then the error with its values."""
        cls = type(self)
        if cls in _GENERIC_REVERTS or not cls.__doc__:
            return str(self)
        summary = " ".join(cls.__doc__.strip().split("\n\n")[0].split())
        return f"{summary.rstrip('.')}: {self}"


def _rebuild_revert(
    cls: type[ContractRevert], error_name: str, values: dict[str, object], data: bytes
) -> ContractRevert:
    return cls(error_name, values, data=data)


class RevertedWithReason(ContractRevert):
    """The contract reverted with `Error(string)` (a `require` message); see `reason`."""

    reason: str


class RevertedWithPanic(ContractRevert):
    """The contract hit `Panic(uint256)` (overflow, assert, bad index...); see `code`."""

    code: int


_GENERIC_REVERTS: frozenset[type[ContractRevert]] = frozenset(
    {ContractRevert, RevertedWithReason, RevertedWithPanic}
)


class P256VerifyUnavailable(ChainError):
    """The chain has no P256VERIFY precompile (EIP-7951, Osaka hardfork), so its KeyRegistry can
    check no proof of possession and registers no signing key."""


class TransactionFailed(ChainError):
    """A transaction was mined with status 0 and no revert reason could be recovered."""

    def __init__(self, tx_hash: str, message: str) -> None:
        super().__init__(f"transaction {tx_hash} failed: {message}")
        self.tx_hash = tx_hash


class ConfirmationTimeout(ChainError):
    """An anchor was mined but did not get its confirmations in time (no new blocks): it is not
    handed out yet; `recover()` and `flush()` (`ledger anchor`) try again."""


class TransactionTimeout(ChainError):
    """A transaction was not mined within the allotted time."""

    def __init__(self, tx_hash: str, timeout: float) -> None:
        super().__init__(f"transaction {tx_hash} not mined within {timeout:g} s")
        self.tx_hash = tx_hash
        self.timeout = timeout


class NonceGap(ChainError):
    """Pipelined transactions stayed unmined after rebroadcasts (a nonce gap that would not heal,
    or a nonce taken by another transaction)."""


class AbiError(ChainError):
    """A call does not fit the contract ABI (unknown function or event, wrong argument count)."""


class ArtifactMissing(ChainError, ConfigError):
    """A compiled contract artifact is missing (run `python3 scripts/compile`)."""


class KeystoreError(ChainError):
    """An Ethereum keystore file could not be created or unlocked."""


class KeystoreExists(KeystoreError):
    """Refused to overwrite an existing keystore file."""


class KeystoreNotFound(KeystoreError):
    """The keystore file does not exist."""


class KeystoreCorrupt(KeystoreError):
    """The keystore file is not a valid keystore V3 JSON document."""


class WrongPassphrase(KeystoreError):
    """The passphrase does not unlock the keystore (MAC mismatch).

    Agency keystores only; the citizen wallet has its own `WrongWalletPassphrase`.
    """


# -- contract custom errors: one class per Solidity error, same name (see ledger.chain.abi) --


class CouncilError(ContractRevert):
    """Base of the custom errors of the Council contract."""


class CouncilAlreadyVoted(CouncilError):
    """The member already voted on this proposal."""

    id: int
    member: str


class CouncilExecutionFailed(CouncilError):
    """The proposal's call reverted with `reason`."""

    id: int
    reason: bytes


class CouncilInvalidLifetime(CouncilError):
    """The lifetime must be non-zero and at most 2**32 - 1 seconds."""

    lifetime: int


class CouncilInvalidMember(CouncilError):
    """The address is already a member (or zero)."""

    member: str


class CouncilInvalidThreshold(CouncilError):
    """Threshold must be 1..memberCount."""

    threshold: int
    memberCount: int


class CouncilNotMember(CouncilError):
    """`account` is not a member (the caller of a member-only function, or the member a
    proposal names)."""

    account: str


class CouncilOnlySelf(CouncilError):
    """Only the council itself (through a proposal) may call this."""

    caller: str


class CouncilProposalAlreadyExecuted(CouncilError):
    """The proposal already executed."""

    id: int


class CouncilProposalExpired(CouncilError):
    """The proposal expired."""

    id: int
    expiredAt: int


class CouncilTargetNotAllowed(CouncilError):
    """The target is not a wired registry nor the council."""

    target: str


class CouncilUnknownProposal(CouncilError):
    """No such proposal."""

    id: int


class CouncilSignatureExpired(CouncilError):
    """The signed vote's deadline has passed."""

    deadline: int
    timestamp: int


class CouncilInvalidSignature(CouncilError):
    """The signature does not recover to the member (signer zero = malformed signature)."""

    member: str
    signer: str


class CouncilThresholdNotReached(CouncilError):
    """The proposal has fewer votes of current members than the threshold."""

    id: int
    votes: int
    threshold: int


class CouncilExecutionOutOfGas(CouncilError):
    """The proposal's call ran out of the `gas` it was given: send the transaction with more gas
    (nothing was recorded)."""

    id: int
    gas: int


class TrustRegistryError(ContractRevert):
    """Base of the custom errors of the TrustRegistry contract."""


class TrustRegistryAgencyExists(TrustRegistryError):
    """The agency is already known (admitted before, possibly removed)."""

    agency: str
    status: int


class TrustRegistryAgencyNotActive(TrustRegistryError):
    """The agency must be Active for this operation."""

    agency: str
    status: int


class TrustRegistryAlreadyAccredited(TrustRegistryError):
    """A live (not withdrawn) accreditation already exists."""

    agency: str
    typeId: int


class TrustRegistryInvalidStatusTransition(TrustRegistryError):
    """The requested status change is not allowed from the current status."""

    agency: str
    current: int
    requested: int


class TrustRegistryInvalidWindow(TrustRegistryError):
    """validUntil must be 0 (open) or after validFrom (and after now); neither above 2**40 - 1."""

    validFrom: int
    validUntil: int


class TrustRegistryNotAccredited(TrustRegistryError):
    """No live accreditation exists."""

    agency: str
    typeId: int


class TrustRegistryNotAuthority(TrustRegistryError):
    """The caller is not a direct, currently valid authority for the type."""

    agency: str
    typeId: int


class TrustRegistryNotCouncil(TrustRegistryError):
    """The caller lacks the council role."""

    caller: str


class TrustRegistryNotParent(TrustRegistryError):
    """Only the parent that granted a sub-accreditation (or the council) may withdraw it."""

    caller: str
    agency: str
    typeId: int


class TrustRegistrySelfAccreditation(TrustRegistryError):
    """An agency cannot sub-accredit itself."""

    agency: str


class TrustRegistryUnknownAgency(TrustRegistryError):
    """The agency was never admitted."""

    agency: str


class TrustRegistryUnknownType(TrustRegistryError):
    """The credential type is not registered."""

    typeId: int


class TrustRegistryWindowExceedsParent(TrustRegistryError):
    """A sub-accreditation must lie inside the parent's window."""

    validFrom: int
    validUntil: int
    parentFrom: int
    parentUntil: int


class CredentialTypeRegistryError(ContractRevert):
    """Base of the custom errors of the CredentialTypeRegistry contract."""


class CredentialTypeRegistryAlreadySuperseded(CredentialTypeRegistryError):
    """The superseded type already has a successor."""

    typeId: int
    supersededBy: int


class CredentialTypeRegistryDuplicateVct(CredentialTypeRegistryError):
    """The vct is already registered."""

    vct: str
    typeId: int


class CredentialTypeRegistryEmptyVct(CredentialTypeRegistryError):
    """An empty vct string."""


class CredentialTypeRegistryInvalidClaimCount(CredentialTypeRegistryError):
    """Claim names must be 1..256 entries."""

    count: int


class CredentialTypeRegistryNotAuthorized(CredentialTypeRegistryError):
    """The caller is neither the council nor an authority for the superseded type."""

    caller: str
    supersedes: int


class CredentialTypeRegistryUnknownType(CredentialTypeRegistryError):
    """The type id is not registered."""

    typeId: int


class KeyRegistryError(ContractRevert):
    """Base of the custom errors of the KeyRegistry contract."""


class KeyRegistryAgencyNotActive(KeyRegistryError):
    """The caller is not an Active agency."""

    agency: str
    status: int


class KeyRegistryBadPossessionProof(KeyRegistryError):
    """The proof of possession does not verify: (r, s) is not the key's signature over
    `possessionMessage(caller, kid)`, or (x, y) is not a P-256 point."""

    kid: bytes


class KeyRegistryInvalidWindow(KeyRegistryError):
    """validUntil must be 0 (open) or after validFrom; neither above 2**40 - 1."""

    validFrom: int
    validUntil: int


class KeyRegistryKeyExpired(KeyRegistryError):
    """The key's validity already ended."""

    kid: bytes
    validUntil: int


class KeyRegistryKeyRevoked(KeyRegistryError):
    """The key is already revoked."""

    kid: bytes
    revokedAt: int


class KeyRegistryKidMismatch(KeyRegistryError):
    """The kid is not the RFC 7638 thumbprint of the key's (x, y)."""

    kid: bytes
    thumbprint: bytes


class KeyRegistryKidTaken(KeyRegistryError):
    """The kid is already registered (by anyone)."""

    kid: bytes
    owner: str


class KeyRegistryNotKeyOwner(KeyRegistryError):
    """The caller does not own the key (and is not the council, where allowed)."""

    kid: bytes
    caller: str


class KeyRegistryUnknownKey(KeyRegistryError):
    """The kid is not registered."""

    kid: bytes


class KeyRegistryZeroKid(KeyRegistryError):
    """The kid is zero."""


class VerifierRegistryError(ContractRevert):
    """Base of the custom errors of the VerifierRegistry contract."""


class VerifierRegistryAgencyNotActive(VerifierRegistryError):
    """The verifier is not an Active agency."""

    verifier: str
    status: int


class VerifierRegistryInvalidClaimMask(VerifierRegistryError):
    """The mask is empty or names claims the type does not have."""

    typeId: int
    claimMask: int
    claimCount: int


class VerifierRegistryInvalidWindow(VerifierRegistryError):
    """validUntil must be 0 (open) or after validFrom; neither above 2**40 - 1."""

    validFrom: int
    validUntil: int


class VerifierRegistryNotCouncil(VerifierRegistryError):
    """The caller lacks the council role."""

    caller: str


class VerifierRegistryNotRegistered(VerifierRegistryError):
    """No live registration for this key."""

    verifier: str
    typeId: int
    purposeDigest: bytes


class VerifierRegistryUnknownType(VerifierRegistryError):
    """The type is not registered."""

    typeId: int


class AnchorRegistryError(ContractRevert):
    """Base of the custom errors of the AnchorRegistry contract."""


class AnchorRegistryAlreadyAnchored(AnchorRegistryError):
    """The digest or root is already anchored."""

    digest: bytes
    issuer: str
    anchoredAt: int


class AnchorRegistryBatchTooLarge(AnchorRegistryError):
    """A batch larger than the record can count."""

    count: int
    max: int


class AnchorRegistryEmptyBatch(AnchorRegistryError):
    """A batch of zero credentials."""

    root: bytes


class AnchorRegistryNotAccredited(AnchorRegistryError):
    """The caller may not anchor this type now (not accredited, or agency not Active)."""

    agency: str
    typeId: int


class AnchorRegistryZeroDigest(AnchorRegistryError):
    """The digest is zero."""


class AnchorRegistryZeroRoot(AnchorRegistryError):
    """The root is zero."""


class StatusRegistryError(ContractRevert):
    """Base of the custom errors of the StatusRegistry contract."""


class StatusRegistryAgencyNotActive(StatusRegistryError):
    """Only an Active agency creates lists or sets entries to valid."""

    agency: str
    status: int


class StatusRegistryEmptyBatch(StatusRegistryError):
    """A batch update with no indexes."""

    listId: int


class StatusRegistryIndexOutOfRange(StatusRegistryError):
    """The index is outside the list."""

    listId: int
    index: int
    capacity: int


class StatusRegistryInvalidCapacity(StatusRegistryError):
    """Capacity must be a non-zero multiple of 128."""

    capacity: int


class StatusRegistryInvalidStatus(StatusRegistryError):
    """The status value is not 0, 1 or 2."""

    status: int


class StatusRegistryListExists(StatusRegistryError):
    """The list already exists."""

    agency: str
    listId: int


class StatusRegistryPageOutOfRange(StatusRegistryError):
    """A page that reaches past the end of the list."""

    listId: int
    fromWord: int
    count: int
    words: int


class StatusRegistryRevocationIsFinal(StatusRegistryError):
    """A revoked entry cannot be set back to valid or to suspended."""

    listId: int
    index: int


class StatusRegistryUnknownList(StatusRegistryError):
    """The list does not exist."""

    agency: str
    listId: int


class EASStyleReferenceError(ContractRevert):
    """Base of the custom errors of the EASStyleReference contract."""


class EASStyleReferenceAlreadyAttested(EASStyleReferenceError):
    """The uid already exists."""

    uid: bytes


# ---------------------------------------------------------------------------------------------
# Agency SDK (issuer, outbox, verifier requests)
# ---------------------------------------------------------------------------------------------


class AgencyError(LedgerError):
    """An agency-side operation (issue, anchor, revoke, request) could not be done."""


class OutboxError(AgencyError):
    """The issuance outbox is unusable or was asked something inconsistent."""


class OutboxSchemaMismatch(OutboxError):
    """The outbox database was written by an incompatible schema version."""


class CredentialNotFound(OutboxError):
    """No credential with this id (or digest) is in the outbox."""


class DuplicateCredential(OutboxError):
    """A credential with this id or digest is already in the outbox."""


class BatchNotFound(OutboxError):
    """No batch with this id is in the outbox."""


class BatchStateError(OutboxError):
    """A batch transition was asked from a state that does not allow it."""


class CredentialNotYetAnchored(OutboxError):
    """The credential's anchor is not mined yet: it must not be handed out as valid."""


class CredentialHeld(CredentialNotYetAnchored):
    """The credential was signed, or its anchor attempted, while its agency was suspended: it is
    held until an operator anchors or discards it (`Issuer.anchor_held`, `discard_held`)."""


class CredentialDiscarded(CredentialNotYetAnchored):
    """An operator discarded the held credential: it is never anchored nor handed out."""


class StatusListFull(AgencyError):
    """The status list is filled past its allowed fraction; open a new list."""


# -- issuer: agency keys and issuance (ledger.agency.keys, ledger.agency.issuer) --


class AgencyKeyNotFound(AgencyError):
    """No agency account or signing key with this name / kid in the ledger home's keystores."""


class AgencyKeyExists(AgencyError):
    """An agency account or signing key with this name / kid already exists."""


class IssuanceError(AgencyError):
    """A credential could not be issued (unknown type, bad input, anchor not confirmed)."""


class CredentialsHeld(IssuanceError):
    """The agency is suspended: the credentials just signed are held in the outbox, not anchored,
    until an operator decides (`ledger --as AGENCY held anchor|discard`)."""

    def __init__(self, message: str, credential_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.credential_ids = credential_ids


class UnknownCredentialType(IssuanceError):
    """The `vct` is not registered in the CredentialTypeRegistry."""


class ClaimPathInvalid(AgencyError):
    """A claim path string is not of the form `a.b`, `a[0]`, `a.b[2].c`."""


class ClaimNotInType(AgencyError):
    """A requested claim is not one of the credential type's claim names."""


class VerifierNotRegisteredForRequest(AgencyError):
    """A verifier was asked to create a request for claims, a type or a purpose it is not
    registered for on chain now. Wallets refuse such a request, and a citizen who overrode
    hers would send her claims to an agency that may not be entitled to them, so the request
    is not made (`Verifier.create_request(..., unsafe_allow_unregistered=True)`: tests only)."""


class NonceUnknown(VerificationError):
    """The nonce was never issued by this verifier, or it has expired."""


class NonceReplayed(VerificationError):
    """The nonce was already consumed: the presentation is a replay."""


class RequestError(VerificationError):
    """A presentation request failed verification."""


class RequestMalformed(RequestError):
    """The presentation request document is not well formed (the message says what is wrong)."""


class RequestSignatureInvalid(RequestError):
    """The request's EIP-712 signature does not recover to its stated verifier."""


class RequestExpired(RequestError):
    """The presentation request is past its `expires_at` (or not yet valid)."""


class RequestChainMismatch(RequestError):
    """The request names another chain or VerifierRegistry than the one expected."""


class RequestNotOurs(RequestError):
    """The request was not made by this verifier (another verifier address, or not issued here)."""


# -- verifier: presentation against its request (ledger.agency.verifier) --


class PresentationMismatch(VerificationError):
    """Family: the presentation does not answer its request."""


class UnrequestedClaimsDisclosed(PresentationMismatch):
    """The presentation discloses claims the request did not ask for (never accepted silently)."""


class RequestedClaimMissing(PresentationMismatch):
    """A claim the request asked for is not in the presentation."""


class CredentialTypeMismatch(PresentationMismatch):
    """The presented credential's vct or type id is not the requested type."""


class IssuerKeyOwnerMismatch(UnknownIssuerKey):
    """The `kid` is registered on chain, but to another agency than the credential's `iss`."""


# -- verifier: chain checks (ledger.agency.chain_checks) --


class ChainCheckFailed(VerificationError):
    """Family: a check the chain answers (anchor, accreditation, key, status) failed."""


class StatusReferenceInvalid(ChainCheckFailed):
    """The credential's status URI names another registry, chain or agency than its issuer's."""


class CredentialNotAnchored(ChainCheckFailed):
    """The credential's digest (or its leaf under the given batch root) is not anchored."""


class AnchorIssuerMismatch(ChainCheckFailed):
    """The anchor was made by another agency than the credential's issuer."""


class AnchorTypeMismatch(ChainCheckFailed):
    """The anchor records another credential type than the credential's."""


class IssuerNotAccreditedAtAnchor(ChainCheckFailed):
    """The issuer was not accredited for the type (or not Active) when the anchor was mined."""


class IssuerNotActiveAtAnchor(IssuerNotAccreditedAtAnchor):
    """The issuing agency was suspended or removed at the anchor's time: in practice an anchor
    mined in the same second as the suspension or removal, a second the chain counts as
    suspended (the AnchorRegistry refuses anchors from an agency that is not Active)."""


class SigningKeyNotValidAtAnchor(ChainCheckFailed):
    """The signing key was not the issuer's valid key when the anchor was mined (e.g. the
    credential was anchored after the key was revoked: the stolen-key case)."""


class CredentialStatusUnknown(ChainCheckFailed):
    """The credential's status list or index does not exist on chain."""


class CredentialRevoked(ChainCheckFailed):
    """The credential is revoked."""


class CredentialSuspended(ChainCheckFailed):
    """The credential is suspended (it may be reinstated)."""


class IssuerAgencyNotActive(ChainCheckFailed):
    """The issuing agency is not Active now."""


class IssuerAgencySuspended(IssuerAgencyNotActive):
    """The issuing agency is suspended now."""


class IssuerAgencyRemoved(IssuerAgencyNotActive):
    """The issuing agency was removed from the network."""


class VerifierNotAuthorized(ChainCheckFailed):
    """The verifier is not registered for these claims of this type for this purpose."""


# ---------------------------------------------------------------------------------------------
# Wallet (store, backup, consent)
# ---------------------------------------------------------------------------------------------


class WalletError(LedgerError):
    """The citizen wallet refused or failed an operation."""


# -- wallet store (ledger.wallet.store) --


class WalletNotFound(WalletError):
    """There is no wallet store in the given wallet home."""


class WalletAlreadyExists(WalletError):
    """A wallet store already exists where a new one was to be created or restored."""


class WalletHomeUnusable(WalletError):
    """The wallet home cannot be created or written (missing parent, no permission, read-only)."""


class WrongWalletPassphrase(WalletError):
    """The passphrase does not unlock this wallet store."""


class WalletPassphraseInvalid(WalletError):
    """A passphrase was empty, or its confirmation did not match."""


class WalletStoreDamaged(WalletError):
    """Family: the wallet store file is damaged or was altered outside the wallet, so the right
    passphrase does not open it (never reported as a wrong passphrase). A backup brings its
    content back (`wallet restore`)."""


class WalletStoreCorrupt(WalletStoreDamaged):
    """The wallet store file is not a readable wallet (truncated, garbage, unknown format)."""


class WalletHeaderDamaged(WalletStoreCorrupt):
    """The store's header (store id, salt, KDF parameters, passphrase check) fails its checksum:
    no passphrase can unlock the store, and it is not blamed on the passphrase."""


class WalletStoreTampered(WalletStoreDamaged):
    """A record or the manifest of the wallet store was altered, swapped, deleted or rolled back."""


class WalletRecordNotFound(WalletError):
    """No record with this id (credential, key) in the wallet store."""


# -- wallet backup (ledger.wallet.backup) --


class WalletBackupError(WalletError):
    """A wallet backup file could not be written or restored."""


class WalletBackupInvalid(WalletBackupError):
    """The file is not a wallet backup, or its format version is not supported."""


class WrongBackupPassphrase(WalletBackupError):
    """The backup passphrase does not unlock this backup file."""


class WalletBackupTampered(WalletBackupError):
    """The backup's encrypted content fails its authentication tag: altered or damaged."""


# -- citizen refusals (ledger.wallet.holder, ledger.wallet.consent) --


class WalletImportRefused(WalletError):
    """The wallet refused to store a credential: `reason` says why in words, `check` names the
    failed check (``signature``, ``holder_key``, ``anchor``, ``status`` ...) and `cause` is the
    underlying error when there is one (also chained as ``__cause__``)."""

    def __init__(self, check: str, reason: str, cause: BaseException | None = None) -> None:
        detail = f" ({type(cause).__name__}: {cause})" if cause is not None and str(cause) else ""
        super().__init__(f"refused to import the credential: {reason}{detail}")
        self.check = check
        self.reason = reason
        self.cause = cause


class PresentationRefused(WalletError):
    """The wallet will not answer this presentation request; the message says why."""


class VerifierNotRegistered(PresentationRefused):
    """The requesting verifier is not registered on chain (as an Active agency) for these claims
    of this credential type for this purpose. Overridable only with `unsafe_allow_unregistered`."""

    def __init__(self, reason: str, *, verifier: str, type_id: int, purpose: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.verifier = verifier
        self.type_id = type_id
        self.purpose = purpose


class NoMatchingCredential(PresentationRefused):
    """The wallet holds no usable credential (type, claims, validity, status) for the request."""


class ConsentDeclined(WalletError):
    """The citizen did not consent: nothing was disclosed."""
