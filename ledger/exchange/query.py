"""The signed query a requester sends a source: what it asks about whom, why, and proof it asks.

Guarantees:

- A query is signed with the requester's Ethereum agency account under EIP-712: domain
  ``{name: "ledger.exchange", version: "1", chainId, verifyingContract}``, so a signature made
  for one network or one deployment is worth nothing on another. The verifying contract is the
  deployment's ``DataServiceDirectory`` when it has one, else its ``VerifierRegistry``
  (`exchange_domain`).
- Every field is signed: the subject (her CPR number, which travels only in this body), the
  credential type, the claim paths, the purpose, the case reference, the requester, the source,
  a nonce of at least 128 bits, and the issue and expiry times. A query lives at most
  `MAX_LIFETIME` seconds; the source refuses a nonce it has seen (replay).
- `SignedQuery.parse` reads an HTTP body through the bounded parser (`ledger.untrusted_json`),
  within `MAX_QUERY_BYTES`, and refuses anything else with `QueryMalformed`, naming the member,
  never the subject's value.
- `SignedQuery.recover` returns the address that signed; whether that is the requester named is
  the source's first check (`ledger.exchange.source`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from ledger import untrusted_json
from ledger._rand import SYSTEM_RANDOM, RandomSource
from ledger.errors import (
    ConfigError,
    JsonRejected,
    QueryMalformed,
    QuerySignatureInvalid,
    ReceiptInvalid,
)
from ledger.exchange.receipts import (
    MAX_CASE_REF_CHARS,
    MAX_CLAIMS,
    MAX_PURPOSE_CHARS,
    MAX_VCT_CHARS,
    checksum_address,
)

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "MAX_LIFETIME",
    "MAX_QUERY_BYTES",
    "DataQuery",
    "QueryDomain",
    "SignedQuery",
    "exchange_domain",
]

DOMAIN_NAME = "ledger.exchange"
DOMAIN_VERSION = "1"
#: The longest a query may live (exp - iat), in seconds.
MAX_LIFETIME = 300
#: The largest query body a source reads.
MAX_QUERY_BYTES = 16 * 1024
_MAX_SUBJECT_CHARS = 64
_MAX_CLAIM_CHARS = 128
_NONCE = re.compile(r"[0-9a-f]{32,64}\Z")
_SIGNATURE = re.compile(r"0x[0-9a-f]{130}\Z")
_MAX_TIME = 2**53 - 1

_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Query": [
        {"name": "subject", "type": "string"},
        {"name": "vct", "type": "string"},
        {"name": "claims", "type": "string[]"},
        {"name": "purpose", "type": "string"},
        {"name": "caseRef", "type": "string"},
        {"name": "requester", "type": "address"},
        {"name": "source", "type": "address"},
        {"name": "nonce", "type": "string"},
        {"name": "iat", "type": "uint64"},
        {"name": "exp", "type": "uint64"},
    ],
}
_FIELDS = frozenset(
    {"subject", "vct", "claims", "purpose", "case_ref", "requester", "source", "nonce", "iat",
     "exp"}
)  # fmt: skip


@dataclass(frozen=True)
class QueryDomain:
    """The EIP-712 domain of queries on one deployment."""

    chain_id: int
    verifying_contract: str

    def to_json(self) -> dict[str, Any]:
        """The domain as EIP-712 typed data writes it."""
        return {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }


def exchange_domain(chain_id: int, addresses: dict[str, str] | Any) -> QueryDomain:
    """The query domain of a deployment (its chain id and contract addresses): the
    DataServiceDirectory when deployed, else the VerifierRegistry."""
    for name in ("DataServiceDirectory", "VerifierRegistry"):
        if name in addresses:
            return QueryDomain(chain_id, checksum_address(addresses[name]))
    raise ConfigError("the deployment has neither a DataServiceDirectory nor a VerifierRegistry")


def _text(name: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise QueryMalformed(f"{name} must be a non-empty string of at most {limit} characters")
    return value


def _time(name: str, value: object) -> int:
    if type(value) is not int or not 0 <= value <= _MAX_TIME:
        raise QueryMalformed(f"{name} must be whole Unix seconds")
    return value


def _claims(value: object) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not value or len(value) > MAX_CLAIMS:
        raise QueryMalformed(f"claims must be a list of 1 to {MAX_CLAIMS} claim paths")
    out = tuple(_text("claims[]", item, _MAX_CLAIM_CHARS) for item in value)
    if len(set(out)) != len(out):
        raise QueryMalformed("claims names a claim path twice")
    return tuple(sorted(out))


def _address(name: str, value: object) -> str:
    try:
        return checksum_address(_text(name, value, 42))
    except ReceiptInvalid:
        raise QueryMalformed(f"{name} must be a 20-byte hex address") from None


@dataclass(frozen=True)
class DataQuery:
    """What a requester asks a source, before or after signing. Built through the constructor,
    which validates and normalises (claims sorted, addresses checksummed)."""

    subject: str
    """The subject's CPR number. Never logged, never on chain, never in a message."""
    vct: str
    claims: tuple[str, ...]
    purpose: str
    case_ref: str
    requester: str
    source: str
    nonce: str
    """At least 128 random bits, lowercase hex."""
    iat: int
    exp: int

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        _text("subject", self.subject, _MAX_SUBJECT_CHARS)
        _text("vct", self.vct, MAX_VCT_CHARS)
        _text("purpose", self.purpose, MAX_PURPOSE_CHARS)
        _text("case_ref", self.case_ref, MAX_CASE_REF_CHARS)
        set_(self, "claims", _claims(self.claims))
        set_(self, "requester", _address("requester", self.requester))
        set_(self, "source", _address("source", self.source))
        if not isinstance(self.nonce, str) or not _NONCE.match(self.nonce):
            raise QueryMalformed("nonce must be 32 to 64 lowercase hex digits (>= 128 bits)")
        _time("iat", self.iat)
        _time("exp", self.exp)
        if not 0 < self.exp - self.iat <= MAX_LIFETIME:
            raise QueryMalformed(f"exp must be after iat, by at most {MAX_LIFETIME} seconds")

    def __repr__(self) -> str:  # the subject stays out of every repr, log line and traceback
        return (
            f"DataQuery(vct={self.vct!r}, claims={self.claims!r}, requester={self.requester}, "
            f"source={self.source}, case_ref={self.case_ref!r}, nonce={self.nonce})"
        )

    @classmethod
    def new(
        cls,
        *,
        subject: str,
        vct: str,
        claims: Iterable[str],
        purpose: str,
        case_ref: str,
        requester: str,
        source: str,
        now: float,
        lifetime: int = 60,
        rng: RandomSource = SYSTEM_RANDOM,
    ) -> DataQuery:
        """A fresh query: a 128-bit nonce from `rng`, issued at `now`, expiring `lifetime`
        seconds later."""
        iat = int(now)
        return cls(
            subject=subject,
            vct=vct,
            claims=tuple(claims),
            purpose=purpose,
            case_ref=case_ref,
            requester=requester,
            source=source,
            nonce=rng.token_bytes(16).hex(),
            iat=iat,
            exp=iat + lifetime,
        )

    def to_json(self) -> dict[str, Any]:
        """The query's members as the wire carries them."""
        return {
            "subject": self.subject,
            "vct": self.vct,
            "claims": list(self.claims),
            "purpose": self.purpose,
            "case_ref": self.case_ref,
            "requester": self.requester,
            "source": self.source,
            "nonce": self.nonce,
            "iat": self.iat,
            "exp": self.exp,
        }

    def typed_data(self, domain: QueryDomain) -> dict[str, Any]:
        """The EIP-712 typed data that is signed."""
        message = self.to_json()
        message["caseRef"] = message.pop("case_ref")
        return {
            "types": _TYPES,
            "primaryType": "Query",
            "domain": domain.to_json(),
            "message": message,
        }

    def sign(self, account: LocalAccount, domain: QueryDomain) -> SignedQuery:
        """Sign as `account`, which must be the requester (`ConfigError` otherwise)."""
        if account.address != self.requester:
            raise ConfigError("a query is signed by the requester it names")
        signed = account.sign_message(encode_typed_data(full_message=self.typed_data(domain)))
        return SignedQuery(self, "0x" + bytes(signed.signature).hex())


