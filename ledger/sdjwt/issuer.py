"""Issue SD-JWT VCs (RFC 9901 §4, SD-JWT VC draft): salted disclosures, decoys, sorted digests."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from ledger.errors import InvalidClaims, UnknownClaimPath
from ledger.sdjwt._paths import Path, format_path, parse_path
from ledger.sdjwt._rand import SYSTEM_RANDOM, RandomSource
from ledger.sdjwt._reconstruct import MAX_DEPTH, PROTECTED_CLAIMS
from ledger.sdjwt.disclosures import (
    RESERVED_NAMES,
    SD_ALG,
    Disclosure,
    SaltSource,
    decoy_digest,
    make_disclosure,
)
from ledger.sdjwt.jwk import AnySigningKey, verifying_key_from_jwk
from ledger.sdjwt.jws import sign_compact
from ledger.sdjwt.results import IssuedCredential, PathDisclosure

SD_JWT_VC_TYP = "dc+sd-jwt"
_ISSUER_SET = frozenset({"iss", "iat", "exp", "vct", "cnf", "status", "_sd", "_sd_alg"})
MAX_DECOYS_DEFAULT = 3


class _Builder:
    def __init__(self, sd_paths: set[Path] | None, decoys: int | None, rng: RandomSource) -> None:
        self.sd_paths = sd_paths  # None means "all"
        self.decoys = decoys
        self.rng = rng
        self.salt = SaltSource(rng)
        self.out: list[tuple[Path, Disclosure]] = []
        self.found = 0  # how many of sd_paths were met

    def _is_sd(self, path: Path) -> bool:
        if self.sd_paths is None:
            return not (len(path) == 1 and path[0] in PROTECTED_CLAIMS)
        if path in self.sd_paths:
            self.found += 1
            return True
        return False

    def value(self, value: Any, path: Path) -> Any:
        if len(path) > MAX_DEPTH:
            raise InvalidClaims("claims nested too deeply")
        if isinstance(value, (str, int)):  # the common case first (bool is an int)
            return value
        if isinstance(value, (dict, Mapping)):
            return self.obj(value, path)
        if isinstance(value, (list, tuple)):
            return self.array(value, path)
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidClaims(f"claim {format_path(path)!r} is not a finite number")
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        raise InvalidClaims(f"claim {format_path(path)!r} is not a JSON value")

    def obj(self, obj: Mapping[str, Any], path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        digests: list[str] = []
        for key, val in obj.items():
            if not isinstance(key, str) or key in RESERVED_NAMES:
                raise InvalidClaims(f"claim name {key!r} is not allowed")
            child = (*path, key)
            processed = self.value(val, child)
            if self._is_sd(child):
                disc = make_disclosure(key, processed, self.salt())
                self.out.append((child, disc))
                digests.append(disc.digest)
            else:
                out[key] = processed
        if digests:
            n = self.rng.randbelow(MAX_DECOYS_DEFAULT + 1) if self.decoys is None else self.decoys
            digests.extend(decoy_digest(self.salt()) for _ in range(n))
            out["_sd"] = sorted(digests)
        return out

    def array(self, arr: Iterable[Any], path: Path) -> list[Any]:
        out: list[Any] = []
        for i, val in enumerate(arr):
            child = (*path, i)
            processed = self.value(val, child)
            if self._is_sd(child):
                disc = make_disclosure(None, processed, self.salt())
                self.out.append((child, disc))
                out.append({"...": disc.digest})
            else:
                out.append(processed)
        return out


def issue_sd_jwt_vc(
    claims: Mapping[str, Any],
    *,
    signing_key: AnySigningKey,
    issuer: str,
    vct: str,
    holder_jwk: Mapping[str, str],
    status_idx: int,
    status_uri: str,
    iat: int | None = None,
    exp: int | None = None,
    now: int | None = None,
    disclosable: Literal["all"] | Iterable[str] = "all",
    decoys: int | None = None,
    rng: RandomSource | None = None,
) -> IssuedCredential:
    """Issue an SD-JWT VC bound to `holder_jwk`, signed by `signing_key` (ES256, or EdDSA).

    `disclosable` is "all" (every claim and array element, recursively, is selectively
    disclosable) or a list of claim paths. `iss`, `iat`, `exp`, `vct`, `cnf` and `status` are
    set here and always plaintext. `decoys` is the number of decoy digests per `_sd` array
    (default: a random 0-3). `iat` defaults to `now`, which defaults to the system clock.
    """
    rng = SYSTEM_RANDOM if rng is None else rng
    for name in claims:
        if name in _ISSUER_SET:
            raise InvalidClaims(f"claim {name!r} is set by the issuer, not passed in claims")
    if isinstance(disclosable, str):
        if disclosable != "all":
            raise UnknownClaimPath("disclosable is 'all' or a list of claim paths")
        sd_paths: set[Path] | None = None
    else:
        sd_paths = set()
        for text in disclosable:
            path = parse_path(text)
            if len(path) == 1 and path[0] in PROTECTED_CLAIMS:
                raise InvalidClaims(f"claim {text!r} may not be selectively disclosable")
            sd_paths.add(path)
    if decoys is not None and decoys < 0:
        raise InvalidClaims("decoys must be >= 0")
    if not isinstance(status_idx, int) or status_idx < 0:
        raise InvalidClaims("status_idx must be a non-negative int")
    holder = verifying_key_from_jwk(holder_jwk)
    now_s = int(time.time()) if now is None else int(now)

    builder = _Builder(sd_paths, decoys, rng)
    body = builder.obj(claims, ())
    if sd_paths is not None and builder.found != len(sd_paths):
        raise UnknownClaimPath("a disclosable path names no claim")
    payload: dict[str, Any] = {"iss": issuer, "iat": now_s if iat is None else int(iat)}
    if exp is not None:
        payload["exp"] = int(exp)
    payload["vct"] = vct
    payload["cnf"] = {"jwk": holder.jwk}
    payload["status"] = {"status_list": {"idx": status_idx, "uri": status_uri}}
    payload.update(body)
    if builder.out:
        payload["_sd_alg"] = SD_ALG
    jwt = sign_compact({"typ": SD_JWT_VC_TYP, "kid": signing_key.kid}, payload, signing_key)
    compact = jwt + "~" + "".join(d.encoded + "~" for _, d in builder.out)
    return IssuedCredential(
        compact=compact,
        issuer_jwt=jwt,
        digest=hashlib.sha256(jwt.encode("ascii")).digest(),
        disclosures=tuple(PathDisclosure(format_path(p), d) for p, d in builder.out),
    )
