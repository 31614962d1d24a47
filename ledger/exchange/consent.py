"""The citizen's consent to a once-only pull, and its withdrawal: signed in her wallet, checked
and recorded by the source.

A consent says: requester R may have the source S answer its queries for `claims` of `vct`
about me, for `purpose`, until `expires_at`. It is a compact JWS (ES256) signed with her holder
key, the key the source knows for her (from the person credential it issued her):

    header  {"alg": "ES256", "typ": "ledger-consent+jwt", "kid": <holder key thumbprint>}
    payload {"consent_id", "requester", "source", "vct", "claims" (sorted), "purpose",
             "purpose_digest" (keccak256 of the purpose, the key of R's on-chain registration),
             "iat", "exp"}

A withdrawal is a JWS of type ``ledger-consent-withdrawal+jwt`` with payload
{"consent_id", "iat"}, signed with the same key.

The documents name no subject: the source knows whose holder key signed, and records the
consent under that subject. The wallet signs (`sign_consent`, `sign_withdrawal`); the source
verifies (`verify_consent`, `verify_withdrawal`) and records (`record_consent`,
`record_withdrawal`) in its `ExchangeStore`. A withdrawal is honoured from the moment it is
recorded: `withdrawn_at` is the source's clock when it records it, so a query decided after
that finds no consent (`ExchangeStore.find_consent`), whatever time the wallet wrote in it.

Verification, in order (each refusal a specific `ConsentError`):

1. the document is at most `MAX_DOCUMENT_BYTES` of ASCII, three base64url parts, header and
   payload JSON objects through the one bounded parser (`ledger.untrusted_json`) —
   `ConsentMalformed`;
2. the header: ``alg`` ES256, ``typ`` the document's type, no ``crit`` — `ConsentMalformed`;
3. the header's ``kid`` is the thumbprint of the holder key the source knows — `ConsentWrongKey`;
4. the signature, with that key — `ConsentSignatureInvalid`;
5. the payload's members, exactly, with their types and limits; the digest is the purpose's —
   `ConsentMalformed`;
6. the time: not issued more than `MAX_CLOCK_SKEW` ahead (`ConsentNotYetValid`), not expired
   (`ConsentExpired`).

Longer than the house's ~400 lines: a consent and its withdrawal share one format, one verification
order and one recording step at the source, and change together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ledger import untrusted_json
from ledger._b64 import b64d
from ledger._rand import SYSTEM_RANDOM, RandomSource
from ledger.errors import (
    ConsentExpired,
    ConsentMalformed,
    ConsentNotFound,
    ConsentNotYetValid,
    ConsentSignatureInvalid,
    ConsentWrongKey,
    ConsentWrongSource,
    InvalidJwk,
    JsonRejected,
    ReceiptInvalid,
)
from ledger.exchange.receipts import (
    MAX_CLAIMS,
    MAX_PURPOSE_CHARS,
    MAX_VCT_CHARS,
    checksum_address,
    purpose_digest,
)
from ledger.exchange.receipts import (
    _claims as _claim_paths,
)
from ledger.exchange.store import Consent, ExchangeStore
from ledger.sdjwt.jwk import PublicKey, SigningKey, public_key_from_jwk
from ledger.sdjwt.jws import UnverifiedJws, sign_compact

__all__ = [
    "CONSENT_TYP",
    "MAX_CLOCK_SKEW",
    "MAX_DOCUMENT_BYTES",
    "WITHDRAWAL_TYP",
    "SignedConsent",
    "VerifiedConsent",
    "VerifiedWithdrawal",
    "record_consent",
    "record_withdrawal",
    "sign_consent",
    "sign_withdrawal",
    "verify_consent",
    "verify_withdrawal",
]

CONSENT_TYP: Final = "ledger-consent+jwt"
WITHDRAWAL_TYP: Final = "ledger-consent-withdrawal+jwt"
#: Far above the largest document the limits allow (64 claim paths, 1 KiB purpose, ~6 KiB).
MAX_DOCUMENT_BYTES: Final = 16 * 1024
#: How far ahead of the verifier's clock a document may be dated (seconds).
MAX_CLOCK_SKEW: Final = 300
#: The longest a consent may run (seconds): about five years.
MAX_CONSENT_SECONDS: Final = 5 * 366 * 86_400
_MAX_TIME = 2**53 - 1
_CONSENT_ID = re.compile(r"[0-9a-f]{32}")
_CONSENT_MEMBERS = frozenset(
    {"consent_id", "requester", "source", "vct", "claims", "purpose", "purpose_digest", "iat",
     "exp"}
)  # fmt: skip
_WITHDRAWAL_MEMBERS = frozenset({"consent_id", "iat"})


@dataclass(frozen=True)
class VerifiedConsent:
    """A consent whose signature, form and time were checked against the subject's holder key."""

    consent_id: str
    requester: str
    """The requesting agency's address (EIP-55)."""
    source: str
    """The source agency's address (EIP-55)."""
    vct: str
    claims: tuple[str, ...]
    """Canonical claim paths, sorted, unique."""
    purpose: str
    purpose_digest: bytes
    issued_at: int
    expires_at: int
    holder_kid: str
    """Thumbprint (base64url) of the holder key that signed it."""
    document: str
    """The compact JWS as received."""

    def to_store(self, subject_id: str) -> Consent:
        """The store's row for this consent, under `subject_id` (the source's own knowledge)."""
        return Consent(
            consent_id=self.consent_id,
            subject_id=subject_id,
            requester=self.requester,
            credential_type=self.vct,
            claims=self.claims,
            purpose_digest=self.purpose_digest,
            granted_at=self.issued_at,
            expires_at=self.expires_at,
            document=self.document.encode("ascii"),
        )


