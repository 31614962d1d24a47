"""The citizen's proof that she holds a holder key, to fetch her access log from a source.

Challenge-response: the source hands out a one-use random challenge (`ChallengeBook.issue`); the
wallet answers with a compact JWS (ES256) over it, signed with her holder key:

    header  {"alg": "ES256", "typ": "ledger-access-log+jwt", "jwk": <her holder public key>}
    payload {"challenge": <hex>, "aud": <the source's address>, "iat": <Unix seconds>}

The source verifies it (`ChallengeBook.verify`): the challenge is one it issued, unused and not
expired (it is consumed), the audience is this source, ``iat`` is within the skew, and the
signature verifies with the key in the header. The result is the verified holder public key,
from which the source derives her subject key (ECDH with its log key). Any key holder can
authenticate, but only gets the receipts keyed by her own key: a stranger's key has none.

Challenges live in memory, per process (a documented limit: with several service processes
behind a load balancer, the challenge and the response must reach the same process, or the
book moves into the shared store).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger._rand import SYSTEM_RANDOM, Clock, RandomSource
from ledger.errors import CitizenAuthFailed, LedgerError
from ledger.exchange.receipts import checksum_address
from ledger.sdjwt import PublicKey, SigningKey, public_key_from_jwk
from ledger.sdjwt.jws import parse_compact, sign_compact

__all__ = ["AUTH_TYP", "ChallengeBook", "sign_log_request"]

AUTH_TYP = "ledger-access-log+jwt"
#: The largest proof a source reads.
MAX_PROOF_CHARS = 4096


def sign_log_request(holder_key: SigningKey, challenge: str, *, source: str, now: int) -> str:
    """The wallet's answer to `challenge` from `source` (compact JWS)."""
    header = {"typ": AUTH_TYP, "jwk": holder_key.public_jwk}
    payload = {"challenge": challenge, "aud": checksum_address(source), "iat": int(now)}
    return sign_compact(header, payload, holder_key)


@dataclass(frozen=True)
class _Issued:
    expires_at: float


class ChallengeBook:
    """One-use challenges of one source process, and the check of a response."""

    def __init__(
        self,
        source: str,
        *,
        lifetime: int = 120,
        capacity: int = 100_000,
        clock: Clock = time.time,
        rng: RandomSource = SYSTEM_RANDOM,
        clock_skew: int = 30,
    ) -> None:
        self._source = checksum_address(source)
        self._lifetime = lifetime
        self._capacity = capacity
        self._clock = clock
        self._rng = rng
        self._skew = clock_skew
        self._issued: OrderedDict[str, _Issued] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self) -> tuple[str, int]:
        """A fresh challenge (32 random bytes, hex) and when it expires."""
        now = self._clock()
        challenge = self._rng.token_bytes(32).hex()
        with self._lock:
            while self._issued and (
                len(self._issued) >= self._capacity
                or next(iter(self._issued.values())).expires_at <= now
            ):
                self._issued.popitem(last=False)
            self._issued[challenge] = _Issued(now + self._lifetime)
        return challenge, int(now + self._lifetime)

    def verify(self, proof: str) -> PublicKey:
        """The holder key that answered one of our challenges; `CitizenAuthFailed` otherwise.
        The challenge is consumed whether or not the signature then verifies."""
        if not isinstance(proof, str) or not 0 < len(proof) <= MAX_PROOF_CHARS:
            raise CitizenAuthFailed("the proof is missing or too long")
        try:
            jws = parse_compact(proof)
            jws.check_header(AUTH_TYP)
            jwk = jws.unverified_header.get("jwk")
            if not isinstance(jwk, Mapping):
                raise CitizenAuthFailed("the proof's header has no jwk")
            key = public_key_from_jwk(jwk)
        except CitizenAuthFailed:
            raise
        except LedgerError as exc:
            raise CitizenAuthFailed(f"the proof is not a signed challenge: {exc}") from exc
        payload: dict[str, Any] = jws.unverified_payload
        challenge = payload.get("challenge")
        now = self._clock()
        with self._lock:
            issued = self._issued.pop(challenge, None) if isinstance(challenge, str) else None
        if issued is None or issued.expires_at <= now:
            raise CitizenAuthFailed("the challenge is unknown, used or expired")
        if payload.get("aud") != self._source:
            raise CitizenAuthFailed("the proof is addressed to another source")
        iat = payload.get("iat")
        if type(iat) is not int or abs(iat - now) > self._skew + self._lifetime:
            raise CitizenAuthFailed("the proof's iat is outside the time window")
        try:
            jws.verify(key)
        except LedgerError as exc:
            raise CitizenAuthFailed("the proof's signature does not verify") from exc
        return key
