"""Signed presentation requests (OpenID4VP 1.0 DCQL shape, exchanged as a JSON file).

A verifier agency asks a citizen's wallet for named claims of one credential type, for a stated
purpose. The request is signed with the verifier's Ethereum account under EIP-712, with the
VerifierRegistry as verifying contract, so the wallet can recover who asks and then check on
chain that this account is registered for these claims and this purpose (the on-chain check is
the integration layer's job, not this module's).

Document shape (all keys required, no others accepted)::

    {
      "response_type": "vp_token",
      "client_id": "<audience>",              # default "ethereum:<verifier>@<chainId>"
      "nonce": "<base64url, >= 128 bits>",
      "dcql_query": {"credentials": [{"id": "credential", "format": "dc+sd-jwt",
                      "meta": {"vct_values": ["<vct>"]},
                      "claims": [{"path": ["age_over_18"]}, {"path": ["address", "locality"]}]}]},
      "purpose": "<human text>", "purpose_digest": "0x<keccak256(utf-8 purpose)>",
      "verifier": "0x<address>", "type_id": <uint32>, "created_at": <s>, "expires_at": <s>,
      "chain_id": <int>, "registry": "0x<VerifierRegistry>", "signature": "0x<65 bytes>"
    }

EIP-712: domain ``{name: "IdentityLedger", version: "1", chainId, verifyingContract: registry}``,
primary type ``PresentationRequest(address verifier,uint32 typeId,bytes32 vctHash,
bytes32 claimsDigest,bytes32 purposeDigest,string nonce,string audience,uint64 createdAt,
uint64 expiresAt)`` where ``vctHash = keccak256(utf-8 vct)`` and ``claimsDigest`` is
`claims_digest` (keccak256 of the sorted claim path strings as a compact JSON array).

Why one module of some 500 lines: it is one document format, and its two directions (create and
sign; parse, check every field and recover the signer) must change together with the shape above.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address

from ledger import untrusted_json
from ledger._b64 import b64d, b64e
from ledger._claim_paths import ClaimPath, format_claim_path, parse_claim_path, path_from_json
from ledger._keccak import keccak256
from ledger._rand import Rng
from ledger.errors import (
    ClaimPathInvalid,
    JsonRejected,
    RequestChainMismatch,
    RequestExpired,
    RequestMalformed,
    RequestSignatureInvalid,
)

EIP712_NAME = "IdentityLedger"
EIP712_VERSION = "1"
SD_JWT_VC_FORMAT = "dc+sd-jwt"
NONCE_BYTES = 32
MIN_NONCE_BYTES = 16
MAX_TTL = 24 * 3600
DEFAULT_SKEW = 60
_UINT32 = 2**32
_UINT64 = 2**64

REQUEST_TYPES: dict[str, list[dict[str, str]]] = {
    "PresentationRequest": [
        {"name": "verifier", "type": "address"},
        {"name": "typeId", "type": "uint32"},
        {"name": "vctHash", "type": "bytes32"},
        {"name": "claimsDigest", "type": "bytes32"},
        {"name": "purposeDigest", "type": "bytes32"},
        {"name": "nonce", "type": "string"},
        {"name": "audience", "type": "string"},
        {"name": "createdAt", "type": "uint64"},
        {"name": "expiresAt", "type": "uint64"},
    ]
}
_KEYS = frozenset(
    {
        "response_type",
        "client_id",
        "nonce",
        "dcql_query",
        "purpose",
        "purpose_digest",
        "verifier",
        "type_id",
        "created_at",
        "expires_at",
        "chain_id",
        "registry",
        "signature",
    }
)


def purpose_digest(purpose: str) -> bytes:
    """keccak256 of the UTF-8 purpose text: the key of a verifier's on-chain registration."""
    return keccak256(purpose.encode("utf-8"))


