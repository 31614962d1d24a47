"""The on-chain claim bit mask (the claim path grammar: tests/test_claim_paths.py)."""

from __future__ import annotations

import pytest

from ledger.agency.claims import claim_mask
from ledger.errors import ClaimNotInType

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
