"""Verification report: every check the verifier runs, in order, with its outcome.

The verifier records each check through a `ReportBuilder`; at the first failure the builder stops
and marks every later check "not run", so the report says exactly which check failed and that
nothing after it was relied upon.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from ledger.errors import VerificationError

T = TypeVar("T")

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


class ReportBuilder:
    """Records check outcomes in a fixed order and stops at the first failure.

    Checks must be recorded in the order given at construction; a check may be skipped over
    (recorded as not run with a reason via `skip`). After a failure no further outcome may be
    recorded, and `report()` marks every unrecorded check "not run".
    """

    def __init__(self, names: Sequence[str] = CHECK_NAMES) -> None:
        if len(set(names)) != len(names):
            raise ValueError("check names must be unique")
        self._names = tuple(names)
        self._results: list[CheckResult] = []
        self._failed = False

    @property
    def stopped(self) -> bool:
        """True once a check has failed."""
        return self._failed

    def _record(self, result: CheckResult) -> None:
        if self._failed:
            raise RuntimeError(f"check {result.name!r} recorded after a failed check")
        position = len(self._results)
        if result.name not in self._names[position:]:
            raise RuntimeError(f"check {result.name!r} is unknown or recorded out of order")
        for skipped in self._names[position : self._names.index(result.name)]:
            self._results.append(CheckResult(skipped, None, "not run"))
        self._results.append(result)
        if result.passed is False:
            self._failed = True

    def passed(self, name: str, detail: str = "") -> None:
        """Record that ``name`` ran and passed."""
        self._record(CheckResult(name, True, detail))

    def failed(self, name: str, detail: str, error: str | None = None) -> None:
        """Record that ``name`` failed; later checks will be "not run"."""
        self._record(CheckResult(name, False, detail, error))

    def skip(self, name: str, detail: str) -> None:
        """Record that ``name`` did not apply (e.g. no request given), with the reason."""
        self._record(CheckResult(name, None, detail))

    @contextmanager
    def check(self, name: str, detail: str = "") -> Iterator[None]:
        """Run the body as check ``name``: a `VerificationError` marks it failed and re-raises."""
        try:
            yield
        except VerificationError as exc:
            self.failed(name, str(exc) or type(exc).__name__, type(exc).__name__)
            raise
        self.passed(name, detail)

    def run(self, name: str, fn: Callable[[], T], detail: str = "") -> T:
        """Call ``fn`` as check ``name`` (see `check`) and return its result."""
        with self.check(name, detail):
            return fn()
        raise AssertionError("unreachable")  # pragma: no cover

    def report(self) -> VerificationReport:
        """The report so far; checks not recorded are marked "not run"."""
        done = {r.name for r in self._results}
        rest = [CheckResult(n, None, "not run") for n in self._names if n not in done]
        return VerificationReport(tuple(self._results) + tuple(rest))
