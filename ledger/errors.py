"""Every exception the ledger raises.

One module, one base class (`LedgerError`), a few families, and specific classes under them.
Callers catch a family (`VerificationError`) or a precise class (`KeyBindingNonceMismatch`);
nothing in the SDK raises a bare ValueError for an expected failure.

Sections are owned by the layer that raises them; keep each class next to its siblings.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of every error the ledger raises on purpose."""


class ConfigError(LedgerError):
    """Bad configuration: a missing deployment record, a missing ledger home, a bad option."""


class InputError(LedgerError):
    """Input that is malformed before any check runs (a file that is not JSON, a bad path)."""


# ---------------------------------------------------------------------------------------------
# Credential format (SD-JWT, SD-JWT VC, KB-JWT, status lists)
# ---------------------------------------------------------------------------------------------


class VerificationError(LedgerError):
    """A credential, presentation or token failed verification."""


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
    """A claim that must be plaintext (iss, iat, exp, nbf, vct, cnf, status) came from a disclosure."""


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


class TransactionFailed(ChainError):
    """A transaction was mined with status 0 and no revert reason could be recovered."""

    def __init__(self, tx_hash: str, message: str) -> None:
        super().__init__(f"transaction {tx_hash} failed: {message}")
        self.tx_hash = tx_hash


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


class StatusListFull(AgencyError):
    """The status list is filled past its allowed fraction; open a new list."""


class ClaimPathInvalid(AgencyError):
    """A claim path string is not of the form `a.b`, `a[0]`, `a.b[2].c`."""


class ClaimNotInType(AgencyError):
    """A requested claim is not one of the credential type's claim names."""


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


class WrongWalletPassphrase(WalletError):
    """The passphrase does not unlock this wallet store."""


class WalletPassphraseInvalid(WalletError):
    """A passphrase was empty, or its confirmation did not match."""


class WalletStoreCorrupt(WalletError):
    """The wallet store file is not a readable wallet (truncated, garbage, unknown format)."""


class WalletStoreTampered(WalletError):
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
