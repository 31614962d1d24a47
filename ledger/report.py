"""Verification report types: every check a verifier runs, in order, with its outcome.

A leaf module (it imports nothing of the ledger): `ledger.errors` types `VerificationError.report`
with it and `ledger.agency.report.ReportBuilder` builds it, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CHECKS", "CHECK_NAMES", "CheckResult", "VerificationReport"]

#: The checks of the presentation itself, in the order they run, with their human titles.
_PRESENTATION_CHECKS: tuple[tuple[str, str], ...] = (
    ("sd_jwt", "SD-JWT signature and structure"),
    ("key_binding", "Key binding (nonce, audience, iat, sd_hash)"),
    ("request_match", "Disclosed claims match the request"),
    ("anchor", "Credential anchored on chain"),
    ("issuer_accreditation", "Issuer accredited for the type at anchor time"),
    ("key_validity", "Signing key valid at anchor time"),
    ("status", "Credential status now"),
    ("issuer_agency_status", "Issuing agency active now"),
    ("verifier_authorization", "Verifier registered for these claims and purpose"),
)
#: Every check a verifier records, in the order `ledger.agency.verifier.Verifier` records them,
#: with their human titles: the request first, the presentation's checks, the nonce last.
CHECKS: tuple[tuple[str, str], ...] = (
    ("request", "Request is this verifier's, signed and not expired"),
    *_PRESENTATION_CHECKS,
    ("nonce", "Request nonce issued here and not used before"),
)
#: The presentation's checks in order (`ReportBuilder`'s default; the verifier records
#: ``request`` before them and ``nonce`` after them).
CHECK_NAMES: tuple[str, ...] = tuple(name for name, _ in _PRESENTATION_CHECKS)
_TITLES = dict(CHECKS)


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
