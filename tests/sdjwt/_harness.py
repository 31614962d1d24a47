"""Build SD-JWTs from YAML vector descriptions, including deliberately broken ones."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from ledger._b64 import b64e
from ledger.sdjwt import (
    IssuedCredential,
    SigningKey,
    UnsafeDeterministicRandom,
    create_presentation,
    issue_sd_jwt_vc,
    verify_presentation,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
NOW = 1_800_000_000
ISSUER = "https://cpr.example.dk"
VCT = "urn:dk:cpr:person:1"
AUDIENCE = "https://kommune.example.dk"
NONCE = "nonce-7f3a"
STATUS_URI = (
    "ethereum:0x00000000000000000000000000000000000000aa@31337/statusList?agency=0x01&list=1"
)
ISSUER_KEY = SigningKey.generate(rng=UnsafeDeterministicRandom("issuer"))
HOLDER_KEY = SigningKey.generate(rng=UnsafeDeterministicRandom("holder"))
OTHER_KEY = SigningKey.generate(rng=UnsafeDeterministicRandom("other"))
KEYS = {"issuer": ISSUER_KEY, "holder": HOLDER_KEY, "other": OTHER_KEY}
BASE_CLAIMS = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status"})


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def vector_files(folder: str) -> list[Path]:
    return sorted((VECTORS / folder).glob("*.yaml"))


def user_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """Claims without the SD-JWT VC envelope (iss, iat, vct, cnf, status ...)."""
    return {k: v for k, v in claims.items() if k not in BASE_CLAIMS}


def issue(claims: dict[str, Any], **kw: Any) -> IssuedCredential:
    """ISSUER_KEY's credential for HOLDER_KEY: status index 42, issued at NOW - 10, valid an hour.

    `kw` overrides any of these (`now=None` for the system clock)."""
    args: dict[str, Any] = {
        "signing_key": ISSUER_KEY,
        "issuer": ISSUER,
        "vct": VCT,
        "holder_jwk": HOLDER_KEY.public_jwk,
        "status_idx": 42,
        "status_uri": STATUS_URI,
        "now": NOW - 10,
        "exp": NOW + 3600,
    }
    args.update(kw)
    return issue_sd_jwt_vc(claims, **args)


def present(compact: str, disclose: list[str], **kw: Any) -> str:
    """HOLDER_KEY's presentation to AUDIENCE with NONCE at NOW (`kw` overrides)."""
    args: dict[str, Any] = {
        "holder_key": HOLDER_KEY,
        "audience": AUDIENCE,
        "nonce": NONCE,
        "now": NOW,
    }
    args.update(kw)
    return create_presentation(compact, disclose=disclose, **args)


def verify(presentation: Any, **kw: Any) -> Any:
    """Verify as AUDIENCE expecting NONCE at NOW, trusting ISSUER_KEY (`kw` overrides)."""
    args: dict[str, Any] = {
        "issuer_key_resolver": ISSUER_KEY.public_key,
        "expected_audience": AUDIENCE,
        "expected_nonce": NONCE,
        "now": NOW,
    }
    args.update(kw)
    return verify_presentation(presentation, **args)


def _jws(header: dict[str, Any], payload: Any, key: SigningKey | None) -> str:
    signing_input = b64e(json.dumps(header).encode()) + "." + b64e(json.dumps(payload).encode())
    sig = key.sign(signing_input.encode()) if key is not None else b""
    return signing_input + "." + b64e(sig)


def _encode_disclosure(value: Any) -> str:
    if isinstance(value, str):  # a raw, possibly malformed, disclosure string
        return value
    if isinstance(value, dict) and "raw_json" in value:
        return b64e(value["raw_json"].encode())
    return b64e(json.dumps(value).encode())


def _digest(encoded: str) -> str:
    return b64e(hashlib.sha256(encoded.encode("ascii")).digest())


def _substitute(node: Any, digests: dict[str, str]) -> Any:
    if isinstance(node, str) and node.startswith("@") and node[1:] in digests:
        return digests[node[1:]]
    if isinstance(node, list):
        return [_substitute(x, digests) for x in node]
    if isinstance(node, dict):
        return {k: _substitute(v, digests) for k, v in node.items()}
    return node


def build_crafted(case: dict[str, Any]) -> str:
    """A presentation assembled by hand from a vector: disclosures, payload, header, KB-JWT."""
    if "raw" in case:
        return str(case["raw"])
    encoded: dict[str, str] = {}
    digests: dict[str, str] = {}
    for name, value in (case.get("disclosures") or {}).items():  # in order: later ones may nest
        encoded[name] = _encode_disclosure(_substitute(value, digests))
        digests[name] = _digest(encoded[name])
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "iat": NOW - 100,
        "exp": NOW + 86400,
        "vct": VCT,
        "cnf": {"jwk": HOLDER_KEY.public_jwk},
        "status": {"status_list": {"idx": 3, "uri": STATUS_URI}},
        "_sd_alg": "sha-256",
    }
    for name in case.get("remove_claims", []):
        payload.pop(name, None)
    payload.update(_substitute(copy.deepcopy(case.get("payload") or {}), digests))
    header = {"alg": "ES256", "typ": "dc+sd-jwt", "kid": ISSUER_KEY.kid}
    header.update(case.get("header") or {})
    for name in case.get("remove_header", []):
        header.pop(name, None)
    signer = KEYS[case.get("issuer_signer", "issuer")]
    jwt = _jws(header, payload, None if header.get("alg") == "none" else signer)
    presented = case.get("present", list(encoded))
    sd_jwt = jwt + "~" + "".join(encoded[name] + "~" for name in presented)
    kb = case.get("kb", {})
    if kb is None:  # no KB-JWT at all
        return sd_jwt
    kb_header = {"alg": "ES256", "typ": "kb+jwt", **(kb.get("header") or {})}
    kb_payload = {
        "iat": NOW,
        "aud": AUDIENCE,
        "nonce": NONCE,
        "sd_hash": _digest(sd_jwt),
        **(kb.get("payload") or {}),
    }
    for name in kb.get("remove", []):
        kb_payload.pop(name, None)
    presentation = sd_jwt + _jws(kb_header, kb_payload, KEYS[kb.get("signer", "holder")])
    for name in kb.get("strip_after_kb", case.get("strip_after_kb", [])):
        presentation = presentation.replace(encoded[name] + "~", "", 1)
    return presentation


def build_issued(case: dict[str, Any]) -> str:
    """A presentation made with our issuer and holder from a vector's `issue` section."""
    spec = case["issue"]
    issued = issue_sd_jwt_vc(
        spec["claims"],
        signing_key=ISSUER_KEY,
        issuer=ISSUER,
        vct=VCT,
        holder_jwk=HOLDER_KEY.public_jwk,
        status_idx=3,
        status_uri=STATUS_URI,
        now=NOW - 100,
        exp=NOW + 86400,
        disclosable=spec.get("disclosable", "all"),
        decoys=spec.get("decoys"),
        rng=UnsafeDeterministicRandom(case.get("seed", 1)),
    )
    return create_presentation(
        issued.compact,
        disclose=spec.get("disclose", []),
        holder_key=HOLDER_KEY,
        audience=AUDIENCE,
        nonce=NONCE,
        now=NOW,
    )


def build(case: dict[str, Any]) -> str:
    return build_issued(case) if "issue" in case else build_crafted(case)
