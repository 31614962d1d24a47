"""Behaviour of the verification report and its builder."""

from __future__ import annotations

import json

import pytest

from ledger.agency.chain_checks import CHAIN_CHECK_NAMES
from ledger.agency.report import (
    CHECK_NAMES,
    CHECKS,
    CheckResult,
    ReportBuilder,
    VerificationReport,
)
from ledger.agency.verifier import VERIFIER_CHECK_NAMES
from ledger.errors import ChainError, VerificationError


class _Boom(VerificationError):
    pass


def test_all_checks_passed_report_is_ok() -> None:
    b = ReportBuilder()
    for name in CHECK_NAMES:
        b.passed(name, "fine")
    report = b.report()
    assert report.ok
    assert report.failed_check is None
    assert [c.name for c in report.checks] == list(CHECK_NAMES)


def test_first_failure_stops_and_marks_the_rest_not_run() -> None:
    b = ReportBuilder()
    b.passed("sd_jwt")
    b.passed("key_binding")
    b.failed("request_match", "claim birthdate disclosed but not requested", "ExtraDisclosure")
    report = b.report()
    assert not report.ok
    assert report.failed_check == CheckResult(
        "request_match", False, "claim birthdate disclosed but not requested", "ExtraDisclosure"
    )
    assert [c.passed for c in report.checks] == [True, True, False] + [None] * 6
    assert all(c.detail == "not run" for c in report.checks[3:])


def test_recording_after_a_failure_is_refused() -> None:
    b = ReportBuilder()
    b.failed("sd_jwt", "bad signature")
    with pytest.raises(RuntimeError):
        b.passed("key_binding")


def test_checks_out_of_order_are_refused() -> None:
    b = ReportBuilder()
    b.passed("anchor")
    with pytest.raises(RuntimeError):
        b.passed("sd_jwt")
    with pytest.raises(RuntimeError):
        b.passed("no_such_check")


def test_skipped_over_checks_are_not_run_and_report_is_not_ok() -> None:
    b = ReportBuilder(("a", "b", "c"))
    b.passed("a")
    b.passed("c")
    report = b.report()
    assert [c.passed for c in report.checks] == [True, None, True]
    assert not report.ok
    assert report.failed_check is None


def test_explicit_skip_keeps_its_reason() -> None:
    b = ReportBuilder(("a", "b"))
    b.skip("a", "no request given")
    b.passed("b")
    assert b.report().checks[0] == CheckResult("a", None, "no request given")


def test_check_context_records_verification_error_and_reraises() -> None:
    b = ReportBuilder(("a", "b"))
    with pytest.raises(_Boom), b.check("a"):
        raise _Boom("nonce mismatch")
    report = b.report()
    assert report.failed_check == CheckResult("a", False, "nonce mismatch", "_Boom")
    assert report.checks[1].passed is None
    assert b.stopped


def test_check_context_does_not_swallow_other_errors_as_failures() -> None:
    b = ReportBuilder(("a",))
    with pytest.raises(ChainError), b.check("a"):
        raise ChainError("rpc down")
    assert b.report().checks[0].passed is None


def test_run_returns_the_value_and_records_a_pass() -> None:
    b = ReportBuilder(("a",))
    assert b.run("a", lambda: 42, "answer") == 42
    assert b.report().checks[0] == CheckResult("a", True, "answer")


def test_to_dict_is_json_and_names_the_failed_check() -> None:
    b = ReportBuilder(("a", "b"))
    b.failed("a", "bad")
    d = json.loads(json.dumps(b.report().to_dict()))
    assert d["ok"] is False
    assert d["failed_check"] == "a"
    assert d["checks"][1] == {"name": "b", "passed": None, "detail": "not run", "error": None}


def test_render_text_shows_verdict_and_one_line_per_check() -> None:
    b = ReportBuilder()
    b.passed("sd_jwt", "ES256, 3 disclosures")
    b.failed("key_binding", "nonce does not match the request")
    text = b.report().render_text()
    lines = text.splitlines()
    assert lines[0] == "INVALID: Key binding (nonce, audience, iat, sd_hash) failed"
    assert len(lines) == 1 + len(CHECK_NAMES)
    assert "[PASS] SD-JWT signature and structure" in lines[1]
    assert lines[1].endswith("ES256, 3 disclosures")
    assert "[FAIL]" in lines[2] and lines[2].endswith("nonce does not match the request")
    assert all("[----]" in line for line in lines[3:])


def test_empty_report_is_not_ok() -> None:
    assert not VerificationReport(()).ok


def test_every_check_the_verifier_records_has_a_title() -> None:
    # The verifier's builders accept only VERIFIER_CHECK_NAMES (an unknown name is refused, see
    # test_checks_out_of_order_are_refused), and chain_checks reports CHAIN_CHECK_NAMES.
    titles = dict(CHECKS)
    untitled = [n for n in (*VERIFIER_CHECK_NAMES, *CHAIN_CHECK_NAMES) if n not in titles]
    assert untitled == []
    assert all(CheckResult(n, True).title != n for n in VERIFIER_CHECK_NAMES)
    assert [name for name, _ in CHECKS] == list(VERIFIER_CHECK_NAMES)  # CHECKS is in run order


def test_a_verification_error_raised_outside_the_verifier_has_no_report() -> None:
    assert _Boom("x").report is None
