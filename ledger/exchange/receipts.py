"""Access receipts: what a source records for every query it answers or refuses.

Guarantees:

- A receipt names no subject. Its body (what the requester and the citizen may see) holds the
  two agencies, the credential type, the claim paths, the purpose and its digest, the legal
  basis, the case reference, the time, the outcome, the digest of the answer and a salt. The
  subject is tied in only through the key of the receipt's slot in its batch's sparse Merkle
  tree (a per-batch pseudonym, `ledger.exchange.pseudonym`), which only the source and the
  subject can compute.
- One receipt has one encoding: canonical JSON (members sorted, no spaces, UTF-8 unescaped,
  hex in lowercase, addresses EIP-55 checksummed), and `decode` refuses any other spelling of
  the same values (`ReceiptNotCanonical`), so the leaf hash of what a citizen receives is the
  leaf the source committed to, or the receipt was changed.
- The leaf is SHA-256 over a domain tag and that encoding (`LEAF_TAG`), never the bare bytes.
- `receipt_id` and `salt` are 128 bits each from `secrets` (injectable `rng=` for tests): the
  leaf of a receipt cannot be confirmed by guessing its content.
- A refusal is a receipt too, with its stable reason code (`Outcome`) and 32 zero bytes as the
  answer digest; an answered receipt carries SHA-256 of the answer SD-JWT as sent.

`decode` reads through the bounded parser (`ledger.untrusted_json`): encoded receipts come from
the store and, on the citizen's side, from the source over HTTP.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

import orjson

from ledger import untrusted_json
from ledger._claim_paths import format_claim_path, parse_claim_path
from ledger._keccak import keccak256
from ledger._rand import SYSTEM_RANDOM, RandomSource
from ledger.errors import (
    ClaimPathInvalid,
    JsonRejected,
    ReceiptInvalid,
    ReceiptMalformed,
    ReceiptNotCanonical,
)

__all__ = [
    "LEAF_TAG",
    "MAX_CASE_REF_CHARS",
    "MAX_CLAIMS",
    "MAX_PURPOSE_CHARS",
    "MAX_RECEIPT_BYTES",
    "MAX_VCT_CHARS",
    "NO_ANSWER",
    "REFUSALS",
    "AccessReceipt",
    "LegalBasis",
    "Outcome",
    "answer_digest",
    "checksum_address",
    "purpose_digest",
]

#: Domain tag of a receipt's leaf hash: SHA-256(LEAF_TAG || canonical encoding).
LEAF_TAG = b"ledger.exchange.receipt.v1\x00"
#: The answer digest of a refused query.
NO_ANSWER = bytes(32)
#: Encoding version (the member "v").
VERSION = 1

MAX_VCT_CHARS = 256
MAX_PURPOSE_CHARS = 1024
MAX_CASE_REF_CHARS = 128
MAX_CLAIMS = 64
#: Far above the longest receipt the limits allow (~12 KB of text, 64 paths of <= 64 chars).
MAX_RECEIPT_BYTES = 32 * 1024
_MAX_CLAIM_PATH_CHARS = 128
_MAX_TIME = 2**53 - 1  # exact in every JSON reader


class LegalBasis(StrEnum):
    """The GDPR Art. 6(1) ground a requester's purpose rests on; the council sets it."""

    CONSENT = "consent"  # (a): the citizen must have granted consent
    LEGAL_OBLIGATION = "legal-obligation"  # (c): no consent, always logged
    PUBLIC_TASK = "public-task"  # (e): no consent, always logged