def claims_digest(claims: Sequence[ClaimPath]) -> bytes:
    """keccak256 of the sorted claim path strings as a compact JSON array (order-independent)."""
    names = sorted(format_claim_path(p) for p in claims)
    return keccak256(json.dumps(names, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def default_audience(verifier: str, chain_id: int) -> str:
    """The default ``client_id``: ``ethereum:<checksummed verifier>@<chainId>``."""
    return f"ethereum:{to_checksum_address(verifier)}@{chain_id}"


@dataclass(frozen=True)
class _RequestTerms:
    """What a request asks, of whom and for how long: the fields a `PresentationRequest` carries
    and a `VerifiedRequest` confirms, in the order both constructors take them."""

    verifier: str
    type_id: int
    vct: str
    claims: tuple[ClaimPath, ...]
    purpose: str
    purpose_digest: bytes
    nonce: str
    audience: str
    created_at: int
    expires_at: int
    chain_id: int
    registry: str


@dataclass(frozen=True)
class PresentationRequest(_RequestTerms):
    """A presentation request as written to / read from a file. Unverified until
    `verify_request_signature` says otherwise."""

    signature: bytes
    credential_query_id: str = "credential"

    @property
    def client_id(self) -> str:
        """OpenID4VP name of the audience."""
        return self.audience

    @property
    def claim_paths(self) -> tuple[str, ...]:
        """The requested claims as path strings (``address.locality``)."""
        return tuple(format_claim_path(p) for p in self.claims)

    def typed_data(self) -> dict[str, Any]:
        """The EIP-712 message (``full_message`` form) the verifier signs."""
        return _typed_data(
            verifier=self.verifier,
            type_id=self.type_id,
            vct=self.vct,
            claims=self.claims,
            purpose_digest=self.purpose_digest,
            nonce=self.nonce,
            audience=self.audience,
            created_at=self.created_at,
            expires_at=self.expires_at,
            chain_id=self.chain_id,
            registry=self.registry,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document as a dict."""
        return {
            "response_type": "vp_token",
            "client_id": self.audience,
            "nonce": self.nonce,
            "dcql_query": {
                "credentials": [
                    {
                        "id": self.credential_query_id,
                        "format": SD_JWT_VC_FORMAT,
                        "meta": {"vct_values": [self.vct]},
                        "claims": [{"path": list(p)} for p in self.claims],
                    }
                ]
            },
            "purpose": self.purpose,
            "purpose_digest": "0x" + self.purpose_digest.hex(),
            "verifier": self.verifier,
            "type_id": self.type_id,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "chain_id": self.chain_id,
            "registry": self.registry,
            "signature": "0x" + self.signature.hex(),
        }

    def to_json(self) -> str:
        """The request document as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> PresentationRequest:
        """Parse a request document strictly; raise `RequestMalformed` saying what is wrong.

        The signature is not checked here: call `verify_request_signature`.
        """
        try:
            doc = untrusted_json.loads(text)
        except JsonRejected as exc:
            raise RequestMalformed(f"request is not JSON: {exc}") from exc
        return cls.from_dict(doc)

    @classmethod
    def from_dict(cls, doc: object) -> PresentationRequest:
        """Parse the document dict strictly (see `from_json`)."""
        if not isinstance(doc, dict):
            raise RequestMalformed("request must be a JSON object")
        missing = sorted(_KEYS - doc.keys())
        extra = sorted(doc.keys() - _KEYS)
        if missing:
            raise RequestMalformed(f"request lacks {', '.join(missing)}")
        if extra:
            raise RequestMalformed(f"request has unknown members {', '.join(extra)}")
        if doc["response_type"] != "vp_token":
            raise RequestMalformed("response_type must be 'vp_token'")
        query_id, vct, claims = _parse_dcql(doc["dcql_query"])
        return cls(
            verifier=_address(doc, "verifier"),
            type_id=_int(doc, "type_id", _UINT32, minimum=1),
            vct=vct,
            claims=claims,
            purpose=_str(doc, "purpose"),
            purpose_digest=_hex(doc, "purpose_digest", 32),
            nonce=_str(doc, "nonce"),
            audience=_str(doc, "client_id"),
            created_at=_int(doc, "created_at", _UINT64),
            expires_at=_int(doc, "expires_at", _UINT64),
            chain_id=_int(doc, "chain_id", _UINT64, minimum=1),
            registry=_address(doc, "registry"),
            signature=_hex(doc, "signature", 65),
            credential_query_id=query_id,
        )


@dataclass(frozen=True)
class VerifiedRequest(_RequestTerms):
    """A request whose structure, expiry, chain and signature were checked."""

    request: PresentationRequest

    @property
    def claim_paths(self) -> tuple[str, ...]:
        """The requested claims as path strings."""
        return self.request.claim_paths


def create_request(
    *,
    verifier_account: LocalAccount,
    vct: str,
    type_id: int,
    claims: Sequence[str],
    purpose: str,
    audience: str | None,
    chain_id: int,
    registry: str,
    ttl: int = 600,
    nonce: str | None = None,
    now: int | None = None,
    rng: Rng | None = None,
) -> PresentationRequest:
    """Build and sign a presentation request.

    ``claims`` are claim path strings (``"address.locality"``, ``"nationalities[1]"``).
    ``nonce`` may come from a `NonceStore`; otherwise 256 random bits are drawn from ``rng``
    (``secrets.token_bytes`` by default). Raises `RequestMalformed` on bad input.
    """
    if not 0 < ttl <= MAX_TTL:
        raise RequestMalformed(f"ttl must be in 1..{MAX_TTL} seconds, got {ttl}")
    if not vct or not purpose:
        raise RequestMalformed("vct and purpose must be non-empty")
    if not 0 < type_id < _UINT32:
        raise RequestMalformed(f"type_id must be a uint32 > 0, got {type_id}")
    if not is_address(registry):
        raise RequestMalformed(f"registry {registry!r} is not an address")
    try:
        paths = tuple(parse_claim_path(c) for c in claims)
    except ClaimPathInvalid as exc:
        raise RequestMalformed(str(exc)) from exc
    _check_claims(paths)
    created = int(time.time()) if now is None else now
    verifier = to_checksum_address(verifier_account.address)
    if nonce is None:
        nonce = b64e((rng or secrets.token_bytes)(NONCE_BYTES))
    _check_nonce(nonce)
    fields: dict[str, Any] = {
        "verifier": verifier,
        "type_id": type_id,
        "vct": vct,
        "claims": paths,
        "purpose_digest": purpose_digest(purpose),
        "nonce": nonce,
        "audience": audience if audience is not None else default_audience(verifier, chain_id),
        "created_at": created,
        "expires_at": created + ttl,
        "chain_id": chain_id,
        "registry": to_checksum_address(registry),
    }
    signed = verifier_account.sign_message(encode_typed_data(full_message=_typed_data(**fields)))
    return PresentationRequest(purpose=purpose, signature=bytes(signed.signature), **fields)


def utc_time(seconds: int) -> str:
    """Unix seconds as people read them in messages: `2026-12-02 00:14:05 UTC`."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def verify_request_signature(
    req: PresentationRequest,
    *,
    chain_id: int | None = None,
    registry: str | None = None,
    now: int | None = None,
    skew: int = DEFAULT_SKEW,
) -> VerifiedRequest:
    """Check a request's consistency, chain, validity window and EIP-712 signature.

    ``chain_id`` / ``registry``, when given, must match the request (`RequestChainMismatch`).
    Raises `RequestMalformed`, `RequestExpired` or `RequestSignatureInvalid`. Whether the
    verifier is registered on chain for these claims and purpose is *not* checked here.
    """
    if purpose_digest(req.purpose) != req.purpose_digest:
        raise RequestMalformed("purpose_digest is not keccak256 of the purpose text")
    _check_nonce(req.nonce)
    _check_claims(req.claims)
    if not req.audience:
        raise RequestMalformed("client_id (audience) is empty")
    if not req.created_at < req.expires_at <= req.created_at + MAX_TTL:
        raise RequestMalformed("expires_at must be after created_at and within 24 hours of it")
    if chain_id is not None and chain_id != req.chain_id:
        raise RequestChainMismatch(f"request is for chain {req.chain_id}, expected {chain_id}")
    if registry is not None and (
        not is_address(registry)
        or to_checksum_address(registry) != to_checksum_address(req.registry)
    ):
        raise RequestChainMismatch(
            f"request names VerifierRegistry {req.registry}, expected {registry}"
        )
    t = int(time.time()) if now is None else now
    if t >= req.expires_at:
        raise RequestExpired(f"request expired at {utc_time(req.expires_at)} (now {utc_time(t)})")
    if t + skew < req.created_at:
        raise RequestExpired(
            f"request is dated in the future ({utc_time(req.created_at)}, now {utc_time(t)})"
        )
    try:
        signer = Account.recover_message(
            encode_typed_data(full_message=req.typed_data()), signature=req.signature
        )
    except Exception as exc:  # eth-keys raises several unrelated types on bad signatures
        raise RequestSignatureInvalid(f"signature does not recover: {exc}") from exc
    if to_checksum_address(signer) != to_checksum_address(req.verifier):
        raise RequestSignatureInvalid(f"request signed by {signer}, not by verifier {req.verifier}")
    return VerifiedRequest(
        verifier=to_checksum_address(req.verifier),
        type_id=req.type_id,
        vct=req.vct,
        claims=req.claims,
        purpose=req.purpose,
        purpose_digest=req.purpose_digest,
        nonce=req.nonce,
        audience=req.audience,
        created_at=req.created_at,
        expires_at=req.expires_at,
        chain_id=req.chain_id,
        registry=to_checksum_address(req.registry),
        request=req,
    )


# --- internals --------------------------------------------------------------------------------


def _typed_data(
    *,
    verifier: str,
    type_id: int,
    vct: str,
    claims: Sequence[ClaimPath],
    purpose_digest: bytes,
    nonce: str,
    audience: str,
    created_at: int,
    expires_at: int,
    chain_id: int,
    registry: str,
) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **REQUEST_TYPES,
        },
        "primaryType": "PresentationRequest",
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(registry),
        },
        "message": {
            "verifier": to_checksum_address(verifier),
            "typeId": type_id,
            "vctHash": keccak256(vct.encode("utf-8")),
            "claimsDigest": claims_digest(claims),
            "purposeDigest": purpose_digest,
            "nonce": nonce,
            "audience": audience,
            "createdAt": created_at,
            "expiresAt": expires_at,
        },
    }


def _nonce_bytes(nonce: str) -> bytes:
    try:
        return b64d(nonce, RequestMalformed)
    except RequestMalformed as exc:
        raise RequestMalformed("nonce is not unpadded base64url") from exc


def _check_nonce(nonce: str) -> None:
    if len(_nonce_bytes(nonce)) < MIN_NONCE_BYTES:
        raise RequestMalformed(f"nonce carries fewer than {MIN_NONCE_BYTES * 8} bits")


def _check_claims(paths: Sequence[ClaimPath]) -> None:
    if not paths:
        raise RequestMalformed("a request must ask for at least one claim")
    names = [format_claim_path(p) for p in paths]
    if len(set(names)) != len(names):
        raise RequestMalformed("a claim is requested twice")


def _parse_dcql(query: object) -> tuple[str, str, tuple[ClaimPath, ...]]:
    if not isinstance(query, dict) or set(query) != {"credentials"}:
        raise RequestMalformed("dcql_query must be an object with exactly 'credentials'")
    creds = query["credentials"]
    if not isinstance(creds, list) or len(creds) != 1 or not isinstance(creds[0], dict):
        raise RequestMalformed("dcql_query.credentials must hold exactly one credential query")
    cq = creds[0]
    if set(cq) != {"id", "format", "meta", "claims"}:
        raise RequestMalformed("credential query must have exactly id, format, meta, claims")
    if not isinstance(cq["id"], str) or not cq["id"]:
        raise RequestMalformed("credential query id must be a non-empty string")
    if cq["format"] != SD_JWT_VC_FORMAT:
        raise RequestMalformed(f"credential query format must be {SD_JWT_VC_FORMAT!r}")
    meta = cq["meta"]
    if (
        not isinstance(meta, dict)
        or set(meta) != {"vct_values"}
        or not isinstance(meta["vct_values"], list)
        or len(meta["vct_values"]) != 1
        or not isinstance(meta["vct_values"][0], str)
        or not meta["vct_values"][0]
    ):
        raise RequestMalformed("meta must be {'vct_values': [<one vct>]}")
    claims = cq["claims"]
    if not isinstance(claims, list) or not claims:
        raise RequestMalformed("claims must be a non-empty array")
    paths: list[ClaimPath] = []
    for c in claims:
        if not isinstance(c, dict) or set(c) != {"path"}:
            raise RequestMalformed("each claim query must be exactly {'path': [...]}")
        try:
            paths.append(path_from_json(c["path"]))
        except ClaimPathInvalid as exc:
            raise RequestMalformed(str(exc)) from exc
    return cq["id"], meta["vct_values"][0], tuple(paths)


def _str(doc: dict[str, Any], key: str) -> str:
    value = doc[key]
    if not isinstance(value, str) or not value:
        raise RequestMalformed(f"{key} must be a non-empty string")
    return value


def _int(doc: dict[str, Any], key: str, bound: int, *, minimum: int = 0) -> int:
    value = doc[key]
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value < bound:
        raise RequestMalformed(f"{key} must be an integer in [{minimum}, {bound})")
    return value


def _hex(doc: dict[str, Any], key: str, size: int) -> bytes:
    value = doc[key]
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 2 + 2 * size:
        raise RequestMalformed(f"{key} must be 0x-prefixed hex of {size} bytes")
    try:
        return bytes.fromhex(value[2:])
    except ValueError as exc:
        raise RequestMalformed(f"{key} is not hex") from exc


def _address(doc: dict[str, Any], key: str) -> str:
    value = doc[key]
    if not isinstance(value, str) or not is_address(value):
        raise RequestMalformed(f"{key} must be an Ethereum address")
    return to_checksum_address(value)
