"""The specification's reserved names and the sets of registered claim names, in one place
(like sd-jwt-python's ``common.py``). Every module that tells a registered claim from a claim
about the person, or a digest from a claim, takes its names from here.
"""

from __future__ import annotations

__all__ = [
    "DIGEST_ALG_KEY",
    "PROTECTED_CLAIMS",
    "REGISTERED_CLAIMS",
    "RESERVED_NAMES",
    "SD_DIGESTS_KEY",
    "SD_LIST_PREFIX",
    "TECHNICAL_CLAIMS",
]

#: The array of disclosure digests of an object (RFC 9901 §4.2.4.1).
SD_DIGESTS_KEY = "_sd"
#: The key of an array element's digest, ``{"...": digest}`` (RFC 9901 §4.2.4.2).
SD_LIST_PREFIX = "..."
#: The hash algorithm of the disclosure digests, top level only (RFC 9901 §4.1.1).
DIGEST_ALG_KEY = "_sd_alg"

#: Names no claim may have at any depth: they carry digests (RFC 9901 §4.1).
RESERVED_NAMES = frozenset({SD_DIGESTS_KEY, SD_LIST_PREFIX})

#: The registered JWT and SD-JWT VC claims the credential format itself uses: not claims about
#: the person.
REGISTERED_CLAIMS = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status"})

#: Every top-level name of a payload that is not a claim about the person: the registered claims
#: and the SD-JWT machinery. A verifier's disclosed claims and a wallet's shown claims leave them
#: out.
TECHNICAL_CLAIMS = REGISTERED_CLAIMS | {SD_DIGESTS_KEY, DIGEST_ALG_KEY}

#: Top-level claims that must never come from a disclosure, in whole or in part (SD-JWT VC
#: draft-18 §3.2.2.2, plus `_sd_alg`): the verifier reads `cnf.jwk` from the signed payload
#: before it looks at disclosures. `iat` and `sub` are not among them: SD-JWT VC lets an issuer
#: disclose them.
PROTECTED_CLAIMS = frozenset(
    {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status", DIGEST_ALG_KEY}
)