class Outcome(StrEnum):
    """What the source did with a query: answered it, or refused it for one stable reason.

    The refusal codes are stable (the data service's JSON error codes use them). A requester that
    is not authorised gets the same refusal on the wire whether or not the subject is in the
    register; the receipt, which only the source and the subject see with its key, may record
    the truth (`UNKNOWN_SUBJECT`).
    """

    ANSWERED = "answered"
    NOT_REGISTERED = "not-registered"
    OVER_ASKING = "over-asking"
    WRONG_PURPOSE = "wrong-purpose"
    REQUESTER_SUSPENDED = "requester-suspended"
    EXPIRED_QUERY = "expired-query"
    REPLAYED_QUERY = "replayed-query"
    BAD_SIGNATURE = "bad-signature"
    NO_CONSENT = "no-consent"
    CONSENT_WITHDRAWN = "consent-withdrawn"
    UNKNOWN_SUBJECT = "unknown-subject"
    MALFORMED = "malformed"

    @property
    def refused(self) -> bool:
        """Whether this outcome is a refusal."""
        return self is not Outcome.ANSWERED


#: Every refusal code.
REFUSALS = frozenset(o for o in Outcome if o.refused)

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}\Z")
_HEX = re.compile(r"[0-9a-f]*\Z")
_FIELDS = frozenset(
    {
        "answer_digest", "case_ref", "claims", "legal_basis", "outcome", "purpose",
        "purpose_digest", "receipt_id", "requester", "salt", "source", "time", "v", "vct",
    }
)  # fmt: skip


@lru_cache(maxsize=4096)  # few agencies, many receipts
def checksum_address(address: str) -> str:
    """The EIP-55 checksummed form of a 20-byte hex address; `ReceiptInvalid` if it is not one
    (a mixed-case address must already carry the right checksum)."""
    if not isinstance(address, str) or not _ADDRESS.match(address):
        raise ReceiptInvalid("an agency address must be 0x and 40 hex digits")
    lower = address[2:].lower()
    digest = keccak256(lower.encode("ascii")).hex()
    out = "0x" + "".join(
        c.upper() if int(h, 16) >= 8 else c for c, h in zip(lower, digest[:40], strict=True)
    )
    if address[2:] not in (lower, lower.upper()) and address != out:
        raise ReceiptInvalid("an agency address has a wrong EIP-55 checksum")
    return out


def purpose_digest(purpose: str) -> bytes:
    """keccak256 of the UTF-8 purpose text: the key of the requester's on-chain registration
    (the same as `ledger.agency.request.purpose_digest`)."""
    return keccak256(purpose.encode("utf-8"))


def answer_digest(answer: str | bytes) -> bytes:
    """SHA-256 of the answer SD-JWT as sent (its compact serialisation, ASCII)."""
    return hashlib.sha256(answer.encode("ascii") if isinstance(answer, str) else answer).digest()


