"""The source's side of a pull: check a signed query, answer it or refuse it, receipt either.

Guarantees (`DataSource.answer`):

- The checks run in this order, and the first that fails decides the refusal:
  1. the EIP-712 signature recovers the requester the query names (``bad-signature``);
  2. the query is inside its time window: issued no later than now + skew, not expired
     (``expired-query``);
  3. its nonce was never used by this requester (``replayed-query``): taken by the store's
     primary key, in the same transaction as the receipt, so of two racing copies one wins;
  4. ONE chain read (`VerifierRegistry.requesterCheck`, one ``eth_call`` at the latest block's
     time): the requester is an Active agency (``not-registered``, ``requester-suspended``), has
     a registration in force for this type and purpose (``wrong-purpose``) that covers every
     claim asked (``over-asking``), and the legal basis the council set for it;
  5. where the legal basis is consent, the subject's consent covering this requester, type,
     claims and purpose is active now (``no-consent``, ``consent-withdrawn``);
  6. the register holds the subject (``unknown-subject``). Steps 4-5 run first, so a requester
     that is not authorised is refused the same way whether or not the person exists;
  7. the answer: an SD-JWT VC of only the requested claims, signed by the source's key,
     addressed to the requester (`ledger.exchange.answer`).
- Every answered or refused query leaves an `AccessReceipt` (outcome = the stable code). The
  receipt of an answer, with the answer's digest, is committed to the store (with the query's
  nonce) BEFORE `answer` returns: a crash never yields an answer without its receipt. A refusal
  raises the `QueryRefused` subclass of its code, carrying the receipt id.
- The subject (her CPR number) never appears in a log line, an exception message or a repr.

The receipt's ``subject_key`` (what the citizen's lookup and the batch pseudonyms use) is
`subject_key`: Z, the P-256 ECDH secret between the source's log key and her holder key when the
source knows it (`HolderKeys`), else K = HMAC-SHA256(pseudonym secret, SUBJECT_KEY_TAG ||
subject_id). Either way her pseudonym in batch b is `batch_pseudonym(subject_key, b)` =
SHA-256("ledger.exchange.pseudonym.v1" || key || b): with Z she computes it herself; with K
only the source can (the documented limit).

Concurrency: one `DataSource` serves one thread at a time (`answer` holds a lock around the
chain client and the store connection). Run several processes for more (each its own store
connection; SQLite and PostgreSQL serialise the receipts and nonces correctly).

Longer than the house's ~400 lines: the numbered checks of one query and the receipt written with
its answer are one transaction's logic, read top to bottom.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from ledger._rand import SYSTEM_RANDOM, Clock, RandomSource
from ledger.agency.claims import claim_mask
from ledger.agency.packages import issuer_did
from ledger.chain.client import LedgerChain
from ledger.chain.records import AgencyStatus, CredentialTypeInfo, RequesterCheck
from ledger.errors import (
    ChainError,
    ClaimNotInType,
    ClaimPathInvalid,
    ConfigError,
    ConsentMalformed,
    ConsentMissing,
    ConsentWithdrawnRefusal,
    ConsentWrongKey,
    LedgerError,
    OverAsking,
    QueryExpired,
    QueryMalformed,
    QueryRefused,
    QueryReplayed,
    QueryReplayedRefusal,
    QuerySignatureInvalid,
    RequesterNotRegistered,
    RequesterSuspended,
    SubjectUnknown,
    WrongPurpose,
)
from ledger.exchange.access_log import ReceiptBatch, build_batch
from ledger.exchange.answer import select_claims, sign_answer
from ledger.exchange.consent import VerifiedConsent, record_consent, record_withdrawal
from ledger.exchange.pseudonym import SourceLogKey, pseudonym_from_shared_secret
from ledger.exchange.query import QueryDomain, SignedQuery, exchange_domain
from ledger.exchange.receipts import (
    NO_ANSWER,
    AccessReceipt,
    LegalBasis,
    Outcome,
    answer_digest,
    purpose_digest,
)
from ledger.exchange.register import SubjectRegister
from ledger.exchange.store import Consent, ExchangeStore
from ledger.sdjwt import PublicKey, SigningKey, public_key_from_jwk
from ledger.sdjwt.jws import parse_compact

__all__ = [
    "SUBJECT_KEY_TAG",
    "Answer",
    "DataSource",
    "DictHolderKeys",
    "HolderKeys",
    "batch_pseudonym",
    "subject_key",
]

log = logging.getLogger("ledger.exchange.source")

SUBJECT_KEY_TAG = b"ledger.exchange.subject-key.v1\x00"
_REFUSALS: dict[Outcome, type[QueryRefused]] = {
    Outcome.BAD_SIGNATURE: QuerySignatureInvalid,
    Outcome.EXPIRED_QUERY: QueryExpired,
    Outcome.REPLAYED_QUERY: QueryReplayedRefusal,
    Outcome.NOT_REGISTERED: RequesterNotRegistered,
    Outcome.REQUESTER_SUSPENDED: RequesterSuspended,
    Outcome.WRONG_PURPOSE: WrongPurpose,
    Outcome.OVER_ASKING: OverAsking,
    Outcome.NO_CONSENT: ConsentMissing,
    Outcome.CONSENT_WITHDRAWN: ConsentWithdrawnRefusal,
    Outcome.UNKNOWN_SUBJECT: SubjectUnknown,
}


class HolderKeys:
    """Where the source finds the holder public key it knows for a subject (the CPR office: the
    ``cnf`` key of the person credential it issued to her). Subclass or pass a `DictHolderKeys`."""

    def holder_jwk(self, subject_id: str) -> Mapping[str, str] | None:
        """Her holder public JWK, or None if the source knows none."""
        return None

    def subject_of(self, kid: str) -> str | None:
        """The subject whose holder key has this thumbprint (``kid``), or None."""
        return None


class DictHolderKeys(HolderKeys):
    """Holder keys in memory, by subject id (and by key thumbprint)."""

    def __init__(self, keys: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._keys: dict[str, dict[str, str]] = {}
        self._subjects: dict[str, str] = {}
        for subject_id, jwk in (keys or {}).items():
            self.set(subject_id, jwk)

    def holder_jwk(self, subject_id: str) -> Mapping[str, str] | None:
        return self._keys.get(subject_id)

    def subject_of(self, kid: str) -> str | None:
        return self._subjects.get(kid)

    def set(self, subject_id: str, jwk: Mapping[str, str]) -> None:
        """Record (or replace) her holder key."""
        self._keys[subject_id] = dict(jwk)
        self._subjects[public_key_from_jwk(jwk).kid] = subject_id


def subject_key(
    subject_id: str,
    *,
    log_key: SourceLogKey,
    holder_jwk: Mapping[str, str] | None,
    pseudonym_secret: bytes,
) -> bytes:
    """The receipt's subject key: the ECDH secret with her holder key when known, else the
    keyed hash of her subject id (32 bytes either way; keep secret)."""
    if holder_jwk is not None:
        return log_key.shared_secret(holder_jwk)
    message = SUBJECT_KEY_TAG + subject_id.encode("utf-8")
    return hmac.new(pseudonym_secret, message, hashlib.sha256).digest()


def batch_pseudonym(key: bytes, batch_no: int) -> bytes:
    """Her slot key in batch `batch_no`, from a receipt's ``subject_key``."""
    return pseudonym_from_shared_secret(key, batch_no)


