"""The citizen's consents to once-only pulls, kept in her wallet.

A consent lets one requester (an agency) have one source answer its queries for some claims of
one credential type about her, for one purpose, until an expiry (`ledger.exchange.consent`
defines the signed document). Only queries whose registered legal basis is `consent` need one;
the others are logged and shown to her all the same (`wallet access-log`).

The wallet signs the consent with her holder key, keeps it (a `data-consent` record of the
encrypted store, so `wallet consent list` needs no network), and hands the document to the
source: over HTTP (`deliver`: ``POST {url}/exchange/consents`` and
``POST {url}/exchange/consents/withdraw``, body ``{"document": JWS}``) or as a file the citizen
takes there herself (the same JSON body). Withdrawing signs a withdrawal with the same key and
keeps it beside the consent; the source honours it from the moment it receives it.

Not to be confused with `ledger.wallet.consent`, the prompt before a presentation.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ledger.errors import ExchangeDeliveryFailed, WalletStoreCorrupt
from ledger.exchange.consent import sign_consent, sign_withdrawal

if TYPE_CHECKING:
    import httpx

    from ledger._rand import RandomSource
    from ledger.sdjwt import SigningKey
    from ledger.wallet.store import WalletStore

__all__ = [
    "CONSENTS_PATH",
    "WITHDRAW_PATH",
    "DataConsent",
    "call_source",
    "deliver",
    "grant",
    "list_consents",
    "withdraw",
]

CONSENTS_PATH = "/exchange/consents"
WITHDRAW_PATH = "/exchange/consents/withdraw"
_TIMEOUT = 10.0


def _field(obj: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise WalletStoreCorrupt(f"consent record field {name!r} is malformed")
    return value


@dataclass(frozen=True)
class DataConsent:
    """A consent the citizen granted, as her wallet keeps it. `requester_name` is the name the
    chain held for the requester when she granted it; `document` the signed consent;
    `withdrawal` the signed withdrawal once she withdrew it (`withdrawn_at` her clock then)."""

    consent_id: str
    requester: str
    requester_name: str
    source: str
    vct: str
    claims: tuple[str, ...]
    purpose: str
    granted_at: int
    expires_at: int
    document: str
    withdrawn_at: int | None = None
    withdrawal: str | None = None

    def state(self, now: int) -> str:
        """``active``, ``expired`` or ``withdrawn`` at `now`."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        return "active" if now < self.expires_at else "expired"

    def to_json(self) -> dict[str, Any]:
        """JSON form (as encrypted in the store, and printed by `--json`)."""
        return {
            "consent_id": self.consent_id,
            "requester": self.requester,
            "requester_name": self.requester_name,
            "source": self.source,
            "vct": self.vct,
            "claims": list(self.claims),
            "purpose": self.purpose,
            "granted_at": self.granted_at,
            "expires_at": self.expires_at,
            "document": self.document,
            "withdrawn_at": self.withdrawn_at,
            "withdrawal": self.withdrawal,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> DataConsent:
        """Parse the JSON form; `WalletStoreCorrupt` if it is not one."""
        claims = _field(obj, "claims", list)
        if not all(isinstance(c, str) for c in claims):
            raise WalletStoreCorrupt("consent record field 'claims' is malformed")
        withdrawn_at = obj.get("withdrawn_at")
        withdrawal = obj.get("withdrawal")
        if withdrawn_at is not None and type(withdrawn_at) is not int:
            raise WalletStoreCorrupt("consent record field 'withdrawn_at' is malformed")
        if withdrawal is not None and not isinstance(withdrawal, str):
            raise WalletStoreCorrupt("consent record field 'withdrawal' is malformed")
        return cls(
            consent_id=_field(obj, "consent_id", str),
            requester=_field(obj, "requester", str),
            requester_name=_field(obj, "requester_name", str),
            source=_field(obj, "source", str),
            vct=_field(obj, "vct", str),
            claims=tuple(claims),
            purpose=_field(obj, "purpose", str),
            granted_at=_field(obj, "granted_at", int),
            expires_at=_field(obj, "expires_at", int),
            document=_field(obj, "document", str),
            withdrawn_at=withdrawn_at,
            withdrawal=withdrawal,
        )


def grant(
    store: WalletStore,
    holder_key: SigningKey,
    *,
    requester: str,
    requester_name: str,
    source: str,
    vct: str,
    claims: Sequence[str],
    purpose: str,
    expires_at: int,
    now: int,
    rng: RandomSource | None = None,
) -> DataConsent:
    """Sign a consent with the holder key and keep it in the wallet. `ConsentMalformed` for a
    value out of bounds (see `ledger.exchange.consent.sign_consent`)."""
    signed = sign_consent(
        holder_key,
        requester=requester,
        source=source,
        vct=vct,
        claims=claims,
        purpose=purpose,
        expires_at=expires_at,
        now=now,
        rng=rng,
    ).consent
    consent = DataConsent(
        consent_id=signed.consent_id,
        requester=signed.requester,
        requester_name=requester_name,
        source=signed.source,
        vct=signed.vct,
        claims=signed.claims,
        purpose=signed.purpose,
        granted_at=signed.issued_at,
        expires_at=signed.expires_at,
        document=signed.document,
    )
    store.put_data_consent(consent.consent_id, consent.to_json())
    return consent


def list_consents(store: WalletStore) -> tuple[DataConsent, ...]:
    """Every consent kept in the wallet, withdrawn and expired ones too, oldest first."""
    consents = (DataConsent.from_json(obj) for obj in store.data_consents())
    return tuple(sorted(consents, key=lambda c: (c.granted_at, c.consent_id)))


def withdraw(
    store: WalletStore, holder_key: SigningKey, consent_id: str, *, now: int
) -> DataConsent:
    """Sign the withdrawal of consent `consent_id` and keep it. A consent already withdrawn
    keeps its first withdrawal (returned again, to be re-sent). `WalletRecordNotFound` if the
    wallet holds no such consent."""
    consent = DataConsent.from_json(store.get_data_consent(consent_id))
    if consent.withdrawal is not None:
        return consent
    document = sign_withdrawal(holder_key, consent.consent_id, now=now)
    withdrawn = replace(consent, withdrawn_at=now, withdrawal=document)
    store.put_data_consent(consent_id, withdrawn.to_json())
    return withdrawn


def call_source(
    method: str,
    url: str,
    *,
    json: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    max_bytes: int = 64 * 1024,
) -> Any:
    """One request to a source's data service; its JSON answer, read through the bounded
    parser. `ExchangeDeliveryFailed` names what went wrong: not reachable, timed out, an error
    answer (its HTTP status, the service's error code and message), or an answer that is not
    JSON."""
    import httpx

    from ledger import untrusted_json
    from ledger.errors import JsonRejected

    own = client is None
    http = httpx.Client(timeout=_TIMEOUT) if client is None else client
    started = time.monotonic()
    try:
        response = http.request(method, url, json=json, headers=headers)
    except httpx.HTTPError as exc:
        raise ExchangeDeliveryFailed(
            f"could not reach the source at {url} ({type(exc).__name__}"
            f" after {time.monotonic() - started:.1f} s)"
        ) from exc
    finally:
        if own:
            http.close()
    try:
        body = untrusted_json.loads(response.content, max_bytes=max_bytes)
    except JsonRejected as exc:
        if response.status_code < 400:
            raise ExchangeDeliveryFailed(
                f"the source at {url} answered HTTP {response.status_code} with no usable "
                f"JSON ({exc})"
            ) from exc
        body = None
    if response.status_code >= 400:
        code = body.get("code") if isinstance(body, dict) else None
        detail = body.get("message") if isinstance(body, dict) else None
        raise ExchangeDeliveryFailed(
            f"the source at {url} refused: HTTP {response.status_code}"
            + (f" {code}" if code else "")
            + (f" ({detail})" if detail else "")
        )
    return body


def deliver(
    url: str, document: str, *, withdrawal: bool = False, client: httpx.Client | None = None
) -> dict[str, Any]:
    """POST a consent (or, with `withdrawal`, its withdrawal) to the source's data service at
    `url` (`call_source` for the errors); return the service's JSON answer."""
    target = url.rstrip("/") + (WITHDRAW_PATH if withdrawal else CONSENTS_PATH)
    body = call_source("POST", target, json={"document": document}, client=client)
    return body if isinstance(body, dict) else {}
