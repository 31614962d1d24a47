"""Split the compact SD-JWT serialization `<JWT>~<D1>~...~<Dn>~[<KB-JWT>]` (RFC 9901 §4)."""

from __future__ import annotations

from typing import NamedTuple

from ledger.errors import MalformedSerialization, OversizedInput

DEFAULT_MAX_SIZE = 256 * 1024


class UnverifiedParts(NamedTuple):
    """The pieces of a compact SD-JWT, nothing checked but the shape."""

    issuer_jwt: str
    disclosures: tuple[str, ...]
    kb_jwt: str  # "" when absent
    sd_jwt: str  # everything up to and including the last "~" (what `sd_hash` covers)


def split_compact(text: str, max_size: int = DEFAULT_MAX_SIZE) -> UnverifiedParts:
    """Split after a size check; raise OversizedInput / MalformedSerialization."""
    if not isinstance(text, str):
        raise MalformedSerialization("an SD-JWT is a string")
    if len(text) > max_size:
        raise OversizedInput(f"input of {len(text)} characters exceeds the limit of {max_size}")
    if not text.isascii():
        raise MalformedSerialization("an SD-JWT is ASCII")
    parts = text.split("~")
    if len(parts) < 2:
        raise MalformedSerialization("an SD-JWT has at least one '~'")
    disclosures = parts[1:-1]
    if "" in disclosures or not parts[0]:
        raise MalformedSerialization("empty component in the SD-JWT")
    kb = parts[-1]
    return UnverifiedParts(parts[0], tuple(disclosures), kb, text[: len(text) - len(kb)])