@dataclass(frozen=True)
class Answer:
    """An answered query: the SD-JWT VC sent and the id of its (stored) receipt."""

    credential: str
    receipt_id: str

    def to_json(self) -> dict[str, str]:
        """What the data service returns."""
        return {"credential": self.credential, "receipt_id": self.receipt_id}


class _Refusal(Exception):
    def __init__(self, outcome: Outcome, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class DataSource:
    """The authoritative source's data service, as a library (the HTTP app wraps it).

    `store` keeps receipts, consents and nonces; `register` answers lookups (often a
    `StoreRegister` over the same store); `chain` reads the registries (read-only is enough);
    `signing_key` is the source agency's registered P-256 key (as its issuer uses); `log_key`
    its `SourceLogKey`; `pseudonym_secret` (>= 32 bytes) keys the subject keys of subjects whose
    holder key it does not know. `agency` is the source's address (default: `chain`'s account);
    the legal basis of each pull is the one the council set on chain with the requester's
    registration. Constructors do no I/O.
    """

    def __init__(
        self,
        *,
        store: ExchangeStore,
        register: SubjectRegister,
        chain: LedgerChain,
        signing_key: SigningKey,
        log_key: SourceLogKey,
        pseudonym_secret: bytes,
        agency: str | None = None,
        holder_keys: HolderKeys | None = None,
        clock: Clock = time.time,
        rng: RandomSource = SYSTEM_RANDOM,
        answer_lifetime: int = 300,
        clock_skew: int = 30,
    ) -> None:
        if len(pseudonym_secret) < 32:
            raise ConfigError("the pseudonym secret must be at least 32 bytes")
        self.store = store
        self.register = register
        self.chain = chain
        self.signing_key = signing_key
        self.log_key = log_key
        self._secret = pseudonym_secret
        self._agency = agency
        self.holder_keys = holder_keys or HolderKeys()
        self._clock = clock
        self._rng = rng
        self._answer_lifetime = answer_lifetime
        self._skew = clock_skew
        self._lock = threading.Lock()
        self._types: dict[str, CredentialTypeInfo] = {}
        self._domain: QueryDomain | None = None
        self._batches: dict[int, ReceiptBatch] = {}

    def open(self) -> DataSource:
        """Open the store (in the thread that will serve: a SQLite connection stays in the
        thread that opened it). The app opens its source at startup."""
        self.store.open()
        return self

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    # -- identity -----------------------------------------------------------------------------

    @property
    def agency(self) -> str:
        """The source agency's address."""
        if self._agency is None:
            self._agency = self.chain.address
        return self._agency

    @property
    def issuer(self) -> str:
        """The answers' ``iss``: the source's did:pkh."""
        return issuer_did(self.chain.deployment.chain_id, self.agency)

    @property
    def domain(self) -> QueryDomain:
        """The EIP-712 domain queries are signed under."""
        if self._domain is None:
            deployment = self.chain.deployment
            self._domain = exchange_domain(deployment.chain_id, deployment.addresses)
        return self._domain

    def subject_key_of(self, subject_id: str) -> bytes:
        """The subject key of her receipts (see the module docstring)."""
        return subject_key(
            subject_id,
            log_key=self.log_key,
            holder_jwk=self.holder_keys.holder_jwk(subject_id),
            pseudonym_secret=self._secret,
        )

    # -- the chain read -----------------------------------------------------------------------

    def _type(self, vct: str) -> CredentialTypeInfo:
        info = self._types.get(vct)
        if info is None:
            types = self.chain.types
            info = types.credential_type(types.type_id_of(vct))
            self._types[vct] = info
        return info

    def standing(
        self, requester: str, type_id: int, claim_mask: int, purpose: bytes
    ) -> RequesterCheck:
        """The requester's standing for a type, the claims asked (`claim_mask`) and a purpose:
        the ONE chain read `VerifierRegistry.requesterCheck` (status, registration in force,
        claims covered, authorised, legal basis), at the latest block's time."""
        return self.chain.verifiers.requester_check(requester, type_id, claim_mask, purpose)

    def _basis(self, check: RequesterCheck) -> LegalBasis:
        """The legal basis the receipt records: the one the council set on chain."""
        return LegalBasis(check.legal_basis.value)

    # -- answering ----------------------------------------------------------------------------

    def answer(self, signed: SignedQuery) -> Answer:
        """Answer `signed` or refuse it (the `QueryRefused` subclass of the refusal); either way
        its receipt is stored first. `QueryMalformed` (no receipt) for a query addressed to
        another source."""
        query = signed.query
        if query.source != self.agency:
            raise QueryMalformed("the query is addressed to another source")
        with self._lock:
            now = int(self._clock())
            basis = LegalBasis.CONSENT
            try:
                basis = self._check(signed, now)
                claims = self.register.lookup(query.subject, now=now)
                if claims is None:
                    raise _Refusal(
                        Outcome.UNKNOWN_SUBJECT, "the register does not hold the subject"
                    )
                selected = select_claims(claims, query.claims)
            except _Refusal as refusal:
                return self._refuse(signed, now, basis, refusal)
            except OverAsking as exc:
                return self._refuse(signed, now, basis, _Refusal(Outcome.OVER_ASKING, str(exc)))
            receipt_id = self._rng.token_bytes(16)
            credential = sign_answer(
                selected,
                signing_key=self.signing_key,
                issuer=self.issuer,
                vct=query.vct,
                audience=query.requester,
                receipt_id=receipt_id.hex(),
                now=now,
                lifetime=self._answer_lifetime,
            )
            receipt = self._receipt(signed, now, basis, Outcome.ANSWERED, receipt_id, credential)
            try:
                self._store(signed, receipt)
            except QueryReplayed:
                return self._refuse(
                    signed, now, basis, _Refusal(Outcome.REPLAYED_QUERY, "the nonce was used")
                )
            log.info(
                "answered query %s from %s (%d claims of %s)",
                receipt_id.hex(),
                query.requester,
                len(query.claims),
                query.vct,
            )
            return Answer(credential, receipt_id.hex())

    def _check(self, signed: SignedQuery, now: int) -> LegalBasis:
        """Steps 1-5; returns the legal basis."""
        query = signed.query
        try:
            signer = signed.recover(self.domain)
        except QuerySignatureInvalid:
            signer = None
        if signer != query.requester:
            raise _Refusal(Outcome.BAD_SIGNATURE, "the signature is not the requester's")
        if query.iat > now + self._skew or now >= query.exp:
            raise _Refusal(Outcome.EXPIRED_QUERY, "the query is expired or not yet valid")
        # Step 3 (the nonce) is taken with the receipt, in one transaction (`_store`).
        try:
            info = self._type(query.vct)
        except ChainError:
            raise _Refusal(Outcome.WRONG_PURPOSE, "no registration for this type") from None
        digest = purpose_digest(query.purpose)
        try:
            mask, not_in_type = claim_mask(query.claims, info.claim_names), None
        except (ClaimNotInType, ClaimPathInvalid) as exc:  # an unparsable path too
            mask, not_in_type = 0, exc  # refused below, after the requester's own refusals
        check = self.standing(query.requester, info.type_id, mask, digest)
        if check.status in (AgencyStatus.NONE, AgencyStatus.REMOVED):
            raise _Refusal(Outcome.NOT_REGISTERED, "the requester is not an agency")
        if not check.active:
            raise _Refusal(Outcome.REQUESTER_SUSPENDED, "the requester is suspended")
        if not check.registered:
            raise _Refusal(Outcome.WRONG_PURPOSE, "no registration for this type and purpose")
        if not_in_type is not None:
            raise _Refusal(Outcome.OVER_ASKING, f"a claim is not of the type: {not_in_type}")
        if not check.covered:
            raise _Refusal(Outcome.OVER_ASKING, "claims beyond the registration")
        basis = self._basis(check)
        if basis is LegalBasis.CONSENT:
            self._check_consent(signed, info, digest, now)
        return basis

    def _check_consent(
        self, signed: SignedQuery, info: CredentialTypeInfo, digest: bytes, now: int
    ) -> None:
        query = signed.query
        found = self.store.find_consent(
            query.subject, query.requester, info.vct, query.claims, digest, now=now
        )
        if found is not None:
            return
        wanted = set(query.claims)
        for consent in self.store.consents_of(query.subject):
            if (
                consent.withdrawn_at is not None
                and consent.withdrawn_at <= now
                and consent.requester.lower() == query.requester.lower()
                and consent.credential_type == info.vct
                and consent.purpose_digest == digest
                and wanted <= set(consent.claims)
            ):
                raise _Refusal(Outcome.CONSENT_WITHDRAWN, "the subject withdrew her consent")
        raise _Refusal(Outcome.NO_CONSENT, "the subject has not consented")

    def _receipt(
        self,
        signed: SignedQuery,
        now: int,
        basis: LegalBasis,
        outcome: Outcome,
        receipt_id: bytes,
        answer: str | None,
    ) -> AccessReceipt:
        query = signed.query
        return AccessReceipt(
            receipt_id=receipt_id,
            source=self.agency,
            requester=query.requester,
            vct=query.vct,
            claims=query.claims,
            purpose=query.purpose,
            legal_basis=basis,
            case_ref=query.case_ref,
            time=now,
            outcome=outcome,
            answer_digest=NO_ANSWER if answer is None else answer_digest(answer),
            salt=self._rng.token_bytes(16),
        )

    def _store(self, signed: SignedQuery, receipt: AccessReceipt, *, nonce: bool = True) -> None:
        query = signed.query
        key = self.subject_key_of(query.subject)
        with self.store.transaction():
            if nonce:
                self.store.use_nonce(query.requester, query.nonce, expires_at=query.exp)
            self.store.add_receipt(
                receipt.receipt_id.hex(),
                created_at=receipt.time,
                body=receipt.encode(),
                leaf=receipt.leaf,
                subject_key=key,
            )

    def _refuse(
        self, signed: SignedQuery, now: int, basis: LegalBasis, refusal: _Refusal
    ) -> NoReturn:
        query = signed.query
        outcome = refusal.outcome
        receipt_id = self._rng.token_bytes(16)
        receipt = self._receipt(signed, now, basis, outcome, receipt_id, None)
        # A bad signature or a replay does not spend the nonce (the query is not the
        # requester's, or the nonce is spent already); every other refusal does.
        spend = outcome not in (
            Outcome.BAD_SIGNATURE,
            Outcome.REPLAYED_QUERY,
            Outcome.EXPIRED_QUERY,
        )
        try:
            self._store(signed, receipt, nonce=spend)
        except QueryReplayed:
            outcome = Outcome.REPLAYED_QUERY
            receipt = self._receipt(signed, now, basis, outcome, receipt_id, None)
            self._store(signed, receipt, nonce=False)
            refusal = _Refusal(outcome, "the nonce was used")
        # A requester that is not authorised learns nothing about the register: every wire
        # refusal before step 6 is independent of the subject.
        log.info("refused query %s from %s: %s", receipt_id.hex(), query.requester, outcome.value)
        raise _REFUSALS[outcome](str(refusal), receipt_id=receipt_id.hex())

    # -- the citizen's side -------------------------------------------------------------------

    def access_log(self, holder: PublicKey) -> dict[str, Any]:
        """Her receipts (keyed by her holder key) and, for every batch sealed so far, the proof
        of her slot (or of its absence), as the data service returns them:
        ``{"source", "log_key", "receipts": [{"receipt", "batch_no"}], "batches": [{"batch_no",
        "root", "count", "proof"}]}``."""
        key = self.log_key.shared_secret(holder)
        with self._lock:
            rows = self.store.receipts_for_subject_key(key)
            last = self.store.last_batch_no()
            batches = [self._batch(b) for b in range(1, last + 1)]
        return {
            "source": self.agency,
            "log_key": self.log_key.public_jwk,
            "receipts": [
                {"receipt": row.body.decode("utf-8"), "batch_no": row.batch_no} for row in rows
            ],
            "batches": [
                {
                    "batch_no": batch.batch_no,
                    "root": batch.root.hex(),
                    "count": batch.count,
                    "proof": batch.proof_for(batch_pseudonym(key, batch.batch_no)).to_json(),
                }
                for batch in batches
            ],
        }

    def _batch(self, batch_no: int) -> ReceiptBatch:
        batch = self._batches.get(batch_no)
        if batch is None:  # a sealed batch never changes
            entries = []
            for row in self.store.receipts_in_batch(batch_no):
                if row.subject_key is None or row.leaf is None:
                    raise ConfigError(f"a receipt of batch {batch_no} has no subject key or leaf")
                entries.append((batch_pseudonym(row.subject_key, batch_no), row.leaf))
            batch = build_batch(batch_no, entries)
            self._batches[batch_no] = batch
        return batch

    def _subject_of(self, document: str) -> tuple[str, Mapping[str, str]]:
        try:
            kid = parse_compact(document).unverified_header.get("kid")
        except LedgerError as exc:
            raise ConsentMalformed(f"not a consent document: {exc}") from exc
        subject_id = self.holder_keys.subject_of(kid) if isinstance(kid, str) else None
        jwk = None if subject_id is None else self.holder_keys.holder_jwk(subject_id)
        if subject_id is None or jwk is None:
            raise ConsentWrongKey("the document is signed by a key the source knows for no one")
        return subject_id, jwk

    def grant(self, document: str) -> VerifiedConsent:
        """Record a consent signed by a subject's known holder key (`ledger.exchange.consent`)."""
        subject_id, jwk = self._subject_of(document)
        with self._lock:
            return record_consent(
                self.store,
                document,
                jwk,
                subject_id=subject_id,
                source=self.agency,
                now=int(self._clock()),
            )

    def withdraw(self, document: str) -> Consent:
        """Record a withdrawal, honoured from now on."""
        subject_id, jwk = self._subject_of(document)
        with self._lock:
            return record_withdrawal(
                self.store, document, jwk, subject_id=subject_id, now=int(self._clock())
            )
