"""The YAML vector suite: every structure verifies to the expected claims; every invalid case
raises its specific exception class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ledger.errors as errors
from ledger.sdjwt import verify_presentation
from tests.sdjwt._harness import (
    AUDIENCE,
    ISSUER_KEY,
    NONCE,
    NOW,
    build,
    load_yaml,
    user_claims,
    vector_files,
)

CASES = vector_files("sdjwt/cases")
VALID = [p for p in CASES if p.stem.startswith("valid_")]
INVALID = [p for p in CASES if p.stem.startswith("invalid_")]


def _verify(case: dict[str, Any], presentation: str) -> Any:
    kwargs: dict[str, Any] = {
        "issuer_key_resolver": lambda kid, iss: ISSUER_KEY.public_key,
        "expected_audience": AUDIENCE,
        "expected_nonce": NONCE,
        "now": NOW,
    }
    kwargs.update(case.get("verify") or {})
    return verify_presentation(presentation, **kwargs)


def test_the_suite_covers_valid_and_invalid_cases() -> None:
    assert len(VALID) >= 10 and len(INVALID) >= 50
    assert len(VALID) + len(INVALID) == len(CASES)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_vector_verifies_to_expected_claims(path: Path) -> None:
    case = load_yaml(path)
    result = _verify(case, build(case))
    expect = case["expect"]
    assert user_claims(result.claims) == expect["claims"]
    if "disclosed_paths" in expect:
        assert sorted(result.disclosed_paths) == sorted(expect["disclosed_paths"])
    if "kb" in expect:
        assert result.kb == expect["kb"]
    if "status" in expect:
        status = result.status
        assert (None if status is None else {"idx": status.idx, "uri": status.uri}) == expect[
            "status"
        ]
    assert "_sd" not in repr(result.claims) and "_sd_alg" not in result.claims


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_vector_raises_its_specific_error(path: Path) -> None:
    case = load_yaml(path)
    expected = getattr(errors, case["error"])
    assert issubclass(expected, errors.VerificationError)
    with pytest.raises(expected):
        _verify(case, build(case))