def _text(name: str, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise ReceiptInvalid(f"{name} must be text")
    if len(value) > limit:
        raise ReceiptInvalid(f"{name} is {len(value):,} characters, over the limit of {limit:,}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ReceiptInvalid(f"{name} holds a lone surrogate, not Unicode text") from None
    return value


def _bytes(name: str, value: object, size: int) -> bytes:
    if not isinstance(value, bytes) or len(value) != size:
        raise ReceiptInvalid(f"{name} must be {size} bytes")
    return value


@lru_cache(maxsize=4096)  # a type has a few dozen claim paths
def _claim_path(path: str) -> str:
    try:
        return format_claim_path(parse_claim_path(path))
    except ClaimPathInvalid as exc:
        raise ReceiptInvalid(str(exc)) from None


def _claims(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ReceiptInvalid("claims must be a collection of claim paths")
    paths = list(value)
    if len(paths) > MAX_CLAIMS:
        raise ReceiptInvalid(f"{len(paths)} claim paths, over the limit of {MAX_CLAIMS}")
    out: set[str] = set()
    for path in paths:
        if not isinstance(path, str) or len(path) > _MAX_CLAIM_PATH_CHARS:
            raise ReceiptInvalid(f"a claim path is text of at most {_MAX_CLAIM_PATH_CHARS} chars")
        canonical = _claim_path(path)
        if canonical in out:
            raise ReceiptInvalid(f"the claim path {canonical!r} is named twice")
        out.add(canonical)
    return tuple(sorted(out))


@dataclass(frozen=True)
class AccessReceipt:
    """One answered or refused query, as the source keeps it and anchors its leaf.

    Build a new one with `AccessReceipt.new`; the constructor validates and normalises
    (claim paths sorted, addresses checksummed) and computes `purpose_digest`.
    """

    receipt_id: bytes
    """16 random bytes; the requester receives it with the answer (or the refusal)."""
    source: str
    """The source agency's address (EIP-55)."""
    requester: str
    """The requesting agency's address (EIP-55)."""
    vct: str
    """The credential type asked for."""
    claims: tuple[str, ...]
    """The claim paths asked for, sorted and unique (empty if the query was unreadable)."""
    purpose: str
    """The purpose text as the requester is registered for it."""
    legal_basis: LegalBasis
    case_ref: str
    """The requester's case reference."""
    time: int
    """When the source decided, in Unix seconds."""
    outcome: Outcome
    answer_digest: bytes
    """SHA-256 of the answer SD-JWT; `NO_ANSWER` (32 zero bytes) for a refusal."""
    salt: bytes
    """16 random bytes: the leaf cannot be confirmed by guessing the rest."""
    purpose_digest: bytes = field(init=False)
    """keccak256 of `purpose` (the on-chain registration key), computed."""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        _bytes("receipt_id", self.receipt_id, 16)
        _bytes("salt", self.salt, 16)
        _bytes("answer_digest", self.answer_digest, 32)
        set_(self, "source", checksum_address(self.source))
        set_(self, "requester", checksum_address(self.requester))
        _text("vct", self.vct, MAX_VCT_CHARS)
        purpose = _text("purpose", self.purpose, MAX_PURPOSE_CHARS)
        _text("case_ref", self.case_ref, MAX_CASE_REF_CHARS)
        set_(self, "claims", _claims(self.claims))
        try:
            set_(self, "legal_basis", LegalBasis(self.legal_basis))
            set_(self, "outcome", Outcome(self.outcome))
        except ValueError as exc:
            raise ReceiptInvalid(str(exc)) from None
        if type(self.time) is not int or not 0 <= self.time <= _MAX_TIME:
            raise ReceiptInvalid(f"time must be whole seconds in 0..{_MAX_TIME}")
        if self.outcome.refused != (self.answer_digest == NO_ANSWER):
            raise ReceiptInvalid(
                "a refused query has 32 zero bytes as its answer digest, an answered one the "
                "digest of its answer"
            )
        set_(self, "purpose_digest", purpose_digest(purpose))

    @classmethod
    def new(
        cls,
        *,
        source: str,
        requester: str,
        vct: str,
        claims: Iterable[str],
        purpose: str,
        legal_basis: LegalBasis | str,
        case_ref: str,
        outcome: Outcome | str,
        answer: str | bytes | None = None,
        now: float,
        rng: RandomSource = SYSTEM_RANDOM,
    ) -> AccessReceipt:
        """A fresh receipt: random id and salt from `rng`, the time `now` (whole seconds), the
        answer digest of `answer` (the SD-JWT sent), which must be given exactly when `outcome`
        is `ANSWERED`."""
        try:
            outcome = Outcome(outcome)
        except ValueError as exc:
            raise ReceiptInvalid(str(exc)) from None
        if (answer is None) != outcome.refused:
            raise ReceiptInvalid("an answered query needs its answer, a refused one has none")
        return cls(
            receipt_id=rng.token_bytes(16),
            source=source,
            requester=requester,
            vct=vct,
            # A bare string is refused by the check, not split into letters here.
            claims=claims if isinstance(claims, str) else tuple(claims),  # type: ignore[arg-type]
            purpose=purpose,
            legal_basis=legal_basis,  # type: ignore[arg-type]  # validated in __post_init__
            case_ref=case_ref,
            time=int(now),
            outcome=outcome,
            answer_digest=NO_ANSWER if answer is None else answer_digest(answer),
            salt=rng.token_bytes(16),
        )

    # -- encoding --------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The receipt as a JSON object (what `encode` writes, before sorting)."""
        return {
            "v": VERSION,
            "receipt_id": self.receipt_id.hex(),
            "source": self.source,
            "requester": self.requester,
            "vct": self.vct,
            "claims": list(self.claims),
            "purpose": self.purpose,
            "purpose_digest": self.purpose_digest.hex(),
            "legal_basis": self.legal_basis.value,
            "case_ref": self.case_ref,
            "time": self.time,
            "outcome": self.outcome.value,
            "answer_digest": self.answer_digest.hex(),
            "salt": self.salt.hex(),
        }

    def encode(self) -> bytes:
        """The canonical encoding: compact JSON, members sorted, UTF-8 unescaped."""
        return orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS)

    @property
    def leaf(self) -> bytes:
        """SHA-256(LEAF_TAG || encoding): what the batch commits to."""
        return hashlib.sha256(LEAF_TAG + self.encode()).digest()

    @classmethod
    def decode(cls, data: bytes | str) -> AccessReceipt:
        """Read a canonical encoding from outside.

        Raises `ReceiptMalformed` (not JSON within the limits, the wrong members or types, a
        value refused), or `ReceiptNotCanonical` (valid, but not the canonical bytes).
        """
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
        try:
            obj = untrusted_json.loads(raw, max_bytes=MAX_RECEIPT_BYTES)
        except JsonRejected as exc:
            raise ReceiptMalformed(f"not a receipt: {exc}") from exc
        receipt = cls.from_json(obj)
        if receipt.encode() != raw:
            raise ReceiptNotCanonical("the receipt is not in its canonical encoding")
        return receipt

    @classmethod
    def from_json(cls, obj: object) -> AccessReceipt:
        """Build from a parsed JSON object; `ReceiptMalformed` for anything but a receipt. Does
        not check the spelling (see `decode`)."""
        if not isinstance(obj, dict):
            raise ReceiptMalformed("a receipt is a JSON object")
        names = set(obj)
        if names != _FIELDS:
            missing, unknown = sorted(_FIELDS - names), sorted(names - _FIELDS)
            raise ReceiptMalformed(
                f"a receipt's members: missing {missing or 'none'}, unknown {unknown or 'none'}"
            )
        if obj["v"] != VERSION or type(obj["v"]) is not int:
            raise ReceiptMalformed(f"unknown receipt version {obj['v']!r}")
        for name in ("receipt_id", "salt", "answer_digest", "purpose_digest"):
            if not isinstance(obj[name], str) or not _HEX.match(obj[name]):
                raise ReceiptMalformed(f"{name} must be lowercase hex")
        claims = obj["claims"]
        if not isinstance(claims, list) or not all(isinstance(c, str) for c in claims):
            raise ReceiptMalformed("claims must be an array of claim paths")
        for name in ("legal_basis", "outcome"):
            if not isinstance(obj[name], str):
                raise ReceiptMalformed(f"{name} must be text")
        try:
            receipt = cls(
                receipt_id=bytes.fromhex(obj["receipt_id"]),
                source=obj["source"],
                requester=obj["requester"],
                vct=obj["vct"],
                claims=tuple(claims),
                purpose=obj["purpose"],
                legal_basis=obj["legal_basis"],
                case_ref=obj["case_ref"],
                time=obj["time"],
                outcome=obj["outcome"],
                answer_digest=bytes.fromhex(obj["answer_digest"]),
                salt=bytes.fromhex(obj["salt"]),
            )
        except ReceiptInvalid as exc:
            raise ReceiptMalformed(str(exc)) from exc
        except ValueError:  # odd number of hex digits
            raise ReceiptMalformed("a hex member has an odd number of digits") from None
        if receipt.purpose_digest.hex() != obj["purpose_digest"]:
            raise ReceiptMalformed("purpose_digest is not the digest of the purpose")
        return receipt
