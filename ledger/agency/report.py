"""Verification report builder: records every check the verifier runs, in order.

The verifier records each check through a `ReportBuilder`; at the first failure the builder stops
and marks every later check "not run", so the report says exactly which check failed and that
nothing after it was relied upon. The report types live in the leaf module `ledger.report`
(re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from ledger.errors import VerificationError
from ledger.report import (
    CHAIN_CHECK_NAMES,
    CHECK_NAMES,
    CHECKS,
    VERIFIER_CHECK_NAMES,
    Check,
    CheckResult,
    VerificationReport,
)

__all__ = [
    "CHAIN_CHECK_NAMES",
    "CHECKS",
    "CHECK_NAMES",
    "VERIFIER_CHECK_NAMES",
    "Check",
    "CheckResult",
    "ReportBuilder",
    "VerificationReport",
]

T = TypeVar("T")


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
