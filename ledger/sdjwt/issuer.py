"""Issue SD-JWT VCs (RFC 9901 §4, SD-JWT VC draft): salted disclosures, decoys, sorted digests."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Literal

from ledger._claim_paths import Path, parse_path
from ledger._rand import SYSTEM_RANDOM, RandomSource
from ledger.errors import InvalidClaims, UnknownClaimPath
from ledger.sdjwt._names import (
    DIGEST_ALG_KEY,
    PROTECTED_CLAIMS,
    RESERVED_NAMES,
    SD_DIGESTS_KEY,
    SD_LIST_PREFIX,
    TECHNICAL_CLAIMS,
)
from ledger.sdjwt._reconstruct import MAX_DEPTH
from ledger.sdjwt.disclosures import (
    SD_ALG,
    decoy_digest,
    encode_disclosure,
    salt_source,
)
from ledger.sdjwt.jwk import AnySigningKey, verifying_key_from_jwk
from ledger.sdjwt.jws import encoded_header, sign_with_header
from ledger.sdjwt.results import IssuedCredential, RawDisclosure

SD_JWT_VC_TYP = "dc+sd-jwt"
# The names `issue` sets itself (`nbf` may come with the claims).
_ISSUER_SET = TECHNICAL_CLAIMS - {"nbf"}
# Names no claim may have at any depth: `_sd` and `...` carry digests, `_sd_alg` is top-level only
# (RFC 9901 §4.1, §4.1.1); at the top level `_ISSUER_SET` refuses `_sd_alg` first.
_RESERVED = RESERVED_NAMES | {DIGEST_ALG_KEY}
MAX_DECOYS_DEFAULT = 3


# A trie over the disclosable paths: segment -> (is this node disclosable, trie below it).
_Trie = dict[str | int, tuple[bool, "_Trie"]]
_EMPTY: _Trie = {}


def _trie(paths: Iterable[Path]) -> _Trie:
    root: _Trie = {}
    for path in paths:
        node = root
        for i, seg in enumerate(path):
            sd, below = node.get(seg, (False, {}))
            node[seg] = (sd or i == len(path) - 1, below)
            node = below
    return root


@lru_cache(maxsize=1024)
def _compile_disclosable(paths: tuple[str, ...]) -> tuple[int, _Trie]:
    """(number of distinct paths, their trie); cached, as an issuer repeats its path lists.

    The trie is shared between calls and must not be modified.
    """
    if not all(type(text) is str for text in paths):
        raise UnknownClaimPath("claim paths are strings")
    sd_paths: set[Path] = set()
    for text in paths:
        path = parse_path(text)
        if len(path) == 1 and path[0] in PROTECTED_CLAIMS:
            raise InvalidClaims(f"claim {text!r} may not be selectively disclosable")
        sd_paths.add(path)
    return len(sd_paths), _trie(sd_paths)


_NOT_DISCLOSABLE: tuple[bool, _Trie] = (False, _EMPTY)


class _Builder:
    """Walks the claims once, replacing disclosable members and elements by digests.

    `trie` None means "everything disclosable" (except the protected top-level claims).
    Paths are carried as text, built only as deep as the walk goes. Strings, ints and bools (most
    claims) are taken as they are; anything else goes through `value`'s checks and walks.
    """

    def __init__(self, trie: _Trie | None, decoys: int | None, rng: RandomSource) -> None:
        self.trie = trie
        self.decoys = decoys
        self.rng = rng
        self.salt = salt_source(rng)
        self.out: list[RawDisclosure] = []
        self.found = 0  # how many disclosable paths were met (explicit paths only)

    def disclose(self, path: str, name: str | None, value: Any) -> str:
        """Make the disclosure of `value` (as member `name`, or an array element); its digest."""
        salt = self.salt()
        encoded, digest = encode_disclosure(name, value, salt)
        self.out.append((path, encoded, salt, name, value, digest))
        return digest

    def value(self, value: Any, path: str, trie: _Trie | None, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise InvalidClaims("claims nested too deeply")
        kind = type(value)  # exact types first: an ABC isinstance check is slow
        if kind is dict or (kind is not list and isinstance(value, Mapping)):
            return self.obj(value, path, trie, depth)
        if kind is list or isinstance(value, tuple):
            return self.array(value, path, trie, depth)
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidClaims(f"claim {path!r} is not a finite number")
        if value is None or isinstance(value, (str, int, float)):
            return value
        raise InvalidClaims(f"claim {path!r} is not a JSON value")

    def obj(
        self, obj: Mapping[str, Any], path: str, trie: _Trie | None, depth: int
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        digests: list[str] = []
        top = not path
        found = 0
        for key, val in obj.items():
            if type(key) is not str or key in _RESERVED:
                raise InvalidClaims(f"claim name {key!r} is not allowed")
            if trie is None:
                sd, below = not (top and key in PROTECTED_CLAIMS), None
            else:
                sd, below = trie.get(key, _NOT_DISCLOSABLE)
                found += sd
            kind = type(val)
            if kind is not str and kind is not int and kind is not bool:
                val = self.value(val, f"{path}.{key}" if path else key, below, depth + 1)
            if sd:
                digests.append(self.disclose(f"{path}.{key}" if path else key, key, val))
            else:
                out[key] = val
        self.found += found
        if digests:
            n = self.rng.randbelow(MAX_DECOYS_DEFAULT + 1) if self.decoys is None else self.decoys
            for _ in range(n):
                digests.append(decoy_digest(self.salt()))
            out[SD_DIGESTS_KEY] = sorted(digests)
        return out

    def array(self, arr: Iterable[Any], path: str, trie: _Trie | None, depth: int) -> list[Any]:
        out: list[Any] = []
        found = 0
        for i, val in enumerate(arr):
            if trie is None:
                sd, below = True, None
            else:
                sd, below = trie.get(i, _NOT_DISCLOSABLE)
                found += sd
            kind = type(val)
            if kind is not str and kind is not int and kind is not bool:
                val = self.value(val, f"{path}[{i}]", below, depth + 1)
            if sd:
                out.append({SD_LIST_PREFIX: self.disclose(f"{path}[{i}]", None, val)})
            else:
                out.append(val)
        self.found += found
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
    if not _ISSUER_SET.isdisjoint(claims):
        name = next(name for name in claims if name in _ISSUER_SET)
        raise InvalidClaims(f"claim {name!r} is set by the issuer, not passed in claims")
    if isinstance(disclosable, str):
        if disclosable != "all":
            raise UnknownClaimPath("disclosable is 'all' or a list of claim paths")
        n_paths = 0
        trie: _Trie | None = None
    else:
        try:
            n_paths, trie = _compile_disclosable(tuple(disclosable))
        except TypeError:  # unhashable
            raise UnknownClaimPath("claim paths are strings") from None
    if decoys is not None and decoys < 0:
        raise InvalidClaims("decoys must be >= 0")
    if not isinstance(status_idx, int) or status_idx < 0:
        raise InvalidClaims("status_idx must be a non-negative int")
    holder = verifying_key_from_jwk(holder_jwk)
    now_s = int(time.time()) if now is None else int(now)

    builder = _Builder(trie, decoys, rng)
    body = builder.obj(claims, "", trie, 1)
    if trie is not None and builder.found != n_paths:
        raise UnknownClaimPath("a disclosable path names no claim")
    payload: dict[str, Any] = {"iss": issuer, "iat": now_s if iat is None else int(iat)}
    if exp is not None:
        payload["exp"] = int(exp)
    payload["vct"] = vct
    payload["cnf"] = {"jwk": holder.jwk}
    payload["status"] = {"status_list": {"idx": status_idx, "uri": status_uri}}
    payload.update(body)
    if builder.out:
        payload[DIGEST_ALG_KEY] = SD_ALG
    header = encoded_header(
        (("alg", signing_key.alg), ("typ", SD_JWT_VC_TYP), ("kid", signing_key.kid))
    )
    jwt = sign_with_header(header, payload, signing_key)
    compact = jwt + "~" + "".join([raw[1] + "~" for raw in builder.out])  # raw[1]: encoded
    return IssuedCredential(
        compact, jwt, hashlib.sha256(jwt.encode("ascii")).digest(), tuple(builder.out)
    )
