"""The citizen's access log: who read what about her from a source, when, why and on which legal
basis, each access proven against the batches the source anchored on chain, and the log proven
complete.

A source gives her (over HTTP, or as a file) her log: for every batch, her receipts and the
proof of her slot. The wallet

1. reads it through the one bounded parser (`parse_source_log`; `AccessLogMalformed`);
2. checks the batches the chain lists for the source are numbered 1..N (`AccessLogGap`), and
   that the log answers exactly those (`AccessLogIncomplete` for a batch left out,
   `AccessLogUnanchored` for one the chain does not hold);
3. for each batch computes her pseudonym herself (her holder key and the source's public log
   key, `ledger.exchange.pseudonym.citizen_pseudonym`) and checks her receipts against the
   anchored root (`ledger.exchange.access_log.verify_my_batch`): a receipt dropped, altered or
   added is caught;
4. checks every receipt is the source's own (`AccessLogUnanchored`).

The log format, one JSON object (the file and the HTTP answer alike)::

    {"source": "0x...", "log_key": {public P-256 JWK},
     "batches": [{"batch_no": 1, "receipts": ["<canonical receipt>", ...],
                  "proof": {"smt": {...}, "leaves": ["<hex>", ...]}}, ...]}

Receipts travel as their canonical encoding (a string), so the bytes she hashes are the bytes
the source committed to. The anchored batches come from the chain (`ReceiptRegistry`), passed
in as `AnchoredBatch` values so this check runs without a node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ledger import untrusted_json
from ledger.errors import (
    AccessLogMalformed,
    AccessLogUnanchored,
    InvalidJwk,
    JsonRejected,
    ReceiptMalformed,
    SmtProofMalformed,
)
from ledger.exchange.access_log import (
    AnchoredBatch,
    SlotProof,
    VerifiedBatchLog,
    check_batch_sequence,
    check_log_covers,
    parse_slot_proof,
    verify_my_batch,
)
from ledger.exchange.pseudonym import check_batch_no, citizen_pseudonym
from ledger.exchange.receipts import AccessReceipt, checksum_address
from ledger.sdjwt.jwk import PublicKey, SigningKey, public_key_from_jwk

__all__ = [
    "MAX_LOG_BYTES",
    "AccessLogEntry",
    "LogBatch",
    "SourceLog",
    "VerifiedAccessLog",
    "parse_source_log",
    "verify_access_log",
]

#: Far above a citizen's log (a receipt is under 4 KB): 64 MiB.
MAX_LOG_BYTES = 64 * 1024 * 1024
_MEMBERS = frozenset({"source", "log_key", "batches"})
_BATCH_MEMBERS = frozenset({"batch_no", "receipts", "proof"})


@dataclass(frozen=True)
class LogBatch:
    """One batch of the log as the source sent it: parsed, NOT verified."""

    batch_no: int
    receipts: tuple[AccessReceipt, ...]
    proof: SlotProof


@dataclass(frozen=True)
class SourceLog:
    """A citizen's log as a source sent it: parsed, NOT verified (`verify_access_log`)."""

    source: str
    log_key: PublicKey
    batches: tuple[LogBatch, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON form `parse_source_log` reads."""
        return {
            "source": self.source,
            "log_key": self.log_key.jwk,
            "batches": [
                {
                    "batch_no": b.batch_no,
                    "receipts": [r.encode().decode("utf-8") for r in b.receipts],
                    "proof": b.proof.to_json(),
                }
                for b in self.batches
            ],
        }


def _malformed(why: str) -> AccessLogMalformed:
    return AccessLogMalformed(f"not an access log: {why}")


def _batch(obj: object, index: int) -> LogBatch:
    if not isinstance(obj, dict) or set(obj) != _BATCH_MEMBERS:
        raise _malformed(f"batch {index} is not an object with batch_no, receipts and proof")
    batch_no = obj["batch_no"]
    if type(batch_no) is not int or batch_no < 1:
        raise _malformed(f"batch {index}: batch_no is not a whole number from 1")
    check_batch_no(batch_no)
    texts = obj["receipts"]
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise _malformed(f"batch {batch_no}: receipts is not a list of encoded receipts")
    try:
        receipts = tuple(AccessReceipt.decode(t) for t in texts)
    except ReceiptMalformed as exc:
        raise _malformed(f"batch {batch_no}: a receipt does not parse ({exc})") from exc
    try:
        proof = parse_slot_proof(orjson.dumps(obj["proof"]))
    except SmtProofMalformed as exc:
        raise _malformed(f"batch {batch_no}: the slot proof does not parse ({exc})") from exc
    return LogBatch(batch_no, receipts, proof)


def parse_source_log(data: bytes | str) -> SourceLog:
    """Read a log from outside (a file, an HTTP body) through the bounded parser.
    `AccessLogMalformed` (with the parser's or the part's error as the cause) if it is not one."""
    try:
        obj = untrusted_json.loads(data, max_bytes=MAX_LOG_BYTES)
    except JsonRejected as exc:
        raise _malformed(str(exc)) from exc
    if not isinstance(obj, dict) or set(obj) != _MEMBERS:
        raise _malformed("expected an object with the members source, log_key and batches")
    try:
        source = checksum_address(obj["source"])
    except Exception as exc:  # ReceiptInvalid, or a non-string
        raise _malformed("source is not an agency address") from exc
    if not isinstance(obj["log_key"], dict):
        raise _malformed("log_key is not a JWK")
    try:
        log_key = public_key_from_jwk(obj["log_key"])
    except InvalidJwk as exc:
        raise _malformed(f"log_key is not a P-256 public key ({exc})") from exc
    if not isinstance(obj["batches"], list):
        raise _malformed("batches is not a list")
    batches = tuple(_batch(b, i) for i, b in enumerate(obj["batches"], start=1))
    numbers = [b.batch_no for b in batches]
    if len(set(numbers)) != len(numbers):
        raise _malformed("a batch is listed twice")
    return SourceLog(source, log_key, batches)


@dataclass(frozen=True)
class AccessLogEntry:
    """One access to the citizen's data, verified against its anchored batch."""

    receipt_id: str
    requester: str
    requester_name: str
    """The requester's name as the chain holds it ("" if none is registered)."""
    vct: str
    claims: tuple[str, ...]
    purpose: str
    legal_basis: str
    case_ref: str
    time: int
    outcome: str
    """``answered``, or the refusal's code."""
    batch_no: int
    anchored_block: int | None
    """The block the batch was anchored in, when the chain says."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "receipt_id": self.receipt_id,
            "requester": self.requester,
            "requester_name": self.requester_name,
            "vct": self.vct,
            "claims": list(self.claims),
            "purpose": self.purpose,
            "legal_basis": self.legal_basis,
            "case_ref": self.case_ref,
            "time": self.time,
            "outcome": self.outcome,
            "batch_no": self.batch_no,
            "anchored_block": self.anchored_block,
        }


@dataclass(frozen=True)
class VerifiedAccessLog:
    """A source's log of the citizen, verified complete and unaltered against every batch the
    chain lists for the source."""

    source: str
    batches: int
    """How many anchored batches were checked (each proven, with or without her receipts)."""
    entries: tuple[AccessLogEntry, ...]
    """Her accesses, oldest first."""


def verify_access_log(
    log: SourceLog,
    holder_key: SigningKey,
    anchored: Sequence[AnchoredBatch],
    *,
    names: Callable[[str], str] | Mapping[str, str] | None = None,
) -> VerifiedAccessLog:
    """Check a source's log of the citizen against the batches the chain lists for the source
    (`anchored`, in the chain's order), with her holder key. `names` gives a requester's
    registered name (a function asking the chain, or a mapping). Raises the specific
    `AccessLogError` (steps 2 to 4 of the module docstring); returns the verified entries."""
    # 2. The chain's batches are 1..N; the log answers exactly those.
    check_batch_sequence(anchored)
    given = {b.batch_no: b for b in log.batches}
    extra = sorted(set(given) - {a.batch_no for a in anchored})
    if extra:
        raise AccessLogUnanchored(f"the log has batch {extra[0]}, which is not anchored")
    # 3. Her slot in each batch she was given, under the anchored root.
    verified: list[VerifiedBatchLog] = []
    for batch in anchored:
        got = given.get(batch.batch_no)
        if got is None:
            continue  # check_log_covers names it
        pseudonym = citizen_pseudonym(holder_key, log.log_key, batch.batch_no)
        verified.append(
            verify_my_batch(batch.root, batch.batch_no, pseudonym, got.receipts, got.proof)
        )
    covered = check_log_covers(anchored, verified)
    # 4. Every receipt is the source's own.
    blocks = {a.batch_no: a.block for a in anchored}
    lookup = _names(names)
    entries: list[AccessLogEntry] = []
    for batch_log in covered:
        for receipt in batch_log.receipts:
            if receipt.source != log.source:
                raise AccessLogUnanchored(
                    f"batch {batch_log.batch_no}: a receipt names another source ({receipt.source})"
                )
            entries.append(_entry(receipt, batch_log.batch_no, blocks[batch_log.batch_no], lookup))
    entries.sort(key=lambda e: (e.time, e.receipt_id))
    return VerifiedAccessLog(log.source, len(covered), tuple(entries))


def _names(names: Callable[[str], str] | Mapping[str, str] | None) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def lookup(address: str) -> str:
        if address not in cache:
            if names is None:
                cache[address] = ""
            elif isinstance(names, Mapping):
                cache[address] = names.get(address, "")
            else:
                cache[address] = names(address)
        return cache[address]

    return lookup


def _entry(
    receipt: AccessReceipt, batch_no: int, block: int | None, name: Callable[[str], str]
) -> AccessLogEntry:
    return AccessLogEntry(
        receipt_id=receipt.receipt_id.hex(),
        requester=receipt.requester,
        requester_name=name(receipt.requester),
        vct=receipt.vct,
        claims=receipt.claims,
        purpose=receipt.purpose,
        legal_basis=str(receipt.legal_basis),
        case_ref=receipt.case_ref,
        time=receipt.time,
        outcome=str(receipt.outcome),
        batch_no=batch_no,
        anchored_block=block,
    )
