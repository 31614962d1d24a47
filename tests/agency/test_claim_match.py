"""A presentation's disclosed paths against its request (`ledger.agency.claim_match`)."""

from __future__ import annotations

import pytest

from ledger.agency.claim_match import match_claims
from ledger.errors import RequestedClaimMissing, UnrequestedClaimsDisclosed

CLAIMS = {"address": {"locality": "Odense", "e-mail@home": "x"}, "nationalities": ["DK", "DE"]}


def test_disclosures_at_below_or_above_the_request_match() -> None:
    match_claims(["address", "address.locality"], CLAIMS, [("address", "locality")])
    match_claims(["nationalities[1]"], CLAIMS, [("nationalities", None)])


def test_a_disclosed_name_outside_the_request_grammar_is_an_unrequested_disclosure() -> None:
    # An issuer may write any member name; a disclosed one is judged, not a crash of the parser.
    match_claims(["address", "address.e-mail@home"], CLAIMS, [("address",)])
    with pytest.raises(UnrequestedClaimsDisclosed, match="e-mail@home"):
        match_claims(["address.e-mail@home"], CLAIMS, [("address", "locality")])
    with pytest.raises(UnrequestedClaimsDisclosed, match=r"address\."):
        match_claims(["address."], CLAIMS, [("nationalities",)])


def test_a_requested_claim_not_presented_is_missing() -> None:
    with pytest.raises(RequestedClaimMissing, match=r"address\.locality"):
        match_claims([], {"address": {}}, [("address", "locality")])
