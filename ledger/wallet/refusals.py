"""Why the citizen wallet refuses: importing a credential, answering a presentation request.

These are `WalletError`s. A refused import carries the failed check's name (`check`) and the
underlying error (`cause`, e.g. `InvalidSignature`, `CredentialRevoked`), and says both in its
message, so a person reading `Error: ...` learns why.
"""

from __future__ import annotations

from ledger.errors import WalletError

__all__ = [
    "ConsentDeclined",
    "NoMatchingCredential",
    "PresentationRefused",
    "VerifierNotRegistered",
    "WalletImportRefused",
]


class WalletImportRefused(WalletError):
    """The wallet refused to store a credential: `reason` says why in words, `check` names the
    failed check (``signature``, ``holder_key``, ``anchor``, ``status`` ...) and `cause` is the
    underlying error when there is one (also chained as ``__cause__``)."""

    def __init__(self, check: str, reason: str, cause: BaseException | None = None) -> None:
        detail = f" ({type(cause).__name__}: {cause})" if cause is not None and str(cause) else ""
        super().__init__(f"refused to import the credential: {reason}{detail}")
        self.check = check
        self.reason = reason
        self.cause = cause


class PresentationRefused(WalletError):
    """The wallet will not answer this presentation request; the message says why."""


class VerifierNotRegistered(PresentationRefused):
    """The requesting verifier is not registered on chain (as an Active agency) for these claims
    of this credential type for this purpose. Overridable only with `unsafe_allow_unregistered`."""

    def __init__(self, reason: str, *, verifier: str, type_id: int, purpose: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.verifier = verifier
        self.type_id = type_id
        self.purpose = purpose


class NoMatchingCredential(PresentationRefused):
    """The wallet holds no usable credential (type, claims, validity, status) for the request."""


class ConsentDeclined(WalletError):
    """The citizen did not consent: nothing was disclosed."""
