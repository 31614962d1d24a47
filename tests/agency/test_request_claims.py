"""Claim path parsing/formatting and the on-chain claim bit mask."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.agency.claims import claim_mask, format_claim_path, parse_claim_path, path_from_json
from ledger.errors import ClaimNotInType, ClaimPathInvalid


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("age_over_18", ("age_over_18",)),
        ("address.locality", ("address", "locality")),
        ("nationalities[1]", ("nationalities", 1)),
        ("nationalities[*]", ("nationalities", None)),
        ("a.b[2].c", ("a", "b", 2, "c")),
        ("m[0][3]", ("m", 0, 3)),
    ],
)
def test_claim_paths_round_trip(text: str, path: tuple[object, ...]) -> None:
    assert parse_claim_path(text) == path
    assert format_claim_path(path) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad", ["", ".a", "a.", "a..b", "a[", "a[-1]", "a[x]", "[0]", "a b", "a.[0]", "1a"]
)
def test_malformed_claim_paths_are_rejected(bad: str) -> None:
    with pytest.raises(ClaimPathInvalid):
        parse_claim_path(bad)


@pytest.mark.parametrize("bad", [[], [0], ["a", -1], ["a", True], ["a", 1.5], "a", ["a b"]])
def test_malformed_dcql_paths_are_rejected(bad: object) -> None:
    with pytest.raises(ClaimPathInvalid):
        path_from_json(bad)


_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@given(
    st.tuples(_names).flatmap(
        lambda head: st.lists(st.one_of(_names, st.integers(0, 99), st.none()), max_size=4).map(
            lambda rest: head + tuple(rest)
        )
    )
)
def test_any_valid_path_round_trips(path: tuple[str | int | None, ...]) -> None:
    assert parse_claim_path(format_claim_path(path)) == path


NAMES = ["given_name", "family_name", "birthdate", "address", "nationalities", "age_over_18"]


def test_mask_sets_the_bit_of_each_requested_claim() -> None:
    assert claim_mask(["age_over_18"], NAMES) == 1 << 5
    assert claim_mask(["given_name", "birthdate"], NAMES) == 0b101


def test_sub_claims_and_array_elements_map_to_their_parent_claim() -> None:
    assert claim_mask(["address.locality", "nationalities[1]"], NAMES) == (1 << 3) | (1 << 4)


def test_the_most_specific_claim_name_wins() -> None:
    names = ["address", "address.locality"]
    assert claim_mask(["address.locality"], names) == 0b10
    assert claim_mask(["address.street"], names) == 0b01


def test_mask_accepts_dcql_path_arrays() -> None:
    assert claim_mask([("address", "locality")], NAMES) == 1 << 3


def test_claim_outside_the_type_is_rejected() -> None:
    with pytest.raises(ClaimNotInType, match="cpr_number"):
        claim_mask(["given_name", "cpr_number"], NAMES)


def test_prefix_of_a_name_is_not_a_match() -> None:
    with pytest.raises(ClaimNotInType):
        claim_mask(["given"], NAMES)