@dataclass(frozen=True)
class VerifiedWithdrawal:
    """A withdrawal whose signature and form were checked against the subject's holder key."""

    consent_id: str
    issued_at: int
    holder_kid: str
    document: str


@dataclass(frozen=True)
class SignedConsent:
    """What the wallet made: the verified view of the consent and its compact JWS."""

    consent: VerifiedConsent

    @property
    def document(self) -> str:
        """The compact JWS to send to the source (or write to a file)."""
        return self.consent.document

    @property
    def consent_id(self) -> str:
        """The consent's random id (32 hex digits)."""
        return self.consent.consent_id


# --- checking values ---------------------------------------------------------------------------


def _text(name: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ConsentMalformed(f"{name} must be text of 1..{limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConsentMalformed(f"{name} holds a lone surrogate, not Unicode text") from None
    return value


def _address(name: str, value: object) -> str:
    try:
        return checksum_address(value)  # type: ignore[arg-type]
    except ReceiptInvalid as exc:
        raise ConsentMalformed(f"{name}: {exc}") from None


def _time(name: str, value: object) -> int:
    if type(value) is not int or not 0 <= value <= _MAX_TIME:
        raise ConsentMalformed(f"{name} must be whole seconds in 0..{_MAX_TIME}")
    return value


def _claims(value: object) -> tuple[str, ...]:
    """Canonical claim paths, sorted and unique: the receipt's rule (`ledger.exchange.receipts`),
    so a consent and the receipts of the queries it covers name claims alike; at least one."""
    if isinstance(value, (list, tuple)) and not value:
        raise ConsentMalformed(f"claims must name 1..{MAX_CLAIMS} claim paths")
    try:
        return _claim_paths(value)
    except ReceiptInvalid as exc:
        raise ConsentMalformed(f"claims: {exc}") from None


def _consent_id(value: object) -> str:
    if not isinstance(value, str) or not _CONSENT_ID.fullmatch(value):
        raise ConsentMalformed("consent_id must be 32 lowercase hex digits")
    return value


def _holder(holder_jwk: PublicKey | Mapping[str, Any]) -> PublicKey:
    if isinstance(holder_jwk, PublicKey):
        return holder_jwk
    try:
        return public_key_from_jwk(holder_jwk)
    except InvalidJwk as exc:
        raise ConsentWrongKey(f"the holder key is not a P-256 public JWK ({exc})") from exc


# --- signing (the wallet) ----------------------------------------------------------------------


def sign_consent(
    holder_key: SigningKey,
    *,
    requester: str,
    source: str,
    vct: str,
    claims: Sequence[str],
    purpose: str,
    expires_at: int,
    now: int,
    rng: RandomSource | None = None,
) -> SignedConsent:
    """Sign a consent with the citizen's holder key; a fresh random `consent_id`.

    Raises `ConsentMalformed` for a value out of bounds (an address that is not one, no claims,
    an expiry not after `now` or more than about five years ahead).
    """
    if _time("expires_at", expires_at) <= _time("now", now):
        raise ConsentMalformed("the consent must expire after it is granted")
    if expires_at - now > MAX_CONSENT_SECONDS:
        raise ConsentMalformed("a consent may run for at most five years")
    text = _text("purpose", purpose, MAX_PURPOSE_CHARS)
    payload = {
        "consent_id": (rng or SYSTEM_RANDOM).token_bytes(16).hex(),
        "requester": _address("requester", requester),
        "source": _address("source", source),
        "vct": _text("vct", vct, MAX_VCT_CHARS),
        "claims": list(_claims(claims)),
        "purpose": text,
        "purpose_digest": purpose_digest(text).hex(),
        "iat": now,
        "exp": expires_at,
    }
    document = sign_compact({"typ": CONSENT_TYP, "kid": holder_key.kid}, payload, holder_key)
    return SignedConsent(_consent_from(payload, holder_key.kid, document))


def sign_withdrawal(holder_key: SigningKey, consent_id: str, *, now: int) -> str:
    """Sign the withdrawal of consent `consent_id` with the holder key that granted it."""
    payload = {"consent_id": _consent_id(consent_id), "iat": _time("now", now)}
    return sign_compact({"typ": WITHDRAWAL_TYP, "kid": holder_key.kid}, payload, holder_key)


# --- verifying (the source) --------------------------------------------------------------------


def _parse(document: object, typ: str) -> tuple[UnverifiedJws, str]:
    """Steps 1 and 2: the compact JWS split and its JSON read through the bounded parser;
    returned with the document as text."""
    if isinstance(document, bytes):
        try:
            document = document.decode("ascii")
        except UnicodeDecodeError:
            raise ConsentMalformed("a consent document is ASCII text") from None
    if not isinstance(document, str):
        raise ConsentMalformed("a consent document is a compact JWS (text)")
    if len(document) > MAX_DOCUMENT_BYTES:
        raise ConsentMalformed(
            f"the document is {len(document):,} characters, over the limit of "
            f"{MAX_DOCUMENT_BYTES:,}"
        )
    if not document.isascii():
        raise ConsentMalformed("a consent document is ASCII text")
    document = document.strip()
    parts = document.split(".")
    if len(parts) != 3:
        raise ConsentMalformed("a consent document is a compact JWS: three parts")
    try:
        header = untrusted_json.loads(b64d(parts[0], ConsentMalformed))
        payload = untrusted_json.loads(b64d(parts[1], ConsentMalformed))
    except JsonRejected as exc:
        raise ConsentMalformed(f"the document's JSON is refused ({exc})") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ConsentMalformed("the document's header and payload must be JSON objects")
    if header.get("alg") != "ES256":
        raise ConsentMalformed(f"alg must be 'ES256', got {header.get('alg')!r}")
    if "crit" in header:
        raise ConsentMalformed("critical header extensions are not supported")
    if header.get("typ") != typ:
        raise ConsentMalformed(f"typ must be {typ!r}, got {header.get('typ')!r}")
    signature = b64d(parts[2], ConsentMalformed)
    signing_input = (parts[0] + "." + parts[1]).encode("ascii")
    return UnverifiedJws(header, payload, signing_input, signature), document


def _check_signature(jws: UnverifiedJws, holder: PublicKey) -> str:
    """Steps 3 and 4: the named key is the subject's, and it signed."""
    kid = jws.unverified_header.get("kid")
    if kid != holder.kid:
        raise ConsentWrongKey(
            "the document is signed with another holder key than the one known for the subject"
        )
    jws.verify(holder, ConsentSignatureInvalid)
    return holder.kid


def _consent_from(payload: Mapping[str, Any], kid: str, document: str) -> VerifiedConsent:
    """Step 5: the payload's members, exactly."""
    if set(payload) != _CONSENT_MEMBERS:
        missing = sorted(_CONSENT_MEMBERS - set(payload))
        unknown = sorted(set(payload) - _CONSENT_MEMBERS)
        raise ConsentMalformed(
            "the consent's members are wrong"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    purpose = _text("purpose", payload["purpose"], MAX_PURPOSE_CHARS)
    digest = purpose_digest(purpose)
    if payload["purpose_digest"] != digest.hex():
        raise ConsentMalformed("purpose_digest is not the digest of the purpose")
    issued, expires = _time("iat", payload["iat"]), _time("exp", payload["exp"])
    if expires <= issued:
        raise ConsentMalformed("exp must be after iat")
    return VerifiedConsent(
        consent_id=_consent_id(payload["consent_id"]),
        requester=_address("requester", payload["requester"]),
        source=_address("source", payload["source"]),
        vct=_text("vct", payload["vct"], MAX_VCT_CHARS),
        claims=_claims(payload["claims"]),
        purpose=purpose,
        purpose_digest=digest,
        issued_at=issued,
        expires_at=expires,
        holder_kid=kid,
        document=document,
    )


def _check_issued(issued_at: int, now: int) -> None:
    if issued_at > now + MAX_CLOCK_SKEW:
        raise ConsentNotYetValid(
            f"the document is dated {issued_at - now} s ahead of this clock "
            f"(at most {MAX_CLOCK_SKEW} s allowed)"
        )


def verify_consent(
    document: str | bytes, holder_jwk: PublicKey | Mapping[str, Any], *, now: int
) -> VerifiedConsent:
    """Check a consent document against the subject's holder public key at time `now` (steps 1
    to 6 of the module docstring); return what was verified."""
    holder = _holder(holder_jwk)
    jws, text = _parse(document, CONSENT_TYP)
    kid = _check_signature(jws, holder)
    consent = _consent_from(jws.unverified_payload, kid, text)
    _check_issued(consent.issued_at, now)
    if now >= consent.expires_at:
        raise ConsentExpired(f"the consent {consent.consent_id} has expired")
    return consent


def verify_withdrawal(
    document: str | bytes, holder_jwk: PublicKey | Mapping[str, Any], *, now: int
) -> VerifiedWithdrawal:
    """Check a withdrawal document against the subject's holder public key at time `now`."""
    holder = _holder(holder_jwk)
    jws, text = _parse(document, WITHDRAWAL_TYP)
    kid = _check_signature(jws, holder)
    payload = jws.unverified_payload
    if set(payload) != _WITHDRAWAL_MEMBERS:
        raise ConsentMalformed("a withdrawal has exactly the members consent_id and iat")
    issued = _time("iat", payload["iat"])
    _check_issued(issued, now)
    return VerifiedWithdrawal(_consent_id(payload["consent_id"]), issued, kid, text)


# --- recording (the source) --------------------------------------------------------------------


def record_consent(
    store: ExchangeStore,
    document: str | bytes,
    holder_jwk: PublicKey | Mapping[str, Any],
    *,
    subject_id: str,
    source: str,
    now: int,
) -> VerifiedConsent:
    """Verify a consent from the subject `subject_id` (whose holder key the source knows as
    `holder_jwk`) and store it. `source` is the recording source's own address: a consent
    addressed to another source is `ConsentWrongSource`. A consent id already stored is
    `DuplicateConsent`."""
    consent = verify_consent(document, holder_jwk, now=now)
    if consent.source != _address("source", source):
        raise ConsentWrongSource(f"the consent is addressed to the source {consent.source}")
    store.add_consent(consent.to_store(subject_id))
    return consent


def record_withdrawal(
    store: ExchangeStore,
    document: str | bytes,
    holder_jwk: PublicKey | Mapping[str, Any],
    *,
    subject_id: str,
    now: int,
) -> Consent:
    """Verify a withdrawal from the subject `subject_id` and record it at `now`, the source's
    clock: from then on the consent covers no query. Withdrawing again keeps the first time.

    `ConsentNotFound` if no consent of this subject has the id (another subject's consent is
    not found either); `ConsentWrongKey` if the withdrawal is signed by another key than the
    consent."""
    withdrawal = verify_withdrawal(document, holder_jwk, now=now)
    stored = store.get_consent(withdrawal.consent_id)
    if stored is None or stored.subject_id != subject_id:
        raise ConsentNotFound(f"no consent with id {withdrawal.consent_id!r} for the subject")
    granted, _ = _parse(stored.document, CONSENT_TYP)
    if granted.unverified_header.get("kid") != withdrawal.holder_kid:
        raise ConsentWrongKey("the withdrawal is signed by another key than the consent")
    return store.withdraw_consent(withdrawal.consent_id, at=now)
