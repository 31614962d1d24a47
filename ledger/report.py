"""Verification report types: every check a verifier runs, in order, with its outcome.

A leaf module (it imports nothing of the ledger): `ledger.errors` types `VerificationError.report`
with it and `ledger.agency.report.ReportBuilder` builds it, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "CHAIN_CHECK_NAMES",
    "CHECKS",
    "CHECK_NAMES",
    "VERIFIER_CHECK_NAMES",
    "Check",
    "CheckResult",
    "VerificationReport",
]

class Check(StrEnum):
    """Every check a verifier records, by the name its report gives it: the one vocabulary of
    check names (reports, the verifier's order, the chain checks, the wallet's import refusals).
    A member is its name as a string (``Check.ANCHOR == "anchor"``)."""

    REQUEST = "request"
    SD_JWT = "sd_jwt"
    KEY_BINDING = "key_binding"
    REQUEST_MATCH = "request_match"
    ANCHOR = "anchor"
    ISSUER_ACCREDITATION = "issuer_accreditation"
    KEY_VALIDITY = "key_validity"
    STATUS = "status"
    ISSUER_AGENCY_STATUS = "issuer_agency_status"
    VERIFIER_AUTHORIZATION = "verifier_authorization"
    NONCE = "nonce"


#: The checks of the presentation itself, in the order they run, with their human titles.
_PRESENTATION_CHECKS: tuple[tuple[Check, str], ...] = (
    (Check.SD_JWT, "SD-JWT signature and structure"),
    (Check.KEY_BINDING, "Key binding (nonce, audience, iat, sd_hash)"),
    (Check.REQUEST_MATCH, "Disclosed claims match the request"),
    (Check.ANCHOR, "Credential anchored on chain"),
    (Check.ISSUER_ACCREDITATION, "Issuer accredited for the type at anchor time"),
    (Check.KEY_VALIDITY, "Signing key valid at anchor time"),
    (Check.STATUS, "Credential status now"),
    (Check.ISSUER_AGENCY_STATUS, "Issuing agency active now"),
    (Check.VERIFIER_AUTHORIZATION, "Verifier registered for these claims and purpose"),
)
#: Every check a verifier records, in the order `ledger.agency.verifier.Verifier` records them,
#: with their human titles: the request first, the presentation's checks, the nonce last.
CHECKS: tuple[tuple[Check, str], ...] = (
    (Check.REQUEST, "Request is this verifier's, signed and not expired"),
    *_PRESENTATION_CHECKS,
    (Check.NONCE, "Request nonce issued here and not used before"),
)
#: The presentation's checks in order (`ReportBuilder`'s default; the verifier records
#: ``request`` before them and ``nonce`` after them).
CHECK_NAMES: tuple[Check, ...] = tuple(name for name, _ in _PRESENTATION_CHECKS)
#: The checks the chain answers, in order (a suffix of `CHECK_NAMES`).
CHAIN_CHECK_NAMES: tuple[Check, ...] = CHECK_NAMES[CHECK_NAMES.index(Check.ANCHOR) :]
#: Every check a verifier records, in order.
VERIFIER_CHECK_NAMES: tuple[Check, ...] = tuple(name for name, _ in CHECKS)
_TITLES: dict[str, str] = dict(CHECKS)


@dataclass(frozen=True)
class CheckResult:
    """One check: ``passed`` is True, False, or None when the check was not run."""

    name: str
    passed: bool | None
    detail: str = ""
    error: str | None = None  # exception class name when the check failed by raising

    @property
    def title(self) -> str:
        """Human title of the check (its name when it is not a standard check)."""
        return _TITLES.get(self.name, self.name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "passed": self.passed,
            "detail": self.detail,
            "error": self.error,
        }


@dataclass(frozen=True)
class VerificationReport:
    """The ordered outcome of every check of one verification."""

    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        """True only when every check ran and passed."""
        return bool(self.checks) and all(c.passed is True for c in self.checks)

    @property
    def failed_check(self) -> CheckResult | None:
        """The first failed check, or None."""
        return next((c for c in self.checks if c.passed is False), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for ``--json``)."""
        failed = self.failed_check
        return {
            "ok": self.ok,
            "failed_check": failed.name if failed else None,
            "checks": [c.to_dict() for c in self.checks],
        }

    def render_text(self) -> str:
        """Plain-text rendering: a verdict line, then one line per check."""
        failed = self.failed_check
        if self.ok:
            lines = ["VALID: every check passed"]
        elif failed is not None:
            lines = [f"INVALID: {failed.title} failed"]
        else:
            lines = ["INCOMPLETE: not every check ran"]
        width = max((len(c.title) for c in self.checks), default=0)
        for c in self.checks:
            mark = {True: "PASS", False: "FAIL", None: "----"}[c.passed]
            line = f"  [{mark}] {c.title.ljust(width)}"
            if c.detail:
                line += f"  {c.detail}"
            lines.append(line.rstrip())
        return "\n".join(lines) + "\n"
