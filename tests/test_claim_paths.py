"""The claim path grammar (`ledger._claim_paths`): the vectors of
`tests/vectors/claim_paths/cases.yaml` in both dialects, the formatters' round trips, and the
error family every caller catches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import ledger.errors as errors
from ledger._claim_paths import (
    format_claim_path,
    format_path,
    parse_claim_path,
    parse_path,
    path_from_json,
)
from ledger.errors import ClaimPathError, ClaimPathInvalid, UnknownClaimPath

VECTORS = yaml.safe_load(
    (Path(__file__).parent / "vectors" / "claim_paths" / "cases.yaml").read_text(encoding="utf-8")
)
PATHS: list[dict[str, Any]] = VECTORS["paths"]
DCQL: list[dict[str, Any]] = VECTORS["dcql"]
PARSERS = {"credential": parse_path, "request": parse_claim_path}
FORMATTERS: dict[str, Callable[[Any], str]] = {
    "credential": format_path,
    "request": format_claim_path,
}


CASES = [pytest.param(case, id=case["name"]) for case in PATHS]


def _expect(case: dict[str, Any], key: str, parse: Any, arg: Any) -> None:
    want = case[key]
    if isinstance(want, dict):
        error = getattr(errors, want["error"])
        with pytest.raises(error) as raised:
            parse(arg)
        assert type(raised.value) is error
        assert "claim path" in str(raised.value)
    else:
        assert parse(arg) == tuple(want)


def test_the_vectors_cover_both_dialects_and_every_outcome() -> None:
    for cases in (PATHS, DCQL):
        names = [case["name"] for case in cases]
        assert len(names) == len(set(names))
    for dialect in PARSERS:
        outcomes = [isinstance(case[dialect], dict) for case in PATHS]
        assert outcomes.count(True) >= 10 and outcomes.count(False) >= 8


@pytest.mark.parametrize("dialect", sorted(PARSERS))
@pytest.mark.parametrize("case", CASES)
def test_claim_path_vector(case: dict[str, Any], dialect: str) -> None:
    _expect(case, dialect, PARSERS[dialect], case["text"])


@pytest.mark.parametrize("dialect", sorted(PARSERS))
@pytest.mark.parametrize("case", CASES)
def test_a_parsed_path_formats_back_to_its_canonical_text(
    case: dict[str, Any], dialect: str
) -> None:
    if isinstance(case[dialect], dict):
        return
    formatted = FORMATTERS[dialect](tuple(case[dialect]))
    assert formatted == case.get("canonical", case["text"])


@pytest.mark.parametrize("case", [pytest.param(c, id=c["name"]) for c in DCQL])
def test_dcql_path_vector(case: dict[str, Any]) -> None:
    _expect(case, "result", path_from_json, case["path"])


@pytest.mark.parametrize("bad", [None, 7, ["a"], b"a"])
def test_a_path_that_is_not_text_is_refused_in_both_dialects(bad: Any) -> None:
    with pytest.raises(UnknownClaimPath):
        parse_path(bad)
    with pytest.raises(ClaimPathInvalid):
        parse_claim_path(bad)


def test_an_index_beyond_pythons_int_limit_is_refused_not_crashed() -> None:
    text = "a[" + "9" * 5000 + "]"
    with pytest.raises(UnknownClaimPath, match="index too long"):
        parse_path(text)
    with pytest.raises(ClaimPathInvalid, match="index too long"):
        parse_claim_path(text)


def test_both_errors_are_claim_path_errors_and_stay_in_their_layer_family() -> None:
    assert issubclass(UnknownClaimPath, ClaimPathError)
    assert issubclass(ClaimPathInvalid, ClaimPathError)
    assert issubclass(UnknownClaimPath, errors.CredentialFormatError)
    assert issubclass(ClaimPathInvalid, errors.AgencyError)
    assert not issubclass(UnknownClaimPath, ClaimPathInvalid)
    assert not issubclass(ClaimPathInvalid, UnknownClaimPath)


_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,8}", fullmatch=True)
_request_paths = st.tuples(_names).flatmap(
    lambda head: st.lists(st.one_of(_names, st.integers(0, 99), st.none()), max_size=4).map(
        lambda rest: head + tuple(rest)
    )
)


@given(_request_paths)
def test_any_request_path_round_trips(path: tuple[str | int | None, ...]) -> None:
    assert parse_claim_path(format_claim_path(path)) == path


@given(_request_paths.filter(lambda p: None not in p))
def test_every_request_path_without_a_wildcard_is_the_same_credential_path(
    path: tuple[str | int, ...],
) -> None:
    text = format_claim_path(path)
    assert parse_path(text) == path and format_path(path) == text


_member_names = st.text(alphabet=st.characters(codec="utf-8", exclude_characters=".[]"), min_size=1)


@given(
    st.tuples(_member_names).flatmap(
        lambda head: st.lists(st.one_of(_member_names, st.integers(0, 99)), max_size=4).map(
            lambda rest: head + tuple(rest)
        )
    )
)
def test_any_credential_path_round_trips(path: tuple[str | int, ...]) -> None:
    assert parse_path(format_path(path)) == path
