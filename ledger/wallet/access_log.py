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

The log format, one JSON object, as the source's data service answers ``GET /exchange/receipts``
(`ledger.exchange.source.DataSource.access_log`) and as a file::

    {"source": "0x...", "log_key": {public P-256 JWK},
     "receipts": [{"receipt": "<canonical receipt>", "batch_no": 1 | null}, ...],
     "batches": [{"batch_no": 1, "root": "<hex>", "count": 3,
                  "proof": {"smt": {...}, "leaves": ["<hex>", ...]}}, ...]}

Receipts travel as their canonical encoding (a string), so the bytes she hashes are the bytes
the source committed to. A receipt with ``batch_no`` null is not anchored yet: it is shown as
pending, unproven. The ``root`` and ``count`` the source states are not trusted: the anchored
batches come from the chain (`ReceiptRegistry`), passed in as `AnchoredBatch` values so this
check also runs without a node.

Longer than the house's ~400 lines: the parser of the source's log format and the checks that prove
the log complete stay together, since each check relies on exactly what the parser admits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    import httpx

    from ledger.chain.client import LedgerChain

__all__ = [
    "MAX_LOG_BYTES",
    "AccessLogEntry",
    "LogBatch",
    "SourceLog",
    "VerifiedAccessLog",
    "anchored_batches",
    "fetch_source_log",
    "parse_source_log",
    "verify_access_log",
]

#: Far above a citizen's log (a receipt is under 4 KB): 64 MiB.
MAX_LOG_BYTES = 64 * 1024 * 1024
_MEMBERS = frozenset({"source", "log_key", "receipts", "batches"})
_RECEIPT_MEMBERS = frozenset({"receipt", "batch_no"})
_BATCH_MEMBERS = frozenset({"batch_no", "root", "count", "proof"})
_HEX32 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class LogBatch:
    """One batch of the log as the source sent it: parsed, NOT verified. `stated_root` and
    `stated_count` are what the source says; the chain's values are the ones checked."""

    batch_no: int
    receipts: tuple[AccessReceipt, ...]
    proof: SlotProof
    stated_root: bytes = bytes(32)
    stated_count: int = 0


@dataclass(frozen=True)
class SourceLog:
    """A citizen's log as a source sent it: parsed, NOT verified (`verify_access_log`)."""

    source: str
    log_key: PublicKey
    batches: tuple[LogBatch, ...]
    pending: tuple[AccessReceipt, ...] = ()
    """Her receipts not in a batch yet: shown, not proven."""

    def to_json(self) -> dict[str, Any]:
        """The JSON form `parse_source_log` reads."""
        receipts = [
            {"receipt": r.encode().decode("utf-8"), "batch_no": b.batch_no}
            for b in self.batches
            for r in b.receipts
        ]
        receipts += [
            {"receipt": r.encode().decode("utf-8"), "batch_no": None} for r in self.pending
        ]
        return {
            "source": self.source,
            "log_key": self.log_key.jwk,
            "receipts": receipts,
            "batches": [
                {
                    "batch_no": b.batch_no,
                    "root": b.stated_root.hex(),
                    "count": b.stated_count,
                    "proof": b.proof.to_json(),
                }
                for b in self.batches
            ],
        }


def _malformed(why: str) -> AccessLogMalformed:
    return AccessLogMalformed(f"not an access log: {why}")


def _batch_no(value: object, where: str) -> int:
    if type(value) is not int or value < 1:
        raise _malformed(f"{where}: batch_no is not a whole number from 1")
    return check_batch_no(value)


def _receipts(items: object) -> dict[int | None, list[AccessReceipt]]:
    """The receipts grouped by the batch the source says each is in (None: not yet)."""
    if not isinstance(items, list):
        raise _malformed("receipts is not a list")
    out: dict[int | None, list[AccessReceipt]] = {}
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict) or set(item) != _RECEIPT_MEMBERS:
            raise _malformed(f"receipt {i} is not an object with receipt and batch_no")
        text, number = item["receipt"], item["batch_no"]
        batch_no = None if number is None else _batch_no(number, f"receipt {i}")
        if not isinstance(text, str):
            raise _malformed(f"receipt {i} is not an encoded receipt")
        try:
            out.setdefault(batch_no, []).append(AccessReceipt.decode(text))
        except ReceiptMalformed as exc:
            raise _malformed(f"receipt {i} does not parse ({exc})") from exc
    return out


def _batch(obj: object, index: int, receipts: Sequence[AccessReceipt]) -> LogBatch:
    if not isinstance(obj, dict) or set(obj) != _BATCH_MEMBERS:
        raise _malformed(f"batch {index} is not an object with batch_no, root, count and proof")
    batch_no = _batch_no(obj["batch_no"], f"batch {index}")
    root, count = obj["root"], obj["count"]
    if not isinstance(root, str) or not _HEX32.fullmatch(root):
        raise _malformed(f"batch {batch_no}: root is not 64 lowercase hex digits")
    if type(count) is not int or count < 0:
        raise _malformed(f"batch {batch_no}: count is not a whole number")
    try:
        proof = parse_slot_proof(orjson.dumps(obj["proof"]))
    except SmtProofMalformed as exc:
        raise _malformed(f"batch {batch_no}: the slot proof does not parse ({exc})") from exc
    return LogBatch(batch_no, tuple(receipts), proof, bytes.fromhex(root), count)


