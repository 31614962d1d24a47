"""Frozen results of issuing and verifying."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ledger.sdjwt.disclosures import Disclosure


class PathDisclosure(NamedTuple):
    """A disclosure and the claim path it reveals (`address.locality`, `nationalities[1]`)."""

    path: str
    disclosure: Disclosure


RawDisclosure = tuple[str, str, str, "str | None", Any, str]
"""(path, encoded, salt, name, value, digest): a disclosure as the issuer makes it, before
`IssuedCredential.disclosures` wraps it (plain tuples are several times cheaper to build)."""


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """An issued SD-JWT VC.

    `compact` goes to the holder; `digest` (SHA-256 of `issuer_jwt`'s ASCII) is the on-chain anchor.
    """

    compact: str
    issuer_jwt: str
    digest: bytes
    raw_disclosures: tuple[RawDisclosure, ...] = field(repr=False)

    @property
    def disclosures(self) -> tuple[PathDisclosure, ...]:
        """Each disclosure with the claim path it reveals, in the order of `compact`."""
        return tuple(
            PathDisclosure(path, Disclosure(encoded, salt, name, value, digest))
            for path, encoded, salt, name, value, digest in self.raw_disclosures
        )


@dataclass(frozen=True, slots=True)
class StatusReference:
    """`status.status_list` of a credential: the index in the list at `uri`."""

    idx: int
    uri: str


@dataclass(frozen=True, slots=True)
class KeyBindingInfo:
    """What a verified Key Binding JWT said."""

    iat: int
    aud: str
    nonce: str
    sd_hash: str


@dataclass(frozen=True, slots=True)
class VerifiedPresentation:
    """A presentation (or credential) that passed every SD-JWT, SD-JWT VC and KB-JWT check.

    `claims` are the plaintext claims plus the disclosed ones (no `_sd`, `_sd_alg`, or digests).
    `disclosed_paths` lists the claim paths that came from disclosures, with array indexes as in
    `claims` (withheld elements are gone, so indexes may differ from the holder's view).
    `issuer_jwt_digest` is SHA-256 of the issuer-signed JWT: the on-chain anchor key. `kb` is
    None when key binding was not required. This profile requires `iss`, `iat` and `vct`.
    """

    claims: dict[str, Any]
    disclosed_paths: tuple[str, ...]
    issuer: str
    vct: str
    kid: str | None
    holder_jwk: dict[str, str] | None
    status: StatusReference | None
    iat: int
    exp: int | None
    issuer_jwt_digest: bytes
    kb: KeyBindingInfo | None