@dataclass(frozen=True)
class SignedQuery:
    """A query with the requester's EIP-712 signature (65 bytes, 0x-hex)."""

    query: DataQuery
    signature: str

    def to_json(self) -> dict[str, Any]:
        """``{"query": {...}, "signature": "0x..."}``."""
        return {"query": self.query.to_json(), "signature": self.signature}

    def encode(self) -> bytes:
        """The HTTP body."""
        return orjson.dumps(self.to_json())

    @classmethod
    def parse(cls, body: bytes | str) -> SignedQuery:
        """A query from an HTTP body; `QueryMalformed` for anything that is not one."""
        try:
            obj = untrusted_json.loads(body, max_bytes=MAX_QUERY_BYTES)
        except JsonRejected as exc:
            raise QueryMalformed(f"the query is not acceptable JSON: {exc}") from exc
        if not isinstance(obj, dict) or set(obj) != {"query", "signature"}:
            raise QueryMalformed('a signed query is an object {"query", "signature"}')
        raw, signature = obj["query"], obj["signature"]
        if not isinstance(signature, str) or not _SIGNATURE.match(signature):
            raise QueryMalformed("signature must be 65 bytes as 0x and lowercase hex")
        if not isinstance(raw, dict):
            raise QueryMalformed("query must be an object")
        missing, unknown = _FIELDS - set(raw), set(raw) - _FIELDS
        if missing or unknown:
            names = ", ".join(sorted(missing | unknown))
            raise QueryMalformed(f"query members missing or unknown: {names}")
        return cls(DataQuery(**raw), signature)

    def recover(self, domain: QueryDomain) -> str:
        """The address that signed this query under `domain`; `QuerySignatureInvalid` if the
        signature recovers none."""
        message = encode_typed_data(full_message=self.query.typed_data(domain))
        try:
            return str(Account.recover_message(message, signature=self.signature))
        except Exception as exc:  # eth-keys raises several classes for a bad signature
            raise QuerySignatureInvalid("the query's signature recovers no address") from exc
