"""File formats exchanged between issuer, wallet and verifier, and the identifiers inside them.

- A *credential package* is what an issuer hands a holder: the SD-JWT VC plus what the holder needs
  to prove its anchor (for a batch: the Merkle root and the inclusion proof).
- A *presentation package* is what a wallet hands a verifier: the presentation (SD-JWT with the
  chosen disclosures and a KB-JWT) plus the same anchor proof.
- The issuer of a credential is named by a `did:pkh` identifier of its agency account
  (`did:pkh:eip155:<chainId>:<address>`), and its status list by an `ethereum:` URI of the
  status registry (see docs/architecture.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ledger import untrusted_json
from ledger.errors import InputError, JsonRejected

CREDENTIAL_FORMAT = "ledger-credential/v1"
PRESENTATION_FORMAT = "ledger-presentation/v1"

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_DID_PKH = re.compile(r"^did:pkh:eip155:(\d+):(0x[0-9a-fA-F]{40})$")
_STATUS_URI = re.compile(
    r"^ethereum:(0x[0-9a-fA-F]{40})@(\d+)/statusList\?agency=(0x[0-9a-fA-F]{40})&list=(\d+)$"
)


def issuer_did(chain_id: int, agency: str) -> str:
    """The `iss` of credentials issued by `agency`: `did:pkh:eip155:<chainId>:<address>`."""
    if not _ADDRESS.match(agency):
        raise InputError(f"not an Ethereum address: {agency!r}")
    return f"did:pkh:eip155:{chain_id}:{agency}"


def parse_issuer_did(iss: str) -> tuple[int, str]:
    """(chain id, agency address) from a `did:pkh:eip155` issuer identifier."""
    m = _DID_PKH.match(iss)
    if not m:
        raise InputError(f"issuer is not a did:pkh:eip155 identifier: {iss!r}")
    return int(m.group(1)), m.group(2)


def status_uri(registry: str, chain_id: int, agency: str, list_id: int) -> str:
    """The `status.status_list.uri` of a credential whose status lives on chain."""
    return f"ethereum:{registry}@{chain_id}/statusList?agency={agency}&list={list_id}"


@dataclass(frozen=True)
class StatusListRef:
    """Where a credential's status bits live: registry, chain, owning agency and list id."""

    registry: str
    chain_id: int
    agency: str
    list_id: int


def parse_status_uri(uri: str) -> StatusListRef:
    """Parse a status URI made by `status_uri`; anything else is an `InputError`."""
    m = _STATUS_URI.match(uri)
    if not m:
        raise InputError(f"not a ledger status list URI: {uri!r}")
    return StatusListRef(m.group(1), int(m.group(2)), m.group(3), int(m.group(4)))


@dataclass(frozen=True)
class AnchorEvidence:
    """How to find a credential's anchor: by digest alone, or as a leaf under a batch root."""

    root: bytes | None = None
    proof: tuple[bytes, ...] = ()
    leaf_index: int | None = None

    @property
    def is_batch(self) -> bool:
        return self.root is not None

    def to_dict(self) -> dict[str, Any]:
        if self.root is None:
            return {"kind": "single"}
        return {
            "kind": "batch",
            "root": "0x" + self.root.hex(),
            "proof": ["0x" + p.hex() for p in self.proof],
            "leaf_index": self.leaf_index,
        }

    @classmethod
    def from_dict(cls, doc: Any) -> AnchorEvidence:
        if not isinstance(doc, dict) or doc.get("kind") not in {"single", "batch"}:
            raise InputError("anchor: expected an object with kind 'single' or 'batch'")
        if doc["kind"] == "single":
            return cls()
        try:
            root = _bytes32(doc["root"])
            proof = tuple(_bytes32(p) for p in doc["proof"])
            index = doc.get("leaf_index")
        except (KeyError, TypeError) as exc:
            raise InputError(f"anchor: missing or malformed field ({exc})") from exc
        if index is not None and not isinstance(index, int):
            raise InputError("anchor: leaf_index must be an integer")
        return cls(root=root, proof=proof, leaf_index=index)


def _bytes32(value: Any) -> bytes:
    if not isinstance(value, str) or not re.fullmatch(r"0x[0-9a-fA-F]{64}", value):
        raise InputError(f"expected a 0x-prefixed 32-byte hex string, got {value!r}")
    return bytes.fromhex(value[2:])


def _load(text: str, fmt: str) -> dict[str, Any]:
    try:
        doc = untrusted_json.loads(text)
    except JsonRejected as exc:
        raise type(exc)(f"not a JSON document ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise InputError(f"not a {fmt} document")
    return doc


def _dump(fmt: str, **members: Any) -> str:
    return json.dumps({"format": fmt, **members}, indent=2, sort_keys=True)


@dataclass(frozen=True)
class CredentialPackage:
    """An issued credential as handed to its holder."""

    sd_jwt: str
    anchor: AnchorEvidence
    type_id: int
    chain_id: int
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return _dump(
            CREDENTIAL_FORMAT,
            sd_jwt=self.sd_jwt,
            anchor=self.anchor.to_dict(),
            type_id=self.type_id,
            chain_id=self.chain_id,
            metadata=self.metadata,
        )

    @classmethod
    def from_json(cls, text: str) -> CredentialPackage:
        doc = _load(text, CREDENTIAL_FORMAT)
        sd_jwt, type_id, chain_id = doc.get("sd_jwt"), doc.get("type_id"), doc.get("chain_id")
        if not isinstance(sd_jwt, str) or not isinstance(type_id, int):
            raise InputError("credential: sd_jwt (string) and type_id (integer) are required")
        if not isinstance(chain_id, int):
            raise InputError("credential: chain_id (integer) is required")
        metadata = doc.get("metadata", {})
        if not isinstance(metadata, dict):
            raise InputError("credential: metadata must be an object")
        return cls(sd_jwt, AnchorEvidence.from_dict(doc.get("anchor")), type_id, chain_id, metadata)


@dataclass(frozen=True)
class PresentationPackage:
    """A presentation as handed to a verifier: SD-JWT + disclosures + KB-JWT, and the anchor."""

    presentation: str
    anchor: AnchorEvidence
    type_id: int

    def to_json(self) -> str:
        return _dump(
            PRESENTATION_FORMAT,
            presentation=self.presentation,
            anchor=self.anchor.to_dict(),
            type_id=self.type_id,
        )

    @classmethod
    def from_json(cls, text: str) -> PresentationPackage:
        doc = _load(text, PRESENTATION_FORMAT)
        presentation, type_id = doc.get("presentation"), doc.get("type_id")
        if not isinstance(presentation, str) or not isinstance(type_id, int):
            raise InputError("presentation: presentation (string) and type_id (integer) required")
        return cls(presentation, AnchorEvidence.from_dict(doc.get("anchor")), type_id)