def parse_source_log(data: bytes | str) -> SourceLog:
    """Read a log from outside (a file, an HTTP body) through the bounded parser.
    `AccessLogMalformed` (with the parser's or the part's error as the cause) if it is not one."""
    try:
        obj = untrusted_json.loads(data, max_bytes=MAX_LOG_BYTES)
    except JsonRejected as exc:
        raise _malformed(str(exc)) from exc
    if not isinstance(obj, dict) or set(obj) != _MEMBERS:
        raise _malformed(
            "expected an object with the members source, log_key, receipts and batches"
        )
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
    grouped = _receipts(obj["receipts"])
    if not isinstance(obj["batches"], list):
        raise _malformed("batches is not a list")
    batches: list[LogBatch] = []
    for i, item in enumerate(obj["batches"], start=1):
        number = item.get("batch_no") if isinstance(item, dict) else None
        batches.append(_batch(item, i, grouped.get(number, []) if type(number) is int else []))
    numbers = {b.batch_no for b in batches}
    if len(numbers) != len(batches):
        raise _malformed("a batch is listed twice")
    strays = sorted(n for n in grouped if n is not None and n not in numbers)
    if strays:
        raise _malformed(f"receipts name batch {strays[0]}, which the log does not list")
    return SourceLog(source, log_key, tuple(batches), tuple(grouped.get(None, [])))


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
    batch_no: int | None
    """The anchored batch that proves it; None: not anchored yet (pending, unproven)."""
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
    """Her accesses, proven against their anchored batch, oldest first."""
    pending: tuple[AccessLogEntry, ...] = ()
    """Her receipts the source has not anchored yet: shown, not proven (no batch can prove
    them until the source anchors them; the next check does)."""


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
    pending = []
    for receipt in log.pending:
        if receipt.source != log.source:
            raise AccessLogUnanchored(f"a pending receipt names another source ({receipt.source})")
        pending.append(_entry(receipt, None, None, lookup))
    pending.sort(key=lambda e: (e.time, e.receipt_id))
    return VerifiedAccessLog(log.source, len(covered), tuple(entries), tuple(pending))


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
    receipt: AccessReceipt, batch_no: int | None, block: int | None, name: Callable[[str], str]
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


def anchored_batches(chain: LedgerChain, source: str) -> list[AnchoredBatch]:
    """The batches the chain lists for `source` (`ReceiptRegistry`), in order, each with the
    block it was anchored in (from the `ReceiptsAnchored` events). A batch number the registry
    counts but does not hold is left out, so `check_batch_sequence` names the gap."""
    registry = chain.receipts
    count = registry.batch_count(source)
    infos = registry.batches(source, list(range(1, count + 1))) if count else []
    blocks: dict[int, int] = {}
    if count:
        logs = chain.rpc.call(
            "eth_getLogs",
            [
                {
                    "address": registry.address,
                    "fromBlock": "0x0",
                    "toBlock": "latest",
                    "topics": [
                        "0x" + registry.abi.topic("ReceiptsAnchored").hex(),
                        "0x" + bytes(12).hex() + source[2:].lower(),
                    ],
                }
            ],
        )
        for entry in logs if isinstance(logs, list) else []:
            topics = entry.get("topics", []) if isinstance(entry, dict) else []
            if len(topics) >= 3:
                blocks.setdefault(int(topics[2], 16), int(entry["blockNumber"], 16))
    return [
        AnchoredBatch(info.batch_no, info.root, info.count, blocks.get(info.batch_no))
        for info in infos
        if info is not None
    ]


#: The data service's routes for the citizen's log (`ledger.service.citizen_routes`).
CHALLENGE_PATH = "/exchange/challenge"
RECEIPTS_PATH = "/exchange/receipts"


def fetch_source_log(
    url: str, holder_key: SigningKey, *, now: int, client: httpx.Client | None = None
) -> SourceLog:
    """Fetch her log from the source's data service at `url`: a one-use challenge, answered
    with her holder key (`ledger.exchange.citizen_auth.sign_log_request`), for her receipts and
    slot proofs. NOT verified: pass it to `verify_access_log`. `ExchangeDeliveryFailed` if the
    service cannot be reached or refuses; `AccessLogMalformed` if its answer is not a log, or
    the log is another source's than the one that issued the challenge."""
    from ledger.exchange.citizen_auth import sign_log_request
    from ledger.wallet.data_consents import call_source

    base = url.rstrip("/")
    challenge = call_source("GET", base + CHALLENGE_PATH, client=client)
    if (
        not isinstance(challenge, dict)
        or not isinstance(challenge.get("challenge"), str)
        or not isinstance(challenge.get("source"), str)
    ):
        raise _malformed(f"{base + CHALLENGE_PATH} did not answer with a challenge and source")
    try:
        source = checksum_address(challenge["source"])
    except Exception as exc:  # ReceiptInvalid
        raise _malformed("the challenge names no agency address as its source") from exc
    proof = sign_log_request(holder_key, challenge["challenge"], source=source, now=now)
    body = call_source(
        "GET",
        base + RECEIPTS_PATH,
        headers={"Authorization": "HolderProof " + proof},
        client=client,
        max_bytes=MAX_LOG_BYTES,
    )
    log = parse_source_log(orjson.dumps(body))
    if log.source != source:
        raise _malformed(f"the log is of {log.source}, not of the source {source} that was asked")
    return log
